// One H.264 access unit (Annex-B) sorted out as lib/media/h264.ts's H264Packetizer sorts it:
// NAL units checked (none empty, forbidden bit clear, none truncated), parameter sets set
// apart, AUDs and filler dropped, the rest kept for the frame; B-frames refused as
// lib/media/byte-stream-feed.ts refuses them (a byte stream is stamped in decoding order).
// The native camera feed's packetizer (camera_sender.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "status.h"

namespace librtmp_node {

struct AccessUnitNals {
  struct Nal {
    size_t at;  // offset in the access unit
    size_t size;
  };
  std::vector<Nal> kept;               // for the frame, in order
  size_t keptBytes = 0;                // their size with a 4-byte length each
  std::vector<uint8_t> parameterSets;  // SPS and PPS NAL units, each after a start code
  bool keyframe = false;               // has an IDR slice
  int slices = 0;
};

// Fails with ERR_MEDIA_INVALID, saying why.
Status SortAccessUnit(const uint8_t* data, size_t size, AccessUnitNals* out);

// The kept NAL units, each after its 4-byte length (lengthSizeMinusOne = 3), appended to `body`.
void AppendLengthPrefixed(const uint8_t* data, const AccessUnitNals& nals,
                          std::vector<uint8_t>* body);

}  // namespace librtmp_node
