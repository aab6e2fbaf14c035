// Process-wide counts of the native objects the addon owns, so that tests and soak runs can
// prove that connections leave nothing behind (read from JS with the addon's liveObjects()).
// Counted where the objects really begin and end: OpenSSL reports SSL and SSL_CTX
// destruction itself (counted_ssl.h), librtmp's heap goes through librtmp_heap.h.
#pragma once

#include <cstdint>

namespace librtmp_node {

enum class LiveObject {
  kConnection,  // JS-facing Connection wrappers (until garbage-collected)
  kSession,     // Session objects (one per ConnectionThread)
  kThread,      // connection threads that have started and not yet returned
  kRtmp,        // librtmp RTMP structs
  kSsl,         // SSL objects (one per RTMPS connection)
  kSslCtx,      // SSL_CTX objects (shared per TLS configuration)
  kCount
};

void CountCreated(LiveObject kind);
void CountDestroyed(LiveObject kind);
int64_t LiveCount(LiveObject kind);
// The name liveObjects() reports the count under.
const char* LiveObjectName(LiveObject kind);

// A member that counts its owner as live for as long as the owner exists.
template <LiveObject kKind>
class LiveToken {
 public:
  LiveToken() { CountCreated(kKind); }
  LiveToken(const LiveToken&) : LiveToken() {}
  LiveToken& operator=(const LiveToken&) { return *this; }
  ~LiveToken() { CountDestroyed(kKind); }
};

}  // namespace librtmp_node
