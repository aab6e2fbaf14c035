#include "tcp_connect.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

namespace librtmp_node {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point until) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// RFC 8305 §4: IPv6 first, then the families alternate, each keeping the resolver's order.
std::vector<const addrinfo*> AttemptOrder(const addrinfo* list) {
  std::vector<const addrinfo*> v6, v4, order;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    (ai->ai_family == AF_INET6 ? v6 : v4).push_back(ai);
  }
  for (size_t i = 0; i < std::max(v6.size(), v4.size()); ++i) {
    if (i < v6.size()) order.push_back(v6[i]);
    if (i < v4.size()) order.push_back(v4[i]);
  }
  return order;
}

// The source address as a sockaddr of `family`, port 0; false if it is not of that family.
bool LocalSockaddr(const std::string& address, int family, sockaddr_storage* out, socklen_t* len) {
  std::memset(out, 0, sizeof(*out));
  if (family == AF_INET6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
    sin6->sin6_family = AF_INET6;
    *len = sizeof(*sin6);
    return inet_pton(AF_INET6, address.c_str(), &sin6->sin6_addr) == 1;
  }
  auto* sin = reinterpret_cast<sockaddr_in*>(out);
  sin->sin_family = AF_INET;
  *len = sizeof(*sin);
  return inet_pton(AF_INET, address.c_str(), &sin->sin_addr) == 1;
}

int FamilyOf(const std::string& address) {
  unsigned char buf[sizeof(in6_addr)];
  if (inet_pton(AF_INET, address.c_str(), buf) == 1) return AF_INET;
  if (inet_pton(AF_INET6, address.c_str(), buf) == 1) return AF_INET6;
  return AF_UNSPEC;
}

struct Attempt {
  int fd = -1;
  const addrinfo* ai = nullptr;
};

// Outcome of starting one attempt.
enum class Started { kPending, kConnected, kFailed, kBindFailed };

Started StartAttempt(const addrinfo* ai, const std::string& localAddress, Attempt* out, int* err) {
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) {
    *err = errno;
    return Started::kFailed;
  }
  if (!localAddress.empty()) {
    sockaddr_storage local;
    socklen_t len = 0;
    if (!LocalSockaddr(localAddress, ai->ai_family, &local, &len) ||
        bind(fd, reinterpret_cast<sockaddr*>(&local), len) != 0) {
      *err = errno;
      close(fd);
      return Started::kBindFailed;
    }
  }
  out->fd = fd;
  out->ai = ai;
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) return Started::kConnected;
  if (errno == EINPROGRESS) return Started::kPending;
  *err = errno;
  close(fd);
  return Started::kFailed;
}

std::string AddressText(const sockaddr_storage& addr, int* port) {
  char text[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
    *port = ntohs(sin6->sin6_port);
  } else {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
    *port = ntohs(sin->sin_port);
  }
  return text;
}

void Describe(int fd, SocketEndpoints* endpoints) {
  sockaddr_storage addr;
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    endpoints->localAddress = AddressText(addr, &endpoints->localPort);
    endpoints->family = addr.ss_family == AF_INET6 ? 6 : 4;
  }
  len = sizeof(addr);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    endpoints->remoteAddress = AddressText(addr, &endpoints->remotePort);
  }
}

// Runs the attempts: returns 0 with *fd set, or the errno that ends the whole connect
// (ETIMEDOUT for the deadline, ECANCELED for a wake-up, else the last attempt's error).
// *bindFailed says the source address could not be bound.
int Race(const std::vector<const addrinfo*>& order, const TcpTarget& target,
         Clock::time_point deadline, int wakeFd, int* fd, bool* bindFailed) {
  std::vector<Attempt> pending;
  size_t next = 0;
  int lastErr = ECONNREFUSED;
  auto nextStart = Clock::now();
  auto closeAll = [&pending] {
    for (Attempt& a : pending) close(a.fd);
    pending.clear();
  };
  for (;;) {
    if (next < order.size() && Clock::now() >= nextStart) {
      Attempt attempt;
      int err = 0;
      switch (StartAttempt(order[next++], target.localAddress, &attempt, &err)) {
        case Started::kConnected:
          closeAll();
          *fd = attempt.fd;
          return 0;
        case Started::kPending:
          pending.push_back(attempt);
          nextStart = Clock::now() + std::chrono::milliseconds(kConnectionAttemptDelayMs);
          break;
        case Started::kBindFailed:
          closeAll();
          *bindFailed = true;
          return err;
        case Started::kFailed:
          lastErr = err;  // the next address at once
          break;
      }
      continue;
    }
    if (pending.empty() && next >= order.size()) return lastErr;
    if (Clock::now() >= deadline) {
      closeAll();
      return ETIMEDOUT;
    }
    int waitMs = RemainingMs(deadline);
    if (next < order.size())
      waitMs = pending.empty() ? 0 : std::min(waitMs, RemainingMs(nextStart));
    std::vector<pollfd> fds;
    for (const Attempt& a : pending) fds.push_back({a.fd, POLLOUT, 0});
    if (wakeFd >= 0) fds.push_back({wakeFd, POLLIN, 0});
    int n = poll(fds.data(), fds.size(), waitMs);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      closeAll();
      return err;
    }
    if (wakeFd >= 0 && fds.back().revents) {
      closeAll();
      return ECANCELED;
    }
    for (size_t i = 0; i < pending.size();) {
      if (fds[i].revents == 0) {
        ++i;
        continue;
      }
      int err = 0;
      socklen_t len = sizeof(err);
      getsockopt(pending[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0) {
        *fd = pending[i].fd;
        pending.erase(pending.begin() + i);
        closeAll();  // first to connect wins
        return 0;
      }
      close(pending[i].fd);
      pending.erase(pending.begin() + i);
      fds.erase(fds.begin() + i);
      lastErr = err;
      nextStart = Clock::now();  // a failure starts the next address at once
    }
  }
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

Status ConnectTcp(const TcpTarget& target, int wakeFd, int* fd, SocketEndpoints* endpoints) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(target.timeoutMs);
  addrinfo hints{};
  // A source address decides the family as much as `family` does (lib/ refuses a conflict).
  hints.ai_family = target.family == 4   ? AF_INET
                    : target.family == 6 ? AF_INET6
                                         : FamilyOf(target.localAddress);
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  addrinfo* list = nullptr;
  const std::string port = std::to_string(target.port);
  int gai = getaddrinfo(target.host.c_str(), port.c_str(), &hints, &list);
  if (gai != 0) {
    std::string family = hints.ai_family == AF_INET    ? " (IPv4 only)"
                         : hints.ai_family == AF_INET6 ? " (IPv6 only)"
                                                       : "";
    return Status::Error(code::kDnsLookup, "could not resolve host '" + target.host + "'" + family +
                                               ": " + gai_strerror(gai));
  }
  bool bindFailed = false;
  const int err = Race(AttemptOrder(list), target, deadline, wakeFd, fd, &bindFailed);
  freeaddrinfo(list);
  if (err == 0) {
    fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) & ~O_NONBLOCK);
    SetSocketTimeouts(*fd, target.timeoutMs);
    Describe(*fd, endpoints);
    return Status::Ok();
  }
  const std::string where = target.host + " port " + port;
  Status s;
  if (bindFailed) {
    s = Status::Error(code::kBindFailed, "could not bind to local address " + target.localAddress +
                                             ": " + std::strerror(err));
  } else if (err == ETIMEDOUT) {
    s = Status::Error(code::kConnectTimeout, "connecting to " + where + " timed out after " +
                                                 std::to_string(target.timeoutMs) + " ms");
  } else if (err == ECANCELED) {
    s = Status::Error(code::kAborted, "connect aborted");
  } else if (err == ECONNREFUSED) {
    s = Status::Error(code::kConnectRefused, "connection refused by " + where);
  } else {
    s = Status::Error(code::kConnectFailed,
                      "could not connect to " + where + ": " + std::strerror(err));
  }
  s.sysErrno = err;
  return s;
}

}  // namespace librtmp_node
