#include "rtmp_handle.h"

#include <librtmp/rtmp.h>

#include "live_objects.h"

namespace librtmp_node {

void RtmpRelease::operator()(RTMP* r) const {
  RTMP_Close(r);
  RTMP_Free(r);
  CountDestroyed(LiveObject::kRtmp);
}

RtmpHandle NewRtmp() {
  RTMP* r = RTMP_Alloc();
  if (r == nullptr) return nullptr;
  RTMP_Init(r);
  CountCreated(LiveObject::kRtmp);
  return RtmpHandle(r);
}

}  // namespace librtmp_node
