/* librtmp's heap, counted. Force-included into librtmp's C sources (cmake/librtmp.cmake),
   where it sends malloc/calloc/realloc/free/strdup through the functions below: every
   block librtmp allocates for a connection (URL parts, packets, AMF objects, RTMPE keys,
   send buffers) is counted until it is freed, so that liveObjects() can show that a closed
   connection left none behind. Without the redirect (the addon's C++) it only declares them:
   memory librtmp allocated must be freed with librtmp_heap_free, never plain free(). */
#ifndef NATIVE_SRC_LIBRTMP_HEAP_H_
#define NATIVE_SRC_LIBRTMP_HEAP_H_

#include <stddef.h>
/* Declared before the macros below exist, so these prototypes stay the libc ones. */
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

void* librtmp_heap_malloc(size_t size);
void* librtmp_heap_calloc(size_t count, size_t size);
void* librtmp_heap_realloc(void* block, size_t size);
void librtmp_heap_free(void* block);
char* librtmp_heap_strdup(const char* text);

#ifdef __cplusplus
}

#include <cstdint>

namespace librtmp_node {

struct LibrtmpHeapUse {
  int64_t blocks;  // allocated by librtmp and not yet freed
  int64_t bytes;   // their usable size
};

LibrtmpHeapUse CurrentLibrtmpHeapUse();

}  // namespace librtmp_node
#endif

#ifdef NODE_LIBRTMP_COUNT_HEAP
#define malloc(size) librtmp_heap_malloc(size)
#define calloc(count, size) librtmp_heap_calloc(count, size)
#define realloc(block, size) librtmp_heap_realloc(block, size)
#define free(block) librtmp_heap_free(block)
#define strdup(text) librtmp_heap_strdup(text)
#endif

#endif /* NATIVE_SRC_LIBRTMP_HEAP_H_ */
