// libFuzzer target: librtmp's client reading a server's chunk stream (RTMP_ReadPacket) and
// acting on every message (RTMP_ClientPacket), driven the way native/src/session.cc drives it.
//
// Input: one byte of options, then what the server sends after the handshake.
//   bit 0  publish (RTMP_EnableWrite), else play
//   bit 1  a live stream (RTMP_LF_LIVE)
// The server's handshake is a fixed valid one, so that every input reaches the chunk stream.
#include <librtmp/rtmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log_sink.h"
#include "server_socket.h"
#include "small_stack.h"

enum { kOptionPublish = 1 << 0, kOptionLive = 1 << 1 };

// S0 (plain RTMP), S1 (time and version zero: the simple handshake) and S2; librtmp only
// logs an S2 that does not echo its C1. 1536 is a signature's size (RTMP_SIG_SIZE, private
// to rtmp.c).
#define HANDSHAKE_BYTES (1 + 2 * 1536)
static uint8_t server_handshake[HANDSHAKE_BYTES] = {0x03};

// A stream key in the URL, as real URLs have: librtmp keeps it as the playpath.
static const char kUrl[] = "rtmp://127.0.0.1:1935/live/fuzz-stream-key";

int LLVMFuzzerInitialize(int* argc, char*** argv) {
  (void)argc;
  (void)argv;
  FuzzLogSinkInstall();
  FuzzLimitStack();
  // librtmp sends with send(2) without MSG_NOSIGNAL, like the addon, which ignores SIGPIPE too.
  signal(SIGPIPE, SIG_IGN);
  return 0;
}

static void ReadUntilClosed(RTMP* r, FuzzServerSocket* server) {
  RTMPPacket packet;
  memset(&packet, 0, sizeof(packet));
  while (RTMP_IsConnected(r) && RTMP_ReadPacket(r, &packet)) {
    if (RTMPPacket_IsReady(&packet)) {
      RTMP_ClientPacket(r, &packet);
      RTMPPacket_Free(&packet);
    }
    FuzzServerSocketDrain(server);
  }
  RTMPPacket_Free(&packet);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > FUZZ_SERVER_MAX_BYTES - HANDSHAKE_BYTES) return -1;
  const uint8_t options = data[0];
  // RTMP_SetupURL keeps pointers into the URL: it lives as long as the RTMP.
  char url[sizeof(kUrl)];
  memcpy(url, kUrl, sizeof(kUrl));

  RTMP* r = RTMP_Alloc();
  if (r == NULL) abort();
  RTMP_Init(r);
  if (!RTMP_SetupURL(r, url)) abort();
  if (options & kOptionPublish) RTMP_EnableWrite(r);
  if (options & kOptionLive) r->Link.lFlags |= RTMP_LF_LIVE;

  FuzzServerSocket server;
  FuzzServerSocketOpen(&server, server_handshake, sizeof(server_handshake), data + 1, size - 1);
  // What Session::Connect sets before RTMP_Connect1 (handshake, then the connect command).
  r->m_sb.sb_socket = server.client_fd;
  r->m_bSendCounter = 1;
  if (RTMP_Connect1(r, NULL)) ReadUntilClosed(r, &server);
  if (RTMP_IsConnected(r)) RTMP_Close(r);
  RTMP_Free(r);
  FuzzServerSocketClose(&server);
  return 0;
}
