#include "file_sender.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <system_error>
#include <thread>
#include <vector>

#include "flv_file_reader.h"
#include "log_bridge.h"
#include "pacer.h"

namespace librtmp_node {

namespace {

// One corked batch of `count` tags.
Status SendRun(Session& session, const FlvFileTag* tags, size_t count, FileSendCounts* counts) {
  OutgoingBatch batch(count);
  for (size_t i = 0; i < count; ++i)
    batch.Add(tags[i].type, tags[i].timestamp, tags[i].body, tags[i].size);
  Status status = session.Write(batch);
  if (!status.ok()) return status;
  for (const OutgoingBatch::Message& m : batch.messages()) counts->bytes += m.size;
  counts->tags += count;
  return status;
}

// Each tag when it is due, together with the ones due by then; idle (answering the server)
// in between.
Status SendPaced(Session& session, const std::vector<FlvFileTag>& tags, Pacer* pacer,
                 const FileSendOptions& options, FileSendCounts* counts) {
  size_t next = 0;
  while (next < tags.size()) {
    for (int64_t delay; (delay = pacer->DelayMs(tags[next].timestamp)) > 0;) {
      if (session.FileSendStopped(options.id)) break;
      Status idle = session.Idle(static_cast<int>(std::min<int64_t>(delay, 1000)));
      if (!idle.ok()) return idle;
    }
    if (session.FileSendStopped(options.id)) {
      counts->stopped = true;
      return Status::Ok();
    }
    size_t end = next + 1;
    while (end < tags.size() && pacer->DelayMs(tags[end].timestamp) <= 0) ++end;
    Status status = SendRun(session, &tags[next], end - next, counts);
    if (!status.ok()) return status;
    next = end;
  }
  return Status::Ok();
}

}  // namespace

Status SendFlvFile(Session& session, const std::string& path, const FileSendOptions& options,
                   FileSendCounts* counts) {
  FlvFileReader reader;
  Status status = reader.Open(path);
  std::vector<FlvFileTag> tags;
  Pacer pacer;
  while (status.ok() && !counts->stopped) {
    if (session.abandoned()) return Status::Error(code::kAborted, "sending the file was aborted");
    if (session.FileSendStopped(options.id)) {
      counts->stopped = true;
      break;
    }
    status = reader.Next(&tags);
    if (!status.ok() || tags.empty()) break;
    status = options.realtime ? SendPaced(session, tags, &pacer, options, counts)
                              : SendRun(session, tags.data(), tags.size(), counts);
  }
  return status;
}

Status SendFlvFileInBackground(Session& session, const std::string& path,
                               const FileSendOptions& options, FileSendCounts* counts) {
  Status status;
  LogSink* sink = ThreadLogSink();  // librtmp's lines still reach this connection's logger
  try {
    std::thread helper([&] {
      pthread_setname_np(pthread_self(), "librtmp-bulk");
      const sched_param lowest = {};  // SCHED_IDLE has no priority levels
      pthread_setschedparam(pthread_self(), SCHED_IDLE, &lowest);
      SetThreadLogSink(sink);
      status = SendFlvFile(session, path, options, counts);
    });
    helper.join();
  } catch (const std::system_error&) {
    // No thread to be had: send at the usual priority rather than not at all.
    status = SendFlvFile(session, path, options, counts);
  }
  return status;
}

}  // namespace librtmp_node
