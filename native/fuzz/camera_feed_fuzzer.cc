// libFuzzer target: what the native camera feed (connection.sendCamera()) does to an
// encoder's bytes, on any bytes: the Annex-B splitter in reads of any size, each access unit
// sorted into NAL units and length-prefixed, and the ADTS splitter on the same bytes.
//
// Input: one byte that sets the read size (1 + byte bytes, so units cross reads), then the
// stream. Every unit and frame handed out is read end to end (ASan sees a view past its
// buffer); the splitters must account for every byte: units + dropped = bytes in (Annex-B,
// where zero padding is not counted as dropped, at most), frames + dropped = bytes in (ADTS).
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <vector>

#include "adts_splitter.h"
#include "annexb_splitter.h"
#include "h264_access_unit.h"

using librtmp_node::AccessUnitNals;
using librtmp_node::AdtsFrame;
using librtmp_node::AdtsSplitter;
using librtmp_node::AnnexBSplitter;
using librtmp_node::Status;

namespace {

constexpr size_t kMaxUnitBytes = 4096;

volatile uint8_t sink = 0;

void ReadAll(const std::vector<uint8_t>& bytes) {
  for (uint8_t b : bytes) sink = sink ^ b;
}

void TakeUnits(std::deque<std::vector<uint8_t>>* units, uint64_t* unitBytes) {
  for (; !units->empty(); units->pop_front()) {
    const std::vector<uint8_t>& unit = units->front();
    *unitBytes += unit.size();
    AccessUnitNals nals;
    if (!librtmp_node::SortAccessUnit(unit.data(), unit.size(), &nals).ok()) continue;
    std::vector<uint8_t> body;
    librtmp_node::AppendLengthPrefixed(unit.data(), nals, &body);
    if (body.size() != nals.keptBytes) abort();
    ReadAll(body);
    ReadAll(nals.parameterSets);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t readSize = 1 + size_t{data[0]};
  const uint8_t* stream = data + 1;
  const size_t length = size - 1;

  AnnexBSplitter video(kMaxUnitBytes);
  std::deque<std::vector<uint8_t>> units;
  uint64_t unitBytes = 0;
  for (size_t at = 0; at < length; at += readSize) {
    const size_t n = std::min(readSize, length - at);
    std::copy(stream + at, stream + at + n, video.Space(n));
    Status s = video.Commit(n, &units);
    TakeUnits(&units, &unitBytes);
    if (!s.ok()) {
      if (s.code != librtmp_node::code::kMediaInvalid) abort();
      return 0;  // an oversized unit ends the feed
    }
  }
  video.Flush(&units);
  TakeUnits(&units, &unitBytes);
  if (video.bytesIn() != length || unitBytes + video.droppedBytes() > length) abort();

  AdtsSplitter audio;
  std::deque<AdtsFrame> frames;
  uint64_t frameBytes = 0;
  for (size_t at = 0; at < length; at += readSize) {
    const size_t n = std::min(readSize, length - at);
    std::copy(stream + at, stream + at + n, audio.Space(n));
    audio.Commit(n, &frames);
    for (; !frames.empty(); frames.pop_front()) {
      const AdtsFrame& frame = frames.front();
      if (frame.data.size() <= frame.headerSize || frame.sampleRate == 0) abort();
      frameBytes += frame.data.size();
      ReadAll(frame.data);
    }
  }
  audio.Flush();
  if (audio.bytesIn() != length || frameBytes + audio.droppedBytes() != length) abort();
  return 0;
}
