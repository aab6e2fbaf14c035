// The names a server's certificate is for, for the message of a host-name mismatch: a user
// who asked for one host and reached another needs to see both. OpenSSL keeps no peer
// certificate after a failed verification, so the leaf's names are taken by a verify
// callback during the handshake.
#pragma once

#include <openssl/ssl.h>

#include <string>

namespace librtmp_node {

// "DNS:a.example, IP:127.0.0.1", or "CN=name" when the certificate has no subjectAltName.
std::string CertificateNames(X509* cert);

// While alive, records the names of the certificate the server presents on `ssl` (on the
// calling thread, which runs the handshake).
class PeerNameCapture {
 public:
  explicit PeerNameCapture(SSL* ssl);
  ~PeerNameCapture();
  PeerNameCapture(const PeerNameCapture&) = delete;
  PeerNameCapture& operator=(const PeerNameCapture&) = delete;

  const std::string& names() const { return names_; }

  // The verify callback it installs; another watcher set after it calls it in turn.
  static int OnVerify(int preverifyOk, X509_STORE_CTX* ctx);

 private:
  std::string names_;
  PeerNameCapture* previous_;
};

// For a host-name or IP mismatch: " (asked for 'HOST'; the certificate is for NAMES)".
std::string MismatchDetail(long verifyResult, const std::string& asked, const std::string& names);

}  // namespace librtmp_node
