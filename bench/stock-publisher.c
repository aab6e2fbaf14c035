// Publishes an FLV file flat out the way a stock librtmp application does: RTMP_SetupURL,
// RTMP_Connect, RTMP_ConnectStream, then RTMP_Write with one whole FLV tag per call (RTMP_Write
// cannot take a tag header or trailer split across calls). librtmp's own defaults apply:
// 128-byte chunks, one write per chunk, its global TLS context for rtmps.
//
//   stock-publisher <rtmp[s]://host:port/app/name> <file.flv>
//
// Prints one JSON line: bytes sent and the seconds from connect to close.
#include <librtmp/log.h>
#include <librtmp/rtmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double Now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s <rtmp[s]://host:port/app/name> <file.flv>\n", argv[0]);
    return 2;
  }
  FILE *in = fopen(argv[2], "rb");
  if (in == NULL) {
    perror(argv[2]);
    return 1;
  }
  RTMP_LogSetLevel(RTMP_LOGERROR);

  const double started = Now();
  RTMP *r = RTMP_Alloc();
  RTMP_Init(r);  // stock: creates librtmp's global TLS context on first use
  if (!RTMP_SetupURL(r, argv[1])) {
    fprintf(stderr, "bad URL\n");
    return 1;
  }
  RTMP_EnableWrite(r);
  if (!RTMP_Connect(r, NULL) || !RTMP_ConnectStream(r, 0)) {
    fprintf(stderr, "connect failed\n");
    return 1;
  }

  // A tag is an 11-byte header, its data and a 4-byte trailer; the first call also carries
  // the 13-byte file header, which RTMP_Write skips.
  enum { kFileHeader = 13, kTagHeader = 11, kTrailer = 4 };
  size_t cap = 1 << 20, len = 0, at = 0;
  char *buf = malloc(cap);
  long long sent = 0;
  int first = 1;
  for (;;) {
    size_t need = (first ? kFileHeader : 0) + kTagHeader;
    if (len - at >= need) {
      const unsigned char *h = (const unsigned char *)buf + at + (first ? kFileHeader : 0);
      need += ((size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3]) + kTrailer;
    }
    if (len - at < need) {  // refill, keeping the partial tag
      memmove(buf, buf + at, len - at);
      len -= at;
      at = 0;
      if (need > cap) buf = realloc(buf, cap = need);
      size_t n = fread(buf + len, 1, cap - len, in);
      if (n == 0) break;
      len += n;
      continue;
    }
    if (RTMP_Write(r, buf + at, (int)need) <= 0) {
      fprintf(stderr, "RTMP_Write failed after %lld bytes\n", sent);
      return 1;
    }
    at += need;
    sent += (long long)need;
    first = 0;
  }
  free(buf);
  RTMP_Close(r);
  RTMP_Free(r);
  fclose(in);
  printf("{\"bytes\":%lld,\"publishSeconds\":%.6f}\n", sent, Now() - started);
  return 0;
}
