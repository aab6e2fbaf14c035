#include "tls_context.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <iterator>
#include <map>
#include <string>

#include "counted_ssl.h"
#include "engine.h"
#include "openssl_init.h"
#include "tls_session_cache.h"

namespace librtmp_node {
namespace {

std::string Sha256Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

// Adds every certificate of every PEM blob; returns how many were added.
int AddTrustAnchors(X509_STORE* store, const std::vector<std::string>& pems) {
  int added = 0;
  for (const std::string& pem : pems) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      if (X509_STORE_add_cert(store, cert)) ++added;
      X509_free(cert);
    }
    BIO_free(bio);
  }
  ERR_clear_error();  // the loop ends on a "no start line" error by design
  return added;
}

Status Configure(SSL_CTX* ctx, const TlsOptions& tls) {
  // No renegotiation, ever (tls_renegotiation.h): a server's HelloRequest is answered with a
  // no_renegotiation alert.
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  EnableSessionCaching(ctx);
  // Verification is always computed; rejectUnauthorized only decides whether a failure
  // aborts the handshake (the result is reported by tlsInfo() either way).
  SSL_CTX_set_verify(ctx, tls.rejectUnauthorized ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  const int added = AddTrustAnchors(store, tls.caPem);
  // The default store is looked up lazily (a hashed directory): nothing to count here.
  if (tls.opensslStore) {
    X509_STORE_set_default_paths(store);
    ERR_clear_error();  // a default file or directory that does not exist is not an error
  } else if (added == 0 && tls.rejectUnauthorized) {
    return Status::Error(code::kTlsConfig, "no usable CA certificate in the trust store");
  }
  if (!SSL_CTX_set_min_proto_version(ctx, tls.minVersion) ||
      !SSL_CTX_set_max_proto_version(ctx, tls.maxVersion)) {
    return Status::Error(code::kTlsConfig, "unsupported TLS protocol version range");
  }
  if (!tls.ciphers.empty() && !SSL_CTX_set_cipher_list(ctx, tls.ciphers.c_str())) {
    return Status::Error(code::kTlsInvalidCiphers,
                         "no cipher matches the ciphers string '" + tls.ciphers + "'");
  }
  if (!tls.ciphersuites.empty() && !SSL_CTX_set_ciphersuites(ctx, tls.ciphersuites.c_str())) {
    return Status::Error(code::kTlsInvalidCiphers,
                         "invalid TLS 1.3 ciphersuites string '" + tls.ciphersuites + "'");
  }
  return Status::Ok();
}

}  // namespace

std::string TlsOptions::Fingerprint() const {
  std::string key;
  for (const std::string& pem : caPem) key += Sha256Hex(pem) + ",";
  if (opensslStore) {
    // Read when the context is made: a changed environment needs a new context.
    const char* file = getenv(X509_get_default_cert_file_env());
    const char* dir = getenv(X509_get_default_cert_dir_env());
    key += std::string("|openssl-store:") + (file ? file : "") + "|" + (dir ? dir : "");
  }
  key += "|" + std::to_string(rejectUnauthorized) + "|" + std::to_string(minVersion) + "|" +
         std::to_string(maxVersion) + "|" + ciphers + "|" + ciphersuites;
  return Sha256Hex(key);
}

SslCtxPtr AcquireTlsContext(const TlsOptions& tls, const EngineOptions& engine, Status* status) {
  std::lock_guard<std::mutex> lock(TlsGlobalLock());
  *status = EnsureEngine(engine);
  if (!status->ok()) return nullptr;

  // Weak entries: a context lives as long as some connection uses it.
  static std::map<std::string, std::weak_ptr<SSL_CTX>> cache;
  const std::string key = tls.Fingerprint();
  if (SslCtxPtr existing = cache[key].lock()) return existing;

  SSL_CTX* raw = NewCountedSslCtx(TLS_client_method());
  if (raw == nullptr) {
    *status = Status::Error(code::kTlsConfig, "SSL_CTX_new failed: " + TakeOpenSslErrors());
    return nullptr;
  }
  SslCtxPtr ctx(raw, SSL_CTX_free);
  *status = Configure(raw, tls);
  ERR_clear_error();
  if (!status->ok()) return nullptr;
  // Drop entries whose contexts every connection has released, so the map stays small.
  for (auto it = cache.begin(); it != cache.end();) {
    it = it->second.expired() ? cache.erase(it) : std::next(it);
  }
  cache[key] = ctx;
  return ctx;
}

}  // namespace librtmp_node
