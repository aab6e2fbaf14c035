#include "adts_splitter.h"

#include <string.h>

#include <algorithm>

namespace librtmp_node {

namespace {

constexpr size_t kAdtsHeaderSize = 7;
constexpr size_t kAdtsCrcSize = 2;
constexpr uint32_t kSamplingFrequencies[] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                             22050, 16000, 12000, 11025, 8000,  7350};

// The checks of readAdtsHeader() in lib/media/aac.ts: false for anything that is not a
// header this feed can send (the splitter then looks for the next sync word).
bool ReadHeader(const uint8_t* h, AdtsFrame* out, uint32_t* frameLength) {
  if (h[0] != 0xff || (h[1] & 0xf0) != 0xf0) return false;
  if ((h[1] & 0x06) != 0) return false;  // layer
  const bool protectionAbsent = (h[1] & 0x01) == 1;
  const uint8_t frequencyIndex = (h[2] >> 2) & 0x0f;
  const uint8_t channelConfig = static_cast<uint8_t>(((h[2] & 0x01) << 2) | (h[3] >> 6));
  const uint32_t length = ((h[3] & 0x03u) << 11) | (uint32_t{h[4]} << 3) | (h[5] >> 5);
  const int rawBlocks = (h[6] & 0x03) + 1;
  const size_t headerSize = kAdtsHeaderSize + (protectionAbsent ? 0 : kAdtsCrcSize);
  if (frequencyIndex >= sizeof(kSamplingFrequencies) / sizeof(kSamplingFrequencies[0]))
    return false;
  if (channelConfig == 0 || rawBlocks != 1 || length <= headerSize) return false;
  out->objectType = static_cast<uint8_t>((h[2] >> 6) + 1);
  out->frequencyIndex = frequencyIndex;
  out->channelConfig = channelConfig;
  out->headerSize = static_cast<uint8_t>(headerSize);
  out->sampleRate = kSamplingFrequencies[frequencyIndex];
  *frameLength = length;
  return true;
}

}  // namespace

uint8_t* AdtsSplitter::Space(size_t size) {
  if (buffer_.size() - end_ < size) {
    if (begin_ > 0) {
      memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (buffer_.size() - end_ < size) buffer_.resize(end_ + std::max(size, buffer_.size() / 2));
  }
  return buffer_.data() + end_;
}

void AdtsSplitter::Commit(size_t size, std::deque<AdtsFrame>* frames) {
  bytesIn_ += size;
  end_ += size;
  const uint8_t* d = buffer_.data() + begin_;
  const size_t len = end_ - begin_;
  size_t at = 0;
  while (len - at >= kAdtsHeaderSize) {
    AdtsFrame frame;
    uint32_t frameLength = 0;
    if (!ReadHeader(d + at, &frame, &frameLength)) {
      // Skip to the next byte that may begin a sync word, counting what is skipped.
      const size_t from = at + 1;
      const void* next = from < len ? memchr(d + from, 0xff, len - from) : nullptr;
      const size_t to = next != nullptr ? static_cast<const uint8_t*>(next) - d : len;
      droppedBytes_ += to - from + 1;
      at = to;
      continue;
    }
    if (len - at < frameLength) break;
    frame.data.assign(d + at, d + at + frameLength);
    frames->push_back(std::move(frame));
    at += frameLength;
  }
  begin_ += at;
  if (begin_ == end_) begin_ = end_ = 0;
}

void AdtsSplitter::Flush() {
  droppedBytes_ += end_ - begin_;
  begin_ = end_ = 0;
}

}  // namespace librtmp_node
