#include "file_sender.h"

#include "flv_file_reader.h"

namespace librtmp_node {

Status SendFlvFile(Session& session, const std::string& path, FileSendCounts* counts) {
  FlvFileReader reader;
  Status status = reader.Open(path);
  while (status.ok()) {
    if (session.interrupted()) return Status::Error(code::kAborted, "sending the file was aborted");
    OutgoingBatch batch(256);
    status = reader.Next(&batch);
    if (!status.ok() || batch.messages().empty()) break;
    status = session.Write(batch);
    if (!status.ok()) break;
    for (const OutgoingBatch::Message& m : batch.messages()) counts->bytes += m.size;
    counts->tags += batch.messages().size();
  }
  return status;
}

}  // namespace librtmp_node
