// What a TLS 1.2 cipher string expands to in the addon's own OpenSSL (Node's OpenSSL 3
// and the system's `openssl` are other libraries with other lists): for `librtmp info`.
#pragma once

#include <string>
#include <vector>

#include "status.h"
#include "tls_options.h"

namespace librtmp_node {

struct CipherSuite {
  std::string name;          // OpenSSL's name, e.g. ECDHE-RSA-AES128-SHA256
  std::string standardName;  // the IANA name
  std::string keyExchange;   // e.g. kx-ecdhe
  std::string authentication;
  std::string bulk;  // the EVP cipher, as engines name it: AES-128-CBC
  std::string mac;   // the MAC digest, or "AEAD"
  bool aead = false;
};

// Expands `ciphers` for TLS 1.2. Creating the SSL_CTX this needs settles the process's
// engine decision first (with `engine`), exactly as a connection would.
Status ExpandTls12Ciphers(const std::string& ciphers, const EngineOptions& engine,
                          std::vector<CipherSuite>* out);

}  // namespace librtmp_node
