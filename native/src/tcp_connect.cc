#include "tcp_connect.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace librtmp_node {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// One address: non-blocking connect, then wait for writability, the deadline or a wake-up.
// Returns 0 or an errno (ETIMEDOUT for the deadline, ECANCELED for a wake-up).
int ConnectOne(const addrinfo* ai, Clock::time_point deadline, int wakeFd, int* out) {
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) return errno;
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
    int err = errno;
    close(fd);
    return err;
  }
  for (;;) {
    pollfd fds[2] = {{fd, POLLOUT, 0}, {wakeFd, POLLIN, 0}};
    int n = poll(fds, wakeFd >= 0 ? 2 : 1, RemainingMs(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      close(fd);
      return ETIMEDOUT;
    }
    if (n < 0 || (wakeFd >= 0 && fds[1].revents)) {
      close(fd);
      return n < 0 ? errno : ECANCELED;
    }
    break;
  }
  int err = 0;
  socklen_t len = sizeof(err);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    close(fd);
    return err;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  *out = fd;
  return 0;
}

}  // namespace

void SetSocketTimeouts(int fd, int timeoutMs) {
  timeval tv{};
  tv.tv_sec = timeoutMs / 1000;
  tv.tv_usec = (timeoutMs % 1000) * 1000;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

Status ConnectTcp(const TcpTarget& target, int wakeFd, int* fd) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(target.timeoutMs);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  addrinfo* list = nullptr;
  const std::string port = std::to_string(target.port);
  int gai = getaddrinfo(target.host.c_str(), port.c_str(), &hints, &list);
  if (gai != 0) {
    return Status::Error(code::kDnsLookup,
                         "could not resolve host '" + target.host + "': " + gai_strerror(gai));
  }
  int lastErr = ECONNREFUSED;
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    lastErr = ConnectOne(ai, deadline, wakeFd, fd);
    if (lastErr == 0 || lastErr == ETIMEDOUT || lastErr == ECANCELED) break;
  }
  freeaddrinfo(list);
  if (lastErr == 0) {
    SetSocketTimeouts(*fd, target.timeoutMs);
    return Status::Ok();
  }
  const std::string where = target.host + " port " + port;
  Status s;
  if (lastErr == ETIMEDOUT) {
    s = Status::Error(code::kConnectTimeout, "connecting to " + where + " timed out after " +
                                                 std::to_string(target.timeoutMs) + " ms");
  } else if (lastErr == ECANCELED) {
    s = Status::Error(code::kAborted, "connect aborted");
  } else if (lastErr == ECONNREFUSED) {
    s = Status::Error(code::kConnectRefused, "connection refused by " + where);
  } else {
    s = Status::Error(code::kConnectFailed,
                      "could not connect to " + where + ": " + std::strerror(lastErr));
  }
  s.sysErrno = lastErr;
  return s;
}

}  // namespace librtmp_node
