// SSL_CTX objects owned by the binding (librtmp's global context is never used): one per
// distinct TLS configuration, shared by every connection that asks for it, created only
// after the engine decision.
#pragma once

#include <openssl/ssl.h>

#include <memory>

#include "status.h"
#include "tls_options.h"

namespace librtmp_node {

using SslCtxPtr = std::shared_ptr<SSL_CTX>;

// Blocking-free but CPU-bound (parses the trust store once per configuration); runs on a
// connection thread. On failure returns null and sets *status.
SslCtxPtr AcquireTlsContext(const TlsOptions& tls, const EngineOptions& engine, Status* status);

}  // namespace librtmp_node
