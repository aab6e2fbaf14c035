// librtmp's RTMP_ClientPacket handles a message the client read (answers pings, takes the
// server's chunk size, replies to commands) and returns an int that says what the message
// was; these are its values, named.
#pragma once

#include <librtmp/rtmp.h>

namespace librtmp_node {

enum class ClientPacket {
  kHandled = 0,      // control or command traffic, handled inside librtmp
  kMedia = 1,        // audio, video, metadata or an aggregate: the caller's to deliver
  kStreamEnded = 2,  // Play.Complete, Play.Stop or UnpublishNotify: librtmp has closed
};

inline ClientPacket HandleClientPacket(RTMP* r, RTMPPacket* packet) {
  return static_cast<ClientPacket>(RTMP_ClientPacket(r, packet));
}

}  // namespace librtmp_node
