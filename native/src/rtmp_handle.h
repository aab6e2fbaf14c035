// Ownership of one librtmp RTMP struct, counted as a live object.
#pragma once

#include <memory>

struct RTMP;

namespace librtmp_node {

// librtmp frees what a connection gathers (the playpath and tcUrl it parsed from the URL,
// channel tables, RTMPE keys, the SSL) in RTMP_Close, and RTMP_Free frees only the struct:
// releasing does both, also for a connection that never got as far as a socket.
struct RtmpRelease {
  void operator()(RTMP* r) const;
};

using RtmpHandle = std::unique_ptr<RTMP, RtmpRelease>;

// RTMP_Alloc + RTMP_Init; null when out of memory.
RtmpHandle NewRtmp();

}  // namespace librtmp_node
