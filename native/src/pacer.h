// Real-time pacing by media timestamps, like ffmpeg -re: a frame is due at one anchor on the
// monotonic clock plus its time since the anchor's frame, so lateness never accumulates. A
// timestamp before the anchor's (a spliced input going back) re-anchors at it. The same
// concept, name and rule as lib/media/pacer.ts, which paces what JavaScript sends; here it
// paces sendFile({ realtime }) and the native camera feed on the connection thread.
#pragma once

#include <time.h>

#include <cstdint>

namespace librtmp_node {

inline int64_t MonotonicMs() {
  timespec now = {};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1000 + now.tv_nsec / 1000000;
}

class Pacer {
 public:
  // Milliseconds until `timestamp` is due; 0 or less: due now. The first call anchors.
  int64_t DelayMs(uint32_t timestamp) {
    const int64_t now = MonotonicMs();
    if (!anchored_ || timestamp < anchorTimestamp_) {
      anchored_ = true;
      anchorMs_ = now;
      anchorTimestamp_ = timestamp;
    }
    return anchorMs_ + (int64_t{timestamp} - anchorTimestamp_) - now;
  }

 private:
  bool anchored_ = false;
  int64_t anchorMs_ = 0;
  uint32_t anchorTimestamp_ = 0;
};

}  // namespace librtmp_node
