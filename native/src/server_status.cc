#include "server_status.h"

#include <librtmp/amf.h>
#include <librtmp/rtmp.h>

#include <cstring>

namespace librtmp_node {
namespace {

bool Is(const AVal& v, const char* s) {
  return v.av_len == static_cast<int>(std::strlen(s)) && std::memcmp(v.av_val, s, v.av_len) == 0;
}

// AMF property names for look-ups; librtmp's AVal is not const-correct.
AVal Named(const char* s) {
  AVal v;
  v.av_val = const_cast<char*>(s);
  v.av_len = static_cast<int>(std::strlen(s));
  return v;
}

std::string Str(const AVal& v) { return v.av_val ? std::string(v.av_val, v.av_len) : ""; }

// The connect command is the first a client sends: transaction id 1.
constexpr double kConnectTransaction = 1.0;

}  // namespace

void ServerStatus::Note(const RTMPPacket& packet) {
  const char* body = packet.m_body;
  unsigned size = packet.m_nBodySize;
  if (packet.m_packetType == RTMP_PACKET_TYPE_FLEX_MESSAGE && size > 0) {
    ++body;  // AMF3 command messages start with a format byte
    --size;
  } else if (packet.m_packetType != RTMP_PACKET_TYPE_INVOKE) {
    return;
  }
  AMFObject obj;
  if (AMF_Decode(&obj, body, static_cast<int>(size), 0) < 0) return;
  AVal method = {nullptr, 0};
  AMFProp_GetString(AMF_GetProp(&obj, nullptr, 0), &method);
  const double txn = AMFProp_GetNumber(AMF_GetProp(&obj, nullptr, 1));
  if (Is(method, "_result") && txn == kConnectTransaction) netConnected_ = true;
  if (Is(method, "onStatus") || Is(method, "_error")) {
    AMFObject info;
    AMFProp_GetObject(AMF_GetProp(&obj, nullptr, 3), &info);
    AVal statusCode = {nullptr, 0}, level = {nullptr, 0}, description = {nullptr, 0};
    AVal codeName = Named("code"), levelName = Named("level"), descName = Named("description");
    AMFProp_GetString(AMF_GetProp(&info, &codeName, -1), &statusCode);
    AMFProp_GetString(AMF_GetProp(&info, &levelName, -1), &level);
    AMFProp_GetString(AMF_GetProp(&info, &descName, -1), &description);
    if (Is(method, "_error") || Is(level, "error")) {
      code_ = statusCode.av_len ? Str(statusCode) : Str(method);
      description_ = Str(description);
    } else if (Is(statusCode, "NetConnection.Connect.ReconnectRequest")) {
      AVal tcUrl = {nullptr, 0};
      AVal tcUrlName = Named("tcUrl");
      AMFProp_GetString(AMF_GetProp(&info, &tcUrlName, -1), &tcUrl);
      reconnectRequested_ = true;
      // Cut one past the limit: long enough for lib/ to see that it is too long.
      reconnectTcUrl_ = Str(tcUrl).substr(0, kMaxTcUrl + 1);
    }
  }
  AMF_Reset(&obj);
}

bool ServerStatus::TakeReconnectRequest(std::string* tcUrl) {
  if (!reconnectRequested_) return false;
  reconnectRequested_ = false;
  *tcUrl = std::move(reconnectTcUrl_);
  reconnectTcUrl_.clear();
  return true;
}

Status ServerStatus::Refusal() const {
  const char* errorCode = code::kStatus;
  if (code_ == "NetStream.Play.StreamNotFound") {
    errorCode = code::kStreamNotFound;
  } else if (code_.rfind("NetStream.Publish.", 0) == 0) {
    errorCode = code::kPublishRejected;
  } else if (code_.rfind("NetConnection.Connect.", 0) == 0 || !netConnected_) {
    errorCode = code::kConnectRejected;
  }
  std::string message = "the server refused: " + code_;
  if (!description_.empty()) message += " (" + description_ + ")";
  Status s = Status::Error(errorCode, message);
  s.statusCode = code_;
  s.statusDescription = description_;
  return s;
}

}  // namespace librtmp_node
