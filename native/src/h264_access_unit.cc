#include "h264_access_unit.h"

#include <string.h>

#include <algorithm>
#include <string>

namespace librtmp_node {

namespace {

// H.264 NAL unit types treated apart (H.264 Table 7-1).
constexpr int kNalSlice = 1;
constexpr int kNalIdr = 5;
constexpr int kNalSps = 7;
constexpr int kNalPps = 8;
constexpr int kNalAud = 9;
constexpr int kNalEndOfSequence = 10;
constexpr int kNalEndOfStream = 11;
constexpr int kNalFiller = 12;

const uint8_t kStartCode[3] = {0, 0, 1};

Status MediaError(std::string message) {
  return Status::Error(code::kMediaInvalid, std::move(message));
}

// Exp-Golomb reading over a slice header's first bytes, emulation prevention removed.
class RbspBits {
 public:
  RbspBits(const uint8_t* nal, size_t size) {
    int zeros = 0;
    for (size_t i = 1; i < size && rbsp_.size() < 16; ++i) {  // past the NAL header
      if (zeros >= 2 && nal[i] == 3) {
        zeros = 0;
        continue;
      }
      zeros = nal[i] == 0 ? zeros + 1 : 0;
      rbsp_.push_back(nal[i]);
    }
  }

  bool Ue(uint32_t* value) {
    int leading = 0;
    for (int bit = 0; !bit;) {
      if (!Bit(&bit) || (!bit && ++leading > 31)) return false;
    }
    uint32_t rest = 0;
    for (int i = 0; i < leading; ++i) {
      int bit;
      if (!Bit(&bit)) return false;
      rest = (rest << 1) | static_cast<uint32_t>(bit);
    }
    *value = (uint32_t{1} << leading) - 1 + rest;
    return true;
  }

 private:
  bool Bit(int* bit) {
    if (at_ >= rbsp_.size() * 8) return false;
    *bit = (rbsp_[at_ / 8] >> (7 - at_ % 8)) & 1;
    ++at_;
    return true;
  }

  std::vector<uint8_t> rbsp_;
  size_t at_ = 0;
};

// slice_type (after first_mb_in_slice) 1 or 6: a B slice.
Status CheckNotB(const uint8_t* nal, size_t size) {
  RbspBits bits(nal, std::min<size_t>(size, 16));
  uint32_t firstMb = 0;
  uint32_t sliceType = 0;
  if (!bits.Ue(&firstMb) || !bits.Ue(&sliceType))
    return MediaError("H.264 slice header is truncated");
  if (sliceType % 5 == 1) {
    return MediaError(
        "H.264 B-frames need the encoder’s own pts and dts (writeVideo()); a byte stream is "
        "stamped in decoding order — turn B-frames off in the encoder");
  }
  return Status::Ok();
}

}  // namespace

Status SortAccessUnit(const uint8_t* d, size_t n, AccessUnitNals* out) {
  const void* first = memmem(d, n, kStartCode, 3);
  if (first == nullptr) return MediaError("access unit does not start with an Annex-B start code");
  for (size_t at = static_cast<const uint8_t*>(first) - d; at < n;) {
    const size_t nalAt = at + 3;
    const void* next = nalAt < n ? memmem(d + nalAt, n - nalAt, kStartCode, 3) : nullptr;
    const size_t codeAt = next != nullptr ? static_cast<const uint8_t*>(next) - d : n;
    size_t end = codeAt;
    while (end > nalAt && d[end - 1] == 0) --end;  // trailing_zero_8bits, or a zero_byte
    at = codeAt;
    const uint8_t* p = d + nalAt;
    const size_t size = end - nalAt;
    if (size == 0) return MediaError("access unit has an empty NAL unit");
    if (p[0] & 0x80) return MediaError("H.264 NAL unit has forbidden_zero_bit set");
    const int type = p[0] & 0x1f;
    if (size < 2 && type != kNalEndOfSequence && type != kNalEndOfStream) {
      return MediaError("H.264 NAL unit of type " + std::to_string(type) + " is truncated");
    }
    if (type == kNalSps || type == kNalPps) {
      out->parameterSets.insert(out->parameterSets.end(), kStartCode, kStartCode + 3);
      out->parameterSets.insert(out->parameterSets.end(), p, p + size);
      continue;
    }
    if (type == kNalAud || type == kNalFiller) continue;
    if (type >= kNalSlice && type <= kNalIdr) ++out->slices;
    if (type == kNalIdr) out->keyframe = true;
    if (type == kNalSlice || type == kNalIdr) {
      Status s = CheckNotB(p, size);
      if (!s.ok()) return s;
    }
    out->kept.push_back({nalAt, size});
    out->keptBytes += 4 + size;
  }
  return Status::Ok();
}

void AppendLengthPrefixed(const uint8_t* d, const AccessUnitNals& nals,
                          std::vector<uint8_t>* body) {
  body->reserve(body->size() + nals.keptBytes);
  for (const AccessUnitNals::Nal& nal : nals.kept) {
    const uint32_t size = static_cast<uint32_t>(nal.size);
    const uint8_t length[4] = {static_cast<uint8_t>(size >> 24), static_cast<uint8_t>(size >> 16),
                               static_cast<uint8_t>(size >> 8), static_cast<uint8_t>(size)};
    body->insert(body->end(), length, length + 4);
    body->insert(body->end(), d + nal.at, d + nal.at + nal.size);
  }
}

}  // namespace librtmp_node
