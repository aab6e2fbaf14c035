#include "librtmp_heap.h"

#include <malloc.h>

#include <atomic>

namespace librtmp_node {
namespace {

std::atomic<int64_t> blocks{0};
std::atomic<int64_t> bytes{0};

// Usable sizes, not requested ones: they are the same at allocation and at free, without
// keeping a size next to each block.
int64_t SizeOf(void* block) { return static_cast<int64_t>(malloc_usable_size(block)); }

void Allocated(void* block) {
  blocks.fetch_add(1, std::memory_order_relaxed);
  bytes.fetch_add(SizeOf(block), std::memory_order_relaxed);
}

void Released(void* block) {
  blocks.fetch_sub(1, std::memory_order_relaxed);
  bytes.fetch_sub(SizeOf(block), std::memory_order_relaxed);
}

void Resized(int64_t before, void* block) {
  bytes.fetch_add(SizeOf(block) - before, std::memory_order_relaxed);
}

}  // namespace

LibrtmpHeapUse CurrentLibrtmpHeapUse() {
  return {blocks.load(std::memory_order_relaxed), bytes.load(std::memory_order_relaxed)};
}

}  // namespace librtmp_node

extern "C" {

void* librtmp_heap_malloc(size_t size) {
  void* block = malloc(size);
  if (block != nullptr) librtmp_node::Allocated(block);
  return block;
}

void* librtmp_heap_calloc(size_t count, size_t size) {
  void* block = calloc(count, size);
  if (block != nullptr) librtmp_node::Allocated(block);
  return block;
}

void* librtmp_heap_realloc(void* block, size_t size) {
  if (block == nullptr) return librtmp_heap_malloc(size);
  if (size == 0) {  // what glibc does, made explicit so that the count follows
    librtmp_heap_free(block);
    return nullptr;
  }
  const int64_t before = librtmp_node::SizeOf(block);
  void* moved = realloc(block, size);
  // On failure the old block is still there, and still counted.
  if (moved != nullptr) librtmp_node::Resized(before, moved);
  return moved;
}

void librtmp_heap_free(void* block) {
  if (block == nullptr) return;
  librtmp_node::Released(block);
  free(block);
}

char* librtmp_heap_strdup(const char* text) {
  char* copy = strdup(text);
  if (copy != nullptr) librtmp_node::Allocated(copy);
  return copy;
}

}  // extern "C"
