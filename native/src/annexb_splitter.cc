#include "annexb_splitter.h"

#include <string.h>

#include <algorithm>
#include <string>

namespace librtmp_node {

namespace {

struct NalRole {
  bool vcl;        // a slice of the primary picture (types 1-5)
  bool opensUnit;  // opens a new access unit once the current one has a slice
};

// From the NAL header and the first bit of the slice header (first_mb_in_slice == 0 is a
// single '1' bit): the same table as h264Role() in lib/media/annexb-splitter.ts.
NalRole H264Role(const uint8_t* nal) {
  const int type = nal[0] & 0x1f;
  const bool firstSlice = (type == 1 || type == 2 || type == 5) && (nal[1] & 0x80) != 0;
  return {type >= 1 && type <= 5,
          firstSlice || (type >= 6 && type <= 9) || (type >= 14 && type <= 18)};
}

// Bytes after the start code needed to classify a NAL unit.
constexpr size_t kHeaderBytes = 2;

const uint8_t kStartCode[3] = {0, 0, 1};

}  // namespace

uint8_t* AnnexBSplitter::Space(size_t size) {
  if (buffer_.size() - end_ < size) {
    // Move the window to the front before growing: what is behind it is spent.
    if (begin_ > 0) {
      memmove(buffer_.data(), buffer_.data() + begin_, length());
      end_ -= begin_;
      begin_ = 0;
    }
    if (buffer_.size() - end_ < size) buffer_.resize(end_ + std::max(size, buffer_.size() / 2));
  }
  return buffer_.data() + end_;
}

Status AnnexBSplitter::Commit(size_t size, std::deque<std::vector<uint8_t>>* units) {
  bytesIn_ += size;
  end_ += size;
  Scan(units);
  Compact();
  if (unitAt_ >= 0 && length() - static_cast<size_t>(unitAt_) > maxUnitBytes_) {
    begin_ = end_ = scanAt_ = 0;
    unitAt_ = -1;
    unitHasSlice_ = false;
    return Status::Error(code::kMediaInvalid, "no access unit boundary in " +
                                                  std::to_string(maxUnitBytes_) +
                                                  " bytes: not an H.264 Annex-B stream?");
  }
  return Status::Ok();
}

void AnnexBSplitter::Flush(std::deque<std::vector<uint8_t>>* units) {
  if (unitAt_ >= 0 && length() > static_cast<size_t>(unitAt_)) {
    units->emplace_back(data() + unitAt_, data() + length());
  } else {
    CountDropped(0, length());
  }
  begin_ = end_ = scanAt_ = 0;
  unitAt_ = -1;
  unitHasSlice_ = false;
}

void AnnexBSplitter::Scan(std::deque<std::vector<uint8_t>>* units) {
  const uint8_t* d = data();
  const size_t len = length();
  for (;;) {
    const void* found = scanAt_ < len
                            ? memmem(d + scanAt_, len - scanAt_, kStartCode, sizeof(kStartCode))
                            : nullptr;
    if (found == nullptr) {
      // The last two bytes may begin a start code that the next read completes.
      if (len >= 2) scanAt_ = std::max(scanAt_, len - 2);
      return;
    }
    const size_t at = static_cast<const uint8_t*>(found) - d;
    const size_t nalAt = at + 3;
    if (nalAt + kHeaderBytes > len) {
      scanAt_ = at;  // classify once the NAL header is here
      return;
    }
    // A zero byte before 00 00 01 is a 4-byte start code's zero_byte: part of this prefix.
    const bool zeroByte = at > 0 && d[at - 1] == 0 &&
                          static_cast<ptrdiff_t>(at - 1) >= std::max<ptrdiff_t>(unitAt_, 0);
    const size_t codeAt = zeroByte ? at - 1 : at;
    const NalRole role = H264Role(d + nalAt);
    if (unitAt_ < 0) {
      CountDropped(0, codeAt);
      unitAt_ = static_cast<ptrdiff_t>(codeAt);
    } else if (unitHasSlice_ && role.opensUnit) {
      units->emplace_back(d + unitAt_, d + codeAt);
      unitAt_ = static_cast<ptrdiff_t>(codeAt);
      unitHasSlice_ = false;
    }
    if (role.vcl) unitHasSlice_ = true;
    scanAt_ = nalAt;
  }
}

// Drops what is behind the current unit (before the first start code: all but the bytes that
// may begin one).
void AnnexBSplitter::Compact() {
  size_t drop;
  if (unitAt_ >= 0) {
    drop = static_cast<size_t>(unitAt_);
    unitAt_ = 0;
  } else {
    const ptrdiff_t keepFrom = std::min<ptrdiff_t>(static_cast<ptrdiff_t>(length()) - 3,
                                                   static_cast<ptrdiff_t>(scanAt_) - 1);
    drop = static_cast<size_t>(std::max<ptrdiff_t>(0, keepFrom));
    CountDropped(0, drop);
  }
  begin_ += drop;
  scanAt_ = scanAt_ > drop ? scanAt_ - drop : 0;
  if (begin_ == end_) begin_ = end_ = 0;
}

// Leading zero bytes are legal padding (leading_zero_8bits), not lost data.
void AnnexBSplitter::CountDropped(size_t from, size_t to) {
  const uint8_t* d = data();
  for (size_t i = from; i < to; ++i)
    if (d[i] != 0) ++droppedBytes_;
}

}  // namespace librtmp_node
