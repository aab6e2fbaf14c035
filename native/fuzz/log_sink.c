#include "log_sink.h"

#include <librtmp/log.h>
#include <stdarg.h>
#include <stdio.h>

// Formatting is the point: librtmp logs server strings, and a "%s" on one that is not
// NUL-terminated reads past its packet (native/patches/0015). vsnprintf reads every argument,
// and ASan checks what it reads; printing would only slow the fuzzer down.
static void FormatAndDrop(int level, const char* format, va_list args) {
  char line[2048];
  (void)level;
  vsnprintf(line, sizeof(line), format, args);
}

void FuzzLogSinkInstall(void) {
  RTMP_LogSetCallback(FormatAndDrop);
  RTMP_LogSetLevel(RTMP_LOGALL);
}
