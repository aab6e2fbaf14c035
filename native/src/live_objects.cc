#include "live_objects.h"

#include <atomic>

namespace librtmp_node {
namespace {

std::atomic<int64_t> counts[static_cast<int>(LiveObject::kCount)];

}  // namespace

void CountCreated(LiveObject kind) {
  counts[static_cast<int>(kind)].fetch_add(1, std::memory_order_relaxed);
}

void CountDestroyed(LiveObject kind) {
  counts[static_cast<int>(kind)].fetch_sub(1, std::memory_order_relaxed);
}

int64_t LiveCount(LiveObject kind) {
  return counts[static_cast<int>(kind)].load(std::memory_order_relaxed);
}

const char* LiveObjectName(LiveObject kind) {
  switch (kind) {
    case LiveObject::kConnection:
      return "connections";
    case LiveObject::kSession:
      return "sessions";
    case LiveObject::kThread:
      return "threads";
    case LiveObject::kRtmp:
      return "rtmp";
    case LiveObject::kSsl:
      return "ssl";
    case LiveObject::kSslCtx:
      return "sslCtx";
    case LiveObject::kCount:
      break;
  }
  return "?";
}

}  // namespace librtmp_node
