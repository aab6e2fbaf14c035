// An encoder's H.264 Annex-B byte stream, read in pieces of any size, in; whole access units
// out. The native twin of lib/media/annexb-splitter.ts for the camera feed that runs on the
// connection thread (camera_sender.h): the same rule for where an access unit begins (H.264
// 7.4.1.2.3: once the unit has a slice, an AUD, SPS, PPS, SEI or the first slice of a new
// picture opens the next one), the same limits and counts. test/camera-feed.test.ts holds
// the two to the same output, byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "status.h"

namespace librtmp_node {

class AnnexBSplitter {
 public:
  explicit AnnexBSplitter(size_t maxUnitBytes) : maxUnitBytes_(maxUnitBytes) {}

  // Room for `size` more bytes at the end of the window, for read() to fill.
  uint8_t* Space(size_t size);
  // `size` bytes were written to Space(): completed access units go to `units` (copies, each
  // starting with its start code). Fails (ERR_MEDIA_INVALID) on a unit past the bound.
  Status Commit(size_t size, std::deque<std::vector<uint8_t>>* units);
  // End of stream: the last unit, if any.
  void Flush(std::deque<std::vector<uint8_t>>* units);

  // A picture has begun (a slice) whose unit is not complete yet: what the next bytes finish.
  bool unitPending() const { return unitAt_ >= 0 && unitHasSlice_; }

  uint64_t bytesIn() const { return bytesIn_; }
  // Bytes that belonged to no unit (before the first start code), zero padding not counted.
  uint64_t droppedBytes() const { return droppedBytes_; }

 private:
  size_t length() const { return end_ - begin_; }
  const uint8_t* data() const { return buffer_.data() + begin_; }
  void Scan(std::deque<std::vector<uint8_t>>* units);
  void Compact();
  void CountDropped(size_t from, size_t to);

  const size_t maxUnitBytes_;
  std::vector<uint8_t> buffer_;
  size_t begin_ = 0;  // the window is buffer_[begin_, end_)
  size_t end_ = 0;
  // Offsets into the window.
  size_t scanAt_ = 0;      // where to look for the next start code
  ptrdiff_t unitAt_ = -1;  // where the current access unit begins; -1 before the first
  bool unitHasSlice_ = false;
  uint64_t bytesIn_ = 0;
  uint64_t droppedBytes_ = 0;
};

}  // namespace librtmp_node
