// Publishes an FLV file from the connection thread: read, parse and send slice by slice,
// each slice one corked batch, with no JavaScript work per slice or per tag.
#pragma once

#include <cstdint>
#include <string>

#include "error.h"
#include "session.h"

namespace librtmp_node {

struct FileSendCounts {
  uint64_t bytes = 0;  // message bodies sent
  uint64_t tags = 0;
};

// Connection thread. Stops at the first failure (file, FLV or network) or when the session
// is interrupted; `counts` then says what had been sent.
Status SendFlvFile(Session& session, const std::string& path, FileSendCounts* counts);

}  // namespace librtmp_node
