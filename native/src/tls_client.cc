#include "tls_client.h"

#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <time.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <ctime>

#include "counted_ssl.h"
#include "engine.h"
#include "openssl_init.h"
#include "peer_names.h"
#include "tls_renegotiation.h"
#include "tls_session_cache.h"

namespace librtmp_node {
namespace {

std::string NameLine(X509_NAME* name) {
  if (name == nullptr) return "";
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

std::string Fingerprint256(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert, EVP_sha256(), md, &len);
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    if (i) out += ':';
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

void Describe(SSL* ssl, TlsInfo* info) {
  info->protocol = SSL_get_version(ssl);
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  if (cipher != nullptr) {
    info->cipher = SSL_CIPHER_get_name(cipher);
    const char* std = SSL_CIPHER_standard_name(cipher);
    info->cipherStandardName = std != nullptr ? std : "";
    info->engineServed = EngineServesCipher(SSL_CIPHER_get_cipher_nid(cipher));
    // The record MAC (HMAC over the suite's hash) of a CBC suite; none for AEAD (TLS 1.3, GCM).
    info->macEngineServed = EngineServesDigest(SSL_CIPHER_get_digest_nid(cipher));
  }
  EngineReport engine = CurrentEngine();
  info->engineId = engine.id;
  if (X509* peer = SSL_get_peer_certificate(ssl)) {
    info->peerSubject = NameLine(X509_get_subject_name(peer));
    info->peerIssuer = NameLine(X509_get_issuer_name(peer));
    info->peerFingerprint256 = Fingerprint256(peer);
    X509_free(peer);
  }
  info->resumed = SSL_session_reused(ssl) == 1;
  long verify = SSL_get_verify_result(ssl);
  info->authorized = verify == X509_V_OK;
  if (!info->authorized) info->authorizationError = X509_verify_cert_error_string(verify);
}

// ms since the epoch of an ASN1_TIME; NaN-free: 0 when it cannot be read.
double EpochMs(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<double>(timegm(&tm)) * 1000.0;
}

// A certificate outside its validity period, as the verify callback saw it on this thread
// during the handshake under way (the callback runs inside SSL_connect on the connection's
// own thread; a failed handshake keeps no peer chain to look at afterwards).
struct ValidityFailure {
  bool seen = false;
  double notBeforeMs = 0;
  double notAfterMs = 0;
  std::string subject;
};
thread_local ValidityFailure tValidity;

// Records the first certificate whose validity period excludes the device's clock, and
// leaves OpenSSL's decision as it is. A camera's clock reads 1970 until NTP has run: the
// error must be able to say that the clock, not the server, is the cause.
int RecordValidity(int preverifyOk, X509_STORE_CTX* store) {
  const int err = X509_STORE_CTX_get_error(store);
  if (!preverifyOk && !tValidity.seen &&
      (err == X509_V_ERR_CERT_NOT_YET_VALID || err == X509_V_ERR_CERT_HAS_EXPIRED)) {
    if (X509* cert = X509_STORE_CTX_get_current_cert(store)) {
      tValidity.seen = true;
      tValidity.notBeforeMs = EpochMs(X509_get0_notBefore(cert));
      tValidity.notAfterMs = EpochMs(X509_get0_notAfter(cert));
      tValidity.subject = NameLine(X509_get_subject_name(cert));
    }
  }
  // Only one verify callback per SSL: the peer-name capture watches too.
  return PeerNameCapture::OnVerify(preverifyOk, store);
}

void DescribeValidity(long verify, Status* s) {
  if (verify != X509_V_ERR_CERT_NOT_YET_VALID && verify != X509_V_ERR_CERT_HAS_EXPIRED) return;
  s->deviceTimeMs = static_cast<double>(time(nullptr)) * 1000.0;
  if (!tValidity.seen) return;
  s->certNotBeforeMs = tValidity.notBeforeMs;
  s->certNotAfterMs = tValidity.notAfterMs;
  s->certSubject = tValidity.subject;
}

// Names the failure: a verification error when OpenSSL has one, else the TLS alert or
// the library's reason, else the socket error (a timeout is its own code).
Status HandshakeFailure(SSL* ssl, int rc, bool rejectUnauthorized) {
  const int sysErr = errno;
  // Before the queue is drained: SSL_get_error looks at it.
  const int sslErr = SSL_get_error(ssl, rc);
  long verify = SSL_get_verify_result(ssl);
  std::string reasons = TakeOpenSslErrors();
  // SO_RCVTIMEO/SO_SNDTIMEO expiring make the socket BIO report EAGAIN as "retry", so a
  // timed-out blocking handshake surfaces as WANT_READ/WANT_WRITE, not SSL_ERROR_SYSCALL.
  const bool timedOut =
      sslErr == SSL_ERROR_WANT_READ || sslErr == SSL_ERROR_WANT_WRITE ||
      (sslErr == SSL_ERROR_SYSCALL && (sysErr == EAGAIN || sysErr == EWOULDBLOCK));
  Status s;
  if (rejectUnauthorized && verify != X509_V_OK) {
    s = Status::Error(code::kTlsCertVerify, std::string("TLS certificate verification failed: ") +
                                                X509_verify_cert_error_string(verify));
    s.verifyResult = verify;
    DescribeValidity(verify, &s);
  } else if (!reasons.empty()) {
    s = Status::Error(code::kTlsHandshake, "TLS handshake failed: " + reasons);
  } else if (timedOut) {
    s = Status::Error(code::kTimeout, "TLS handshake timed out");
    s.sysErrno = sysErr;
  } else {
    s = Status::Error(code::kTlsHandshake,
                      std::string("TLS handshake failed: ") +
                          (sysErr != 0 ? std::strerror(sysErr) : "connection closed by peer"));
    s.sysErrno = sysErr;
  }
  return s;
}

// Records are written to a buffer that librtmp flushes after each SSL_write (our patch 0020):
// a corked 64 KB write becomes four full records in one send() instead of four. Room for
// four records of the largest size; larger writes flush as the buffer fills.
constexpr int kRecordsPerSend = 4;
constexpr int kSendBufferBytes =
    kRecordsPerSend *
    (SSL3_RT_HEADER_LENGTH + SSL3_RT_MAX_PLAIN_LENGTH + SSL3_RT_MAX_ENCRYPTED_OVERHEAD);

bool BufferRecordWrites(SSL* ssl) {
  BIO* socketBio = SSL_get_wbio(ssl);
  BIO* buffer = BIO_new(BIO_f_buffer());
  if (buffer == nullptr || BIO_set_write_buffer_size(buffer, kSendBufferBytes) != 1) {
    BIO_free(buffer);
    return false;
  }
  // The socket BIO stays the read BIO too; the chain takes a reference of its own.
  BIO_up_ref(socketBio);
  BIO_push(buffer, socketBio);
  SSL_set0_wbio(ssl, buffer);
  return true;
}

// The handshake's cost to this connection thread (CPU) and its duration (wall, the server's
// share included): what session resumption saves, measured where it happens.
class HandshakeClock {
 public:
  HandshakeClock() : wall_(std::chrono::steady_clock::now()), cpu_(ThreadCpuNs()) {}
  void Stop(TlsInfo* info) const {
    info->handshakeCpuMs = static_cast<double>(ThreadCpuNs() - cpu_) / 1e6;
    info->handshakeMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall_).count();
  }

 private:
  static int64_t ThreadCpuNs() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
  }
  std::chrono::steady_clock::time_point wall_;
  int64_t cpu_;
};

}  // namespace

// A name only an address can be: a DNS host name never has a ':' and is never all digits and
// dots (RFC 1123 2.1). Such a name is checked as an address and never sent as SNI; when it is
// not a valid one ("10.0.0.256"), OpenSSL's refusal fails the connect. A NUL makes it a host
// name, which X509_VERIFY_PARAM_set1_host, given the full length, refuses.
bool AddressShaped(const std::string& name) {
  if (name.empty() || name.find('\0') != std::string::npos) return false;
  if (name.find(':') != std::string::npos) return true;
  return name.find_first_not_of("0123456789.") == std::string::npos;
}

// Everything that must match for a cached session to be offered: the configuration (CA,
// verification, versions, ciphers), the name sent and checked, and the server's address.
std::string SessionKey(const TlsOptions& tls, const std::string& name, const std::string& host,
                       int port) {
  return tls.Fingerprint() + "|" + name + "|" + host + "|" + std::to_string(port);
}

Status NewTlsClient(const SslCtxPtr& ctx, const std::string& host, const TlsOptions& tls,
                    SslPtr* out, TlsInfo* info) {
  ERR_clear_error();
  SslPtr ssl(NewCountedSsl(ctx.get()), SSL_free);
  if (ssl == nullptr) {
    return Status::Error(code::kTlsConfig, "SSL_new failed: " + TakeOpenSslErrors());
  }
  const std::string name = tls.servername.empty() ? host : tls.servername;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
  // Every call is checked: one that failed unnoticed would leave the certificate's name
  // unchecked (or the wrong SNI sent), and the handshake would still succeed.
  if (AddressShaped(name)) {
    // SNI must not carry an IP address (RFC 6066 3): none is sent.
    if (X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) != 1) {
      ERR_clear_error();
      return Status::Error(
          code::kTlsConfig,
          "'" + name + "' is not a valid IP address to check the certificate against");
    }
  } else {
    if (SSL_set_tlsext_host_name(ssl.get(), name.c_str()) != 1) {
      const std::string reason = TakeOpenSslErrors();
      return Status::Error(code::kTlsConfig,
                           "the server name cannot be sent as SNI (" +
                               (reason.empty() ? std::string("refused") : reason) +
                               "; at most 255 bytes)");
    }
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    // The full length: OpenSSL then refuses a name with an embedded NUL instead of checking
    // only the part before it.
    if (X509_VERIFY_PARAM_set1_host(param, name.data(), name.size()) != 1) {
      ERR_clear_error();
      return Status::Error(code::kTlsConfig,
                           "the server name cannot be checked in a certificate (an embedded NUL, "
                           "or out of memory)");
    }
    info->servername = name;
  }
  *out = std::move(ssl);
  return Status::Ok();
}

Status TlsHandshake(SSL* ssl, int fd, const std::string& host, int port, const TlsOptions& tls,
                    bool* renegotiationRefused, TlsInfo* info) {
  ERR_clear_error();
  if (SSL_set_fd(ssl, fd) != 1) {
    return Status::Error(code::kTlsHandshake, "SSL_set_fd failed: " + TakeOpenSslErrors());
  }
  // Read what the socket has, not one record header and then its body: a handshake takes a
  // few reads instead of two per record (a full TLS 1.3 one 12), and so does a stream.
  SSL_set_read_ahead(ssl, 1);
  WatchRenegotiation(ssl, renegotiationRefused);
  const std::string name = tls.servername.empty() ? host : tls.servername;
  const std::string sessionKey = SessionKey(tls, name, host, port);
  if (tls.resumeSessions) OfferCachedSession(ssl, sessionKey);
  errno = 0;
  const HandshakeClock clock;
  PeerNameCapture peerNames(ssl);
  // After the capture's own callback is set: this one replaces it and calls it.
  tValidity = ValidityFailure();
  SSL_set_verify(ssl, SSL_get_verify_mode(ssl), RecordValidity);
  int rc = SSL_connect(ssl);
  clock.Stop(info);
  if (rc != 1) {
    Status s = HandshakeFailure(ssl, rc, tls.rejectUnauthorized);
    s.message += MismatchDetail(s.verifyResult, name, peerNames.names());
    ForgetCachedSession(sessionKey);  // never offer again what ended in a failure
    ERR_clear_error();
    return s;
  }
  Describe(ssl, info);
  if (!BufferRecordWrites(ssl)) {
    ERR_clear_error();
    return Status::Error(code::kInternal, "out of memory for the TLS send buffer");
  }
  ERR_clear_error();
  return Status::Ok();
}

}  // namespace librtmp_node
