// librtmp's log, fully on and thrown away, for the fuzz targets.
#ifndef NODE_LIBRTMP_FUZZ_LOG_SINK_H_
#define NODE_LIBRTMP_FUZZ_LOG_SINK_H_

// Sets librtmp's level to RTMP_LOGALL with a callback that formats every message and keeps
// nothing. Call once (from LLVMFuzzerInitialize).
void FuzzLogSinkInstall(void);

#endif  // NODE_LIBRTMP_FUZZ_LOG_SINK_H_
