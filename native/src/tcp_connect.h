// TCP connect as librtmp should have done it: getaddrinfo (thread-safe, IPv4 and IPv6)
// instead of gethostbyname, Happy Eyeballs between the families, an optional source
// address, a connect deadline, and both socket timeouts.
#pragma once

#include <string>

#include "status.h"

namespace librtmp_node {

struct TcpTarget {
  std::string host;  // name or IP literal, without brackets
  int port = 0;
  int timeoutMs = 0;         // connect deadline and per-call send/receive timeout
  std::string localAddress;  // IP literal to bind before connecting; empty: the kernel's choice
  int family = 0;            // 4 or 6: only that family; 0: both
};

// Where a connection went: for socketInfo() and the tests.
struct SocketEndpoints {
  std::string localAddress;
  int localPort = 0;
  std::string remoteAddress;
  int remotePort = 0;
  int family = 0;  // 4 or 6
};

// RFC 8305's Connection Attempt Delay: the next address is tried when the one before has
// neither connected nor failed within this time.
constexpr int kConnectionAttemptDelayMs = 250;

// Blocking; runs on a connection thread. Resolves the host (getaddrinfo, here rather than on
// the main thread), orders the addresses IPv6 first, alternating families (RFC 8305 §4), and
// starts one attempt every kConnectionAttemptDelayMs (at once when one fails) until one
// connects; the others are closed. `wakeFd` (readable = give up) lets another thread
// interrupt the wait. On success *fd is a connected blocking socket.
Status ConnectTcp(const TcpTarget& target, int wakeFd, int* fd, SocketEndpoints* endpoints);

// SO_RCVTIMEO and SO_SNDTIMEO: librtmp sets only the first, so a server that stops
// reading would block a send forever.
void SetSocketTimeouts(int fd, int timeoutMs);

}  // namespace librtmp_node
