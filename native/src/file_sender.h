// Publishes an FLV file from the connection thread: read, parse and send slice by slice,
// each slice one corked batch (or, in real time, each run of tags that is due), with no
// JavaScript work per slice or per tag.
#pragma once

#include <cstdint>
#include <string>

#include "session.h"
#include "status.h"

namespace librtmp_node {

struct FileSendOptions {
  // Names this send for Session::StopFileSend(): ends it between two batches.
  uint32_t id = 0;
  // Each tag when its timestamp comes due (from the first tag on), not as fast as possible.
  bool realtime = false;
};

struct FileSendCounts {
  uint64_t bytes = 0;  // message bodies sent
  uint64_t tags = 0;
  bool stopped = false;  // ended by StopFileSend(), not by the end of the file
};

// Connection thread. Stops at the first failure (file, FLV or network) or when the session
// is interrupted; `counts` then says what had been sent.
Status SendFlvFile(Session& session, const std::string& path, const FileSendOptions& options,
                   FileSendCounts* counts);

// The same from a helper thread at SCHED_IDLE, the lowest priority there is: every other
// runnable thread (the process's event loop first of all) gets the CPU before it. The
// connection thread waits for it; the helper ends with the file, so nothing has to raise a
// priority again (which an unprivileged process may not do).
Status SendFlvFileInBackground(Session& session, const std::string& path,
                               const FileSendOptions& options, FileSendCounts* counts);

}  // namespace librtmp_node
