// A failure produced on a connection thread, carried to JavaScript as plain data.
// The stable codes are the contract with lib/errors.ts; messages never contain the
// URL, the playpath or any other part of the stream key.
#pragma once

#include <string>

namespace librtmp_node {

namespace code {
constexpr const char* kInvalidArg = "ERR_INVALID_ARG";
constexpr const char* kInvalidUrl = "ERR_INVALID_URL";
constexpr const char* kDnsLookup = "ERR_DNS_LOOKUP";
constexpr const char* kConnectRefused = "ERR_CONNECT_REFUSED";
constexpr const char* kConnectTimeout = "ERR_CONNECT_TIMEOUT";
constexpr const char* kConnectFailed = "ERR_CONNECT_FAILED";
constexpr const char* kBindFailed = "ERR_BIND_FAILED";
constexpr const char* kHandshake = "ERR_RTMP_HANDSHAKE";
constexpr const char* kConnectRejected = "ERR_RTMP_CONNECT_REJECTED";
constexpr const char* kStreamNotFound = "ERR_RTMP_STREAM_NOT_FOUND";
constexpr const char* kPublishRejected = "ERR_RTMP_PUBLISH_REJECTED";
constexpr const char* kStatus = "ERR_RTMP_STATUS";
constexpr const char* kTimeout = "ERR_TIMEOUT";
constexpr const char* kConnectionClosed = "ERR_CONNECTION_CLOSED";
constexpr const char* kIo = "ERR_IO";
constexpr const char* kClosed = "ERR_CLOSED";
constexpr const char* kAborted = "ERR_ABORTED";
constexpr const char* kMessageTooLarge = "ERR_MESSAGE_TOO_LARGE";
constexpr const char* kFlvParse = "ERR_FLV_PARSE";
constexpr const char* kFile = "ERR_FILE";
constexpr const char* kMediaInvalid = "ERR_MEDIA_INVALID";
constexpr const char* kTlsHandshake = "ERR_TLS_HANDSHAKE";
constexpr const char* kTlsCertVerify = "ERR_TLS_CERT_VERIFY";
constexpr const char* kTlsInvalidCiphers = "ERR_TLS_INVALID_CIPHERS";
constexpr const char* kTlsConfig = "ERR_TLS_CONFIG";
constexpr const char* kTlsRenegotiation = "ERR_TLS_RENEGOTIATION";
constexpr const char* kEngineUnavailable = "ERR_ENGINE_UNAVAILABLE";
constexpr const char* kEngineConflict = "ERR_ENGINE_CONFLICT";
constexpr const char* kInternal = "ERR_INTERNAL";
}  // namespace code

// The outcome of one piece of native work. `ok()` when code is empty.
struct Status {
  std::string code;
  std::string message;
  // For NetConnection/NetStream failures: what the server said.
  std::string statusCode;
  std::string statusDescription;
  // For I/O failures: errno; for TLS verification failures: X509 verify result.
  int sysErrno = 0;
  long verifyResult = 0;
  // For a certificate outside its validity period (not yet valid, expired): that
  // certificate's window and the device's clock at verification, ms since the epoch
  // (0 when not given), and its subject.
  double certNotBeforeMs = 0;
  double certNotAfterMs = 0;
  double deviceTimeMs = 0;
  std::string certSubject;

  bool ok() const { return code.empty(); }

  static Status Ok() { return Status(); }
  static Status Error(const char* errorCode, std::string msg) {
    Status s;
    s.code = errorCode;
    s.message = std::move(msg);
    return s;
  }
};

}  // namespace librtmp_node
