#include "log_bridge.h"

#include <librtmp/log.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <mutex>

namespace librtmp_node {
namespace {

thread_local LogSink* currentSink = nullptr;

void Forward(int level, const char* format, va_list args) {
  LogSink* sink = currentSink;
  if (sink == nullptr || level > sink->level()) return;
  char line[1024];
  int n = std::vsnprintf(line, sizeof(line), format, args);
  if (n < 0) return;
  std::string message(line, std::min<size_t>(static_cast<size_t>(n), sizeof(line) - 1));
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
    message.pop_back();
  }
  sink->Log(level, std::move(message));
}

}  // namespace

void InstallLogBridge() {
  static std::once_flag once;
  std::call_once(once, [] {
    RTMP_LogSetCallback(Forward);
    RTMP_LogSetLevel(RTMP_LOGCRIT);
  });
}

void SetThreadLogSink(LogSink* sink) { currentSink = sink; }

LogSink* ThreadLogSink() { return currentSink; }

void RequireLogLevel(int level) {
  static std::mutex lock;
  std::lock_guard<std::mutex> guard(lock);
  const int wanted = std::min(level, kMaxLogLevel);
  if (wanted > static_cast<int>(RTMP_LogGetLevel())) {
    RTMP_LogSetLevel(static_cast<RTMP_LogLevel>(wanted));
  }
}

}  // namespace librtmp_node
