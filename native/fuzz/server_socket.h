// The server's end of an in-memory connection, for feeding librtmp a server's bytes.
#ifndef NODE_LIBRTMP_FUZZ_SERVER_SOCKET_H_
#define NODE_LIBRTMP_FUZZ_SERVER_SOCKET_H_

#include <stddef.h>
#include <stdint.h>

// What the server end can write at once without anyone reading: the fuzz targets cap their
// input below this, so writing it all up front never blocks.
#define FUZZ_SERVER_MAX_BYTES (96 * 1024)

typedef struct FuzzServerSocket {
  int client_fd;  // librtmp's end (RTMP_Close closes it)
  int server_fd;  // ours
} FuzzServerSocket;

// Connects a socket pair, sends `head` then `body` (together at most FUZZ_SERVER_MAX_BYTES)
// from the server end and shuts that direction down: the client reads exactly these bytes,
// then end-of-stream. Aborts on failure, which is a harness problem, never an input's.
void FuzzServerSocketOpen(FuzzServerSocket* conn, const uint8_t* head, size_t head_size,
                          const uint8_t* body, size_t body_size);

// Throws away what the client has sent so far, without waiting: its sends must never block
// on a full socket buffer.
void FuzzServerSocketDrain(FuzzServerSocket* conn);

// Closes the server end (the client end is librtmp's).
void FuzzServerSocketClose(FuzzServerSocket* conn);

#endif  // NODE_LIBRTMP_FUZZ_SERVER_SOCKET_H_
