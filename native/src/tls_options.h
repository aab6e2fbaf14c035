// TLS and engine settings as the binding receives them from lib/tls.ts (already validated
// and defaulted there: the CA list is never empty, versions are OpenSSL constants).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace librtmp_node {

struct TlsOptions {
  std::vector<std::string> caPem;  // trust anchors; Node's root store unless the caller gave `ca`
  bool rejectUnauthorized = true;
  // Also trust OpenSSL's default store (SSL_CERT_FILE / SSL_CERT_DIR, else the build's
  // OPENSSLDIR), as Node does under --use-openssl-ca.
  bool opensslStore = false;
  std::string servername;  // SNI and the name checked; empty: the URL's host
  int minVersion = 0;      // TLS1_2_VERSION, TLS1_3_VERSION or 0 for OpenSSL's default
  int maxVersion = 0;
  std::string ciphers;         // TLS <= 1.2, OpenSSL syntax; empty: OpenSSL's default
  std::string ciphersuites;    // TLS 1.3; empty: OpenSSL's default
  bool resumeSessions = true;  // offer and keep sessions (tls_session_cache.h); no SSL_CTX part

  // Identity of the SSL_CTX this configuration needs (contexts are shared by key).
  std::string Fingerprint() const;
};

struct EngineOptions {
  enum class Mode { kAuto, kOff, kId, kPath };
  Mode mode = Mode::kAuto;
  std::string id;    // kId: e.g. "devcrypto"; kPath: the engine id expected inside the .so
  std::string path;  // kPath: a dynamic engine shared object
  bool required = false;
  bool ciphers = true;   // ENGINE_METHOD_CIPHERS
  bool digests = false;  // ENGINE_METHOD_DIGESTS: slower than software for TLS-size records
  std::vector<std::pair<std::string, std::string>> ctrl;  // control commands, before init
};

}  // namespace librtmp_node
