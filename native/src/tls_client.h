// The client side of one TLS connection: SNI, host/IP verification, the handshake on the
// connection thread, and what tlsInfo() reports afterwards.
#pragma once

#include <openssl/ssl.h>

#include <memory>
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

using SslPtr = std::unique_ptr<SSL, decltype(&SSL_free)>;

// Makes the SSL for a connection to `host`, or to tls.servername when given: the SNI it
// sends and the name (or IP address) the certificate must carry. Before the TCP connect, so
// a name OpenSSL refuses (ERR_TLS_CONFIG) costs the server nothing.
Status NewTlsClient(const SslCtxPtr& ctx, const std::string& host, const TlsOptions& tls,
                    SslPtr* out, TlsInfo* info);

// Handshakes `ssl` (from NewTlsClient, still the caller's) on the connected socket `fd`
// (blocking, bounded by its socket timeouts). `host` and `port` key the session cache
// (tls_session_cache.h). *renegotiationRefused (the caller's, outliving the SSL) is set
// when the server later asks to renegotiate (tls_renegotiation.h).
Status TlsHandshake(SSL* ssl, int fd, const std::string& host, int port, const TlsOptions& tls,
                    bool* renegotiationRefused, TlsInfo* info);

}  // namespace librtmp_node
