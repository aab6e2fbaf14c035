// libFuzzer target: the FLV file reader behind connection.sendFile() on any bytes as a file.
//
// Input: one byte that sets the read slice (16 + 4 × byte bytes, so inputs cross slice
// boundaries and tags outgrow the buffer), then the file's bytes, served from a memfd.
// Every body handed out is read end to end, so ASan sees a view past the buffer; the only
// failure an input may cause is ERR_FLV_PARSE, and the reader must reach the end of the file.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "flv_file_reader.h"

using librtmp_node::FlvFileReader;
using librtmp_node::FlvFileTag;
using librtmp_node::Status;

namespace {

bool WriteAll(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t slice = FlvFileReader::kMinSliceBytes + 4 * size_t{data[0]};
  const int fd = memfd_create("flv", MFD_CLOEXEC);
  if (fd < 0 || !WriteAll(fd, data + 1, size - 1)) abort();
  FlvFileReader reader(slice);
  Status status = reader.Open("/proc/self/fd/" + std::to_string(fd));
  if (!status.ok()) abort();
  std::vector<FlvFileTag> tags;
  uint64_t bodyBytes = 0;
  volatile uint8_t sink = 0;
  for (;;) {
    status = reader.Next(&tags);
    if (!status.ok() || tags.empty()) break;
    for (const FlvFileTag& tag : tags) {
      if (tag.type != 8 && tag.type != 9 && tag.type != 18) abort();
      for (uint32_t i = 0; i < tag.size; ++i) sink = sink ^ tag.body[i];
      bodyBytes += tag.size;
    }
  }
  if (!status.ok() && status.code != std::string("ERR_FLV_PARSE")) abort();
  // Bodies are parts of the file: never more than it holds.
  if (bodyBytes > size) abort();
  close(fd);
  return 0;
}
