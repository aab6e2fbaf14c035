// librtmp's calloc, capped (linked with -Wl,--wrap=calloc into the packet reader target only).
//
// RTMP_ReadPacket allocates a message's whole body, up to the 16 MB a chunk header can claim,
// before any of it arrives. Under ASan each such allocation costs milliseconds (its shadow is
// written on allocation and on free), and mutated headers claim megabytes all the time: the
// target ran at ~60 inputs/s. Above 1 MB (nginx-rtmp's default max_message) calloc fails here
// instead, as on a device short of memory: librtmp must handle that too, and it is cheap.
#include <stddef.h>

#define FUZZ_MAX_CALLOC_BYTES (1024 * 1024)

void* __real_calloc(size_t count, size_t size);

void* __wrap_calloc(size_t count, size_t size) {
  if (size != 0 && count > FUZZ_MAX_CALLOC_BYTES / size) return NULL;
  return __real_calloc(count, size);
}
