// An AAC ADTS byte stream, read in pieces of any size, in; whole ADTS frames out, with what
// their headers say. The native twin of lib/media/adts-splitter.ts (and of readAdtsHeader()
// in lib/media/aac.ts) for the camera feed on the connection thread: the same header checks,
// the same resynchronisation on the next 0xFF and the same count of skipped bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace librtmp_node {

struct AdtsFrame {
  std::vector<uint8_t> data;  // the whole frame, header included
  uint8_t objectType;         // MPEG-4 Audio Object Type (2 = AAC-LC)
  uint8_t frequencyIndex;
  uint8_t channelConfig;
  uint8_t headerSize;  // 7, or 9 with a CRC
  uint32_t sampleRate;
};

class AdtsSplitter {
 public:
  uint8_t* Space(size_t size);
  void Commit(size_t size, std::deque<AdtsFrame>* frames);
  // End of stream: a trailing partial frame is dropped and counted.
  void Flush();

  // Bytes of a frame not complete yet.
  bool framePending() const { return end_ > begin_; }

  uint64_t bytesIn() const { return bytesIn_; }
  uint64_t droppedBytes() const { return droppedBytes_; }

 private:
  std::vector<uint8_t> buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
  uint64_t bytesIn_ = 0;
  uint64_t droppedBytes_ = 0;
};

}  // namespace librtmp_node
