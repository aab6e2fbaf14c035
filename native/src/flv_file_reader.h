// Reads an FLV file on the connection thread in large slices and hands out its whole tags
// as messages that point into the reader's buffer: the file's bytes are copied once into
// a buffer that stays warm in the cache, then once more into librtmp's send buffer. No
// JavaScript object exists per slice or per tag.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "status.h"

namespace librtmp_node {

// One tag: its body points into the reader's buffer.
struct FlvFileTag {
  uint8_t type;  // 8 audio, 9 video, 18 script
  uint32_t timestamp;
  const uint8_t* body;
  uint32_t size;
};

class FlvFileReader {
 public:
  // Big enough that one slice becomes one corked batch of full TLS records, small enough to
  // stay in a core's L2 cache between the read and the gather (FFmpeg reads 32 KB at a time).
  static constexpr size_t kDefaultSliceBytes = 256 * 1024;
  static constexpr size_t kMinSliceBytes = 16;

  // `sliceBytes` (at least kMinSliceBytes): how much one read asks for; the buffer grows
  // past it only for a tag that does not fit.
  explicit FlvFileReader(size_t sliceBytes = kDefaultSliceBytes);
  ~FlvFileReader();
  FlvFileReader(const FlvFileReader&) = delete;
  FlvFileReader& operator=(const FlvFileReader&) = delete;

  Status Open(const std::string& path);

  // Replaces `tags` with the whole tags the buffer now holds, reading more first when it
  // holds none. The bodies stay valid until the next call. No tags: the end of the file.
  Status Next(std::vector<FlvFileTag>* tags);

 private:
  Status Fill();
  bool SkipFileHeader(Status* failure);
  Status ParseError(const std::string& what) const;

  const size_t sliceBytes_;
  std::string path_;
  int fd_ = -1;
  std::vector<uint8_t> buffer_;
  size_t begin_ = 0;           // the first byte not yet handed out
  size_t end_ = 0;             // one past the last byte read
  uint64_t bufferOffset_ = 0;  // the file offset of buffer_[0]
  size_t needed_ = 0;          // the whole size of a tag (or header) that does not fit yet
  bool eof_ = false;
  bool started_ = false;  // past the file header
};

}  // namespace librtmp_node
