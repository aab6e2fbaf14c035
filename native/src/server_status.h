// What the server said in its command replies (`_result`, `_error`, `onStatus`): whether it
// accepted NetConnection.connect, and the error status it refused with, as a coded Status
// that keeps the server's own code and description. librtmp reads these replies too, but
// only logs a refusal; we read each command message before librtmp handles it.
#pragma once

#include <string>

#include "status.h"

struct RTMPPacket;

namespace librtmp_node {

class ServerStatus {
 public:
  // Reads one message; anything but a command message (AMF0, or AMF3's Flex message) is
  // ignored, and so is a command that does not decode.
  void Note(const RTMPPacket& packet);

  // The connect call (transaction 1) was answered with _result.
  bool netConnected() const { return netConnected_; }
  // The server sent an error status (an `_error`, or an `onStatus` of level "error").
  bool refused() const { return !code_.empty(); }
  // The refusal as a Status: ERR_RTMP_STREAM_NOT_FOUND, ERR_RTMP_PUBLISH_REJECTED,
  // ERR_RTMP_CONNECT_REJECTED or ERR_RTMP_STATUS, by the server's status code.
  Status Refusal() const;

  // Enhanced RTMP v2: the server asked the client to connect anew
  // (NetConnection.Connect.ReconnectRequest, level "status"), maybe to another tcUrl. Returns
  // whether one came since the last call, with the latest request's tcUrl ("" when none; cut
  // to kMaxTcUrl + 1 bytes). However many a server sends, one is reported per call.
  bool TakeReconnectRequest(std::string* tcUrl);

  static constexpr size_t kMaxTcUrl = 1024;

 private:
  bool netConnected_ = false;
  bool reconnectRequested_ = false;
  std::string reconnectTcUrl_;
  std::string code_;  // the error status the server sent
  std::string description_;
};

}  // namespace librtmp_node
