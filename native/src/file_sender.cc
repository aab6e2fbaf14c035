#include "file_sender.h"

#include <pthread.h>
#include <sched.h>

#include <system_error>
#include <thread>
#include <vector>

#include "flv_file_reader.h"
#include "log_bridge.h"

namespace librtmp_node {

Status SendFlvFile(Session& session, const std::string& path, FileSendCounts* counts) {
  FlvFileReader reader;
  Status status = reader.Open(path);
  std::vector<FlvFileTag> tags;
  while (status.ok()) {
    if (session.interrupted()) return Status::Error(code::kAborted, "sending the file was aborted");
    status = reader.Next(&tags);
    if (!status.ok() || tags.empty()) break;
    OutgoingBatch batch(tags.size());
    for (const FlvFileTag& tag : tags) batch.Add(tag.type, tag.timestamp, tag.body, tag.size);
    status = session.Write(batch);
    if (!status.ok()) break;
    for (const OutgoingBatch::Message& m : batch.messages()) counts->bytes += m.size;
    counts->tags += batch.messages().size();
  }
  return status;
}

Status SendFlvFileInBackground(Session& session, const std::string& path, FileSendCounts* counts) {
  Status status;
  LogSink* sink = ThreadLogSink();  // librtmp's lines still reach this connection's logger
  try {
    std::thread helper([&] {
      pthread_setname_np(pthread_self(), "librtmp-bulk");
      const sched_param lowest = {};  // SCHED_IDLE has no priority levels
      pthread_setschedparam(pthread_self(), SCHED_IDLE, &lowest);
      SetThreadLogSink(sink);
      status = SendFlvFile(session, path, counts);
    });
    helper.join();
  } catch (const std::system_error&) {
    // No thread to be had: send at the usual priority rather than not at all.
    status = SendFlvFile(session, path, counts);
  }
  return status;
}

}  // namespace librtmp_node
