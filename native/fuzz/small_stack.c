#include "small_stack.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

// With the usual 8 MB, recursion once per nesting level of a server's data (AMF objects)
// overflows only on inputs of ~50 KB, which libFuzzer hardly ever grows to; with 256 KB a few
// hundred levels, 1-2 KB of input, are enough. The main thread's stack grows on demand and
// the kernel checks each growth against the current limit, so lowering it here takes effect.
void FuzzLimitStack(void) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_STACK, &limit) != 0) {
    perror("getrlimit");
    abort();
  }
  limit.rlim_cur = FUZZ_STACK_BYTES;
  if (setrlimit(RLIMIT_STACK, &limit) != 0) {
    perror("setrlimit");
    abort();
  }
}
