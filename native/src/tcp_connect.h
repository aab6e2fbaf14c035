// TCP connect as librtmp should have done it: getaddrinfo (thread-safe, IPv4 and IPv6)
// instead of gethostbyname, a connect deadline, and both socket timeouts.
#pragma once

#include <string>

#include "status.h"

namespace librtmp_node {

struct TcpTarget {
  std::string host;  // name or IP literal, without brackets
  int port = 0;
  int timeoutMs = 0;  // connect deadline and per-call send/receive timeout
};

// Blocking; runs on a connection thread. `wakeFd` (readable = give up) lets another
// thread interrupt the wait. On success *fd is a connected blocking socket.
Status ConnectTcp(const TcpTarget& target, int wakeFd, int* fd);

// SO_RCVTIMEO and SO_SNDTIMEO: librtmp sets only the first, so a server that stops
// reading would block a send forever.
void SetSocketTimeouts(int fd, int timeoutMs);

}  // namespace librtmp_node
