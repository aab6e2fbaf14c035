// A small stack for the fuzz targets, so that deep recursion shows up at small input sizes.
#ifndef NODE_LIBRTMP_FUZZ_SMALL_STACK_H_
#define NODE_LIBRTMP_FUZZ_SMALL_STACK_H_

// Bytes of stack a fuzz target may use: what a thread on a small device may get.
#define FUZZ_STACK_BYTES (256 * 1024)

// Lowers the stack limit to FUZZ_STACK_BYTES. Call once (from LLVMFuzzerInitialize).
void FuzzLimitStack(void);

#endif  // NODE_LIBRTMP_FUZZ_SMALL_STACK_H_
