#include "server_socket.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static void Fail(const char* what) {
  perror(what);
  abort();
}

static void SendAll(int fd, const uint8_t* bytes, size_t size) {
  while (size > 0) {
    // MSG_DONTWAIT: a full buffer means FUZZ_SERVER_MAX_BYTES is too large for this system;
    // better to say so than to hang.
    ssize_t sent = send(fd, bytes, size, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) Fail("fuzz server socket: send");
    bytes += sent;
    size -= (size_t)sent;
  }
}

void FuzzServerSocketOpen(FuzzServerSocket* conn, const uint8_t* head, size_t head_size,
                          const uint8_t* body, size_t body_size) {
  int fds[2];
  if (head_size + body_size > FUZZ_SERVER_MAX_BYTES) {
    fprintf(stderr, "fuzz server socket: %zu bytes is over the limit\n", head_size + body_size);
    abort();
  }
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) Fail("socketpair");
  conn->client_fd = fds[0];
  conn->server_fd = fds[1];
  SendAll(fds[1], head, head_size);
  SendAll(fds[1], body, body_size);
  if (shutdown(fds[1], SHUT_WR) != 0) Fail("fuzz server socket: shutdown");
}

void FuzzServerSocketDrain(FuzzServerSocket* conn) {
  char scratch[16384];
  for (;;) {
    ssize_t got = recv(conn->server_fd, scratch, sizeof(scratch), MSG_DONTWAIT);
    if (got > 0) continue;
    if (got < 0 && errno == EINTR) continue;
    return;  // nothing more for now, or the client has closed its end
  }
}

void FuzzServerSocketClose(FuzzServerSocket* conn) {
  close(conn->server_fd);
  conn->server_fd = -1;
}
