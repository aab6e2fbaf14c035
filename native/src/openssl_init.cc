#include "openssl_init.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace librtmp_node {

void InitOpenSsl() {
  static std::once_flag once;
  std::call_once(once, [] {
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_LOAD_SSL_STRINGS |
                         OPENSSL_INIT_LOAD_CRYPTO_STRINGS,
                     nullptr);
    ERR_clear_error();
  });
}

std::mutex& TlsGlobalLock() {
  static std::mutex lock;
  return lock;
}

std::string TakeOpenSslErrors() {
  std::string out;
  unsigned long e;
  char buf[256];
  while ((e = ERR_get_error()) != 0) {
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

}  // namespace librtmp_node
