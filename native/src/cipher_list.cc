#include "cipher_list.h"

#include <openssl/objects.h>
#include <openssl/ssl.h>

#include <memory>
#include <mutex>

#include "counted_ssl.h"
#include "engine.h"
#include "openssl_init.h"

namespace librtmp_node {
namespace {

std::string ShortName(int nid) {
  if (nid == NID_undef) return "";
  const char* sn = OBJ_nid2sn(nid);
  return sn != nullptr ? sn : std::to_string(nid);
}

}  // namespace

Status ExpandTls12Ciphers(const std::string& ciphers, const EngineOptions& engine,
                          std::vector<CipherSuite>* out) {
  std::lock_guard<std::mutex> lock(TlsGlobalLock());
  Status status = EnsureEngine(engine);
  if (!status.ok()) return status;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(NewCountedSslCtx(TLS_client_method()),
                                                        SSL_CTX_free);
  if (!ctx) return Status::Error(code::kTlsConfig, "SSL_CTX_new failed: " + TakeOpenSslErrors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx.get(), TLS1_2_VERSION);
  if (!SSL_CTX_set_cipher_list(ctx.get(), ciphers.c_str())) {
    TakeOpenSslErrors();
    return Status::Error(code::kTlsInvalidCiphers,
                         "no cipher matches the ciphers string '" + ciphers + "'");
  }
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(NewCountedSsl(ctx.get()), SSL_free);
  if (!ssl) return Status::Error(code::kTlsConfig, "SSL_new failed: " + TakeOpenSslErrors());
  STACK_OF(SSL_CIPHER)* list = SSL_get1_supported_ciphers(ssl.get());
  for (int i = 0; list != nullptr && i < sk_SSL_CIPHER_num(list); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(list, i);
    CipherSuite suite;
    suite.name = SSL_CIPHER_get_name(c);
    const char* standard = SSL_CIPHER_standard_name(c);
    suite.standardName = standard != nullptr ? standard : "";
    suite.keyExchange = ShortName(SSL_CIPHER_get_kx_nid(c));
    suite.authentication = ShortName(SSL_CIPHER_get_auth_nid(c));
    suite.bulk = ShortName(SSL_CIPHER_get_cipher_nid(c));
    suite.aead = SSL_CIPHER_is_aead(c) != 0;
    suite.mac = suite.aead ? "AEAD" : ShortName(SSL_CIPHER_get_digest_nid(c));
    out->push_back(std::move(suite));
  }
  sk_SSL_CIPHER_free(list);
  TakeOpenSslErrors();
  return Status::Ok();
}

}  // namespace librtmp_node
