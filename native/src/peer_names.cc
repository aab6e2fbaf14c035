#include "peer_names.h"

#include <openssl/x509v3.h>

namespace librtmp_node {
namespace {

thread_local PeerNameCapture* current = nullptr;

std::string IpText(const ASN1_OCTET_STRING* ip) {
  const unsigned char* b = ASN1_STRING_get0_data(ip);
  const int len = ASN1_STRING_length(ip);
  std::string out;
  if (len == 4) {
    for (int i = 0; i < 4; ++i) out += (i ? "." : "") + std::to_string(b[i]);
  } else if (len == 16) {
    static const char* hex = "0123456789abcdef";
    for (int i = 0; i < 16; i += 2) {
      if (i) out += ':';
      const unsigned v = (b[i] << 8) | b[i + 1];
      bool started = false;
      for (int shift = 12; shift >= 0; shift -= 4) {
        const unsigned nibble = (v >> shift) & 15;
        if (nibble || started || shift == 0) {
          out += hex[nibble];
          started = true;
        }
      }
    }
  }
  return out;
}

}  // namespace

std::string CertificateNames(X509* cert) {
  if (cert == nullptr) return "";
  std::string out;
  auto add = [&out](const std::string& name) { out += (out.empty() ? "" : ", ") + name; };
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS) {
      const ASN1_STRING* s = name->d.dNSName;
      add("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                               ASN1_STRING_length(s)));
    } else if (name->type == GEN_IPADD) {
      add("IP:" + IpText(name->d.iPAddress));
    }
  }
  GENERAL_NAMES_free(names);
  if (out.empty()) {
    char cn[256] = {0};
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn)) >
        0) {
      add(std::string("CN=") + cn);
    }
  }
  return out;
}

PeerNameCapture::PeerNameCapture(SSL* ssl) : previous_(current) {
  current = this;
  SSL_set_verify(ssl, SSL_get_verify_mode(ssl), &PeerNameCapture::OnVerify);
}

PeerNameCapture::~PeerNameCapture() { current = previous_; }

int PeerNameCapture::OnVerify(int preverifyOk, X509_STORE_CTX* ctx) {
  if (current != nullptr && X509_STORE_CTX_get_error_depth(ctx) == 0) {
    current->names_ = CertificateNames(X509_STORE_CTX_get_current_cert(ctx));
  }
  return preverifyOk;  // only watches: the verdict stays OpenSSL's
}

std::string MismatchDetail(long verifyResult, const std::string& asked, const std::string& names) {
  if (verifyResult != X509_V_ERR_HOSTNAME_MISMATCH &&
      verifyResult != X509_V_ERR_IP_ADDRESS_MISMATCH) {
    return "";
  }
  return " (asked for '" + asked + "'; the certificate is for " +
         (names.empty() ? std::string("no name") : names) + ")";
}

}  // namespace librtmp_node
