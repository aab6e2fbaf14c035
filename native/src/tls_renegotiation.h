// TLS renegotiation is refused (SSL_OP_NO_RENEGOTIATION on every context): a renegotiation
// can change the peer's certificate mid-stream, and it has carried attacks of its own
// (CVE-2009-3555, CVE-2011-1473, CVE-2021-3449). What the server sees is a
// no_renegotiation alert, and it ends the connection; what the client sees is only a
// closed socket. This watch remembers that the refusal happened, so the failure can say
// so with its own code (ERR_TLS_RENEGOTIATION) instead of a bare "connection closed".
// TLS 1.3 has no renegotiation; its KeyUpdate is not affected.
#pragma once

#include <openssl/ssl.h>

namespace librtmp_node {

// Sets *refused (owned by the caller, outliving `ssl`) when this client refuses a
// server's HelloRequest. Connection thread only.
void WatchRenegotiation(SSL* ssl, bool* refused);

}  // namespace librtmp_node
