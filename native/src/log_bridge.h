// librtmp's log output, routed to the connection whose thread wrote it. librtmp has one
// process-wide callback and level; each connection thread registers itself as the sink
// for what librtmp logs while it runs, so a line reaches the JS of the connection it is
// about and nothing else (and never stderr: lines can name the stream key).
#pragma once

#include <string>

namespace librtmp_node {

// librtmp's levels: 0 critical, 1 error, 2 warning, 3 info, 4 debug. Deeper levels (hex
// dumps of packets, which can spell out the stream key across lines) are never enabled.
constexpr int kMaxLogLevel = 4;

class LogSink {
 public:
  virtual ~LogSink() = default;
  // On the thread that logged; must not block.
  virtual void Log(int level, std::string message) = 0;
  virtual int level() const = 0;
};

// Once per process: takes over librtmp's log callback.
void InstallLogBridge();

// The sink for what librtmp logs on the calling thread (nullptr: drop).
void SetThreadLogSink(LogSink* sink);
LogSink* ThreadLogSink();

// Raises librtmp's global level to at least `level` (capped at kMaxLogLevel).
void RequireLogLevel(int level);

}  // namespace librtmp_node
