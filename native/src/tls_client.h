// The client side of one TLS connection: SNI, host/IP verification, the handshake on the
// connection thread, and what tlsInfo() reports afterwards.
#pragma once

#include <openssl/ssl.h>

#include <string>

#include "status.h"
#include "tls_context.h"

namespace librtmp_node {

struct TlsInfo {
  std::string protocol;  // "TLSv1.2"
  std::string cipher;    // OpenSSL name, e.g. "ECDHE-RSA-AES128-SHA"
  std::string cipherStandardName;
  std::string servername;  // what was sent as SNI ("" for IP literals)
  std::string peerSubject;
  std::string peerIssuer;
  std::string peerFingerprint256;  // "AB:CD:..." like Node's fingerprint256
  bool authorized = false;
  std::string authorizationError;
  std::string engineId;          // engine in force for this process, "" for software
  bool engineServed = false;     // the negotiated record cipher runs on that engine
  bool macEngineServed = false;  // and the record MAC's hash (CBC suites only)
  bool resumed = false;          // an abbreviated handshake on a cached session
  double handshakeCpuMs = 0;     // this thread's CPU in SSL_connect
  double handshakeMs = 0;        // SSL_connect's wall time
};

// Handshakes on the connected socket `fd` (blocking, bounded by its socket timeouts).
// `host` is the URL's host, checked against the certificate unless tls.servername names
// another; with `port` it keys the session cache (tls_session_cache.h). On success *out
// owns the SSL (librtmp's RTMP_Close frees it later).
Status TlsHandshake(const SslCtxPtr& ctx, int fd, const std::string& host, int port,
                    const TlsOptions& tls, SSL** out, TlsInfo* info);

bool IsIpLiteral(const std::string& host);

}  // namespace librtmp_node
