#include "session.h"

#include <librtmp/amf.h>
#include <librtmp/rtmp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "client_packet.h"
#include "librtmp_heap.h"
#include "server_status.h"
#include "tcp_connect.h"

namespace librtmp_node {
namespace {

// Outgoing chunk streams: audio and script data share one, video has its own, so each
// keeps monotonic timestamps and compact (delta) chunk headers.
constexpr int kAudioDataChannel = 0x04;
constexpr int kVideoChannel = 0x06;

// "@setDataFrame" as an AMF0 string: publishers prefix onMetaData with it so the server
// stores the metadata for players that join later (librtmp's RTMP_Write does the same).
constexpr unsigned char kSetDataFrame[] = {0x02, 0x00, 0x0d, '@', 's', 'e', 't', 'D',
                                           'a',  't',  'a',  'F', 'r', 'a', 'm', 'e'};
constexpr unsigned char kOnMetaData[] = {0x02, 0x00, 0x0a, 'o', 'n', 'M', 'e',
                                         't',  'a',  'D',  'a', 't', 'a'};

AVal AValOf(const std::string& s) {
  AVal v;
  v.av_val = const_cast<char*>(s.data());
  v.av_len = static_cast<int>(s.size());
  return v;
}

// User Control message, event 1 (StreamEOF): the server has no more data for the stream.
bool IsStreamEof(const RTMPPacket& packet) {
  return packet.m_packetType == RTMP_PACKET_TYPE_CONTROL && packet.m_nBodySize >= 2 &&
         packet.m_body[0] == 0 && packet.m_body[1] == 1;
}

bool SocketReadable(RTMP* r) {
  // SSL_has_pending, not SSL_pending: with read-ahead (tls_client.cc) whole records can sit
  // unprocessed in OpenSSL's buffer, where neither SSL_pending nor poll() sees them.
  if (r->m_sb.sb_ssl != nullptr && SSL_has_pending(static_cast<SSL*>(r->m_sb.sb_ssl))) return true;
  pollfd p = {r->m_sb.sb_socket, POLLIN, 0};
  return poll(&p, 1, 0) > 0;
}

// RTMPT: the server speaks only in answers to our POSTs, and most answers carry no RTMP
// bytes; RTMP_ReadPacket would post idle requests until the server says something. Takes
// the answers that have arrived and tells whether RTMP bytes are due (native/patches/0005).
bool TunnelDataPending(RTMP* r) {
  while (!RTMP_HTTPTakeAnswers(r)) {
    if (!SocketReadable(r)) return false;
    if (RTMPSockBuf_Fill(&r->m_sb) < 1) return true;  // closed or broken: the reader tells
  }
  return true;
}

}  // namespace

void OutgoingBatch::Add(uint8_t type, uint32_t timestamp, const uint8_t* data, size_t size) {
  const bool metadata = type == RTMP_PACKET_TYPE_INFO && size >= sizeof(kOnMetaData) &&
                        std::memcmp(data, kOnMetaData, sizeof(kOnMetaData)) == 0;
  if (!metadata) {
    messages_.push_back(
        {type, timestamp, static_cast<uint32_t>(size), reinterpret_cast<const char*>(data)});
    return;
  }
  std::unique_ptr<char[]> body(new char[sizeof(kSetDataFrame) + size]);
  std::memcpy(body.get(), kSetDataFrame, sizeof(kSetDataFrame));
  std::memcpy(body.get() + sizeof(kSetDataFrame), data, size);
  messages_.push_back(
      {type, timestamp, static_cast<uint32_t>(sizeof(kSetDataFrame) + size), body.get()});
  prefixed_.push_back(std::move(body));
}

Session::Session() {
  wakeFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  stopFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

Session::~Session() { Teardown(); }

void Session::Teardown() {
  Close();
  r_.reset();
  tlsContext_.reset();  // closed: the context may go as soon as no other connection uses it
  std::lock_guard<std::mutex> lock(interruptLock_);
  if (interruptFd_ >= 0) close(interruptFd_);
  if (wakeFd_ >= 0) close(wakeFd_);
  if (stopFd_ >= 0) close(stopFd_);
  interruptFd_ = wakeFd_ = stopFd_ = -1;
}

void Session::Abandon() {
  std::lock_guard<std::mutex> lock(interruptLock_);
  abandoned_ = true;
  stopReading_ = true;
  if (wakeFd_ >= 0) {
    uint64_t one = 1;
    (void)!write(wakeFd_, &one, sizeof(one));
  }
  if (interruptFd_ >= 0) shutdown(interruptFd_, SHUT_RDWR);
}

void Session::StopReading() {
  std::lock_guard<std::mutex> lock(interruptLock_);
  stopReading_ = true;
  if (interruptFd_ >= 0) shutdown(interruptFd_, SHUT_RD);
}

Status Session::Open(const OpenParams& params) {
  Status s = SetUp(params);
  if (s.ok()) s = Connect(params);
  if (s.ok()) s = StartStream();
  if (!s.ok() && abandoned_) s = Status::Error(code::kAborted, "connect aborted");
  s = Explained(s);
  if (!s.ok()) Close();
  return s;
}

// A server that asked to renegotiate TLS ends the connection when we refuse: whatever
// failed next (a read, a write, the RTMP handshake) failed because of that.
Status Session::Explained(Status s) const {
  if (s.ok() || !renegotiationRefused_ || s.code == code::kAborted) return s;
  return Status::Error(code::kTlsRenegotiation,
                       "the server asked to renegotiate TLS, which this client refuses "
                       "(SSL_OP_NO_RENEGOTIATION), and closed the connection");
}

Status Session::SetUp(const OpenParams& params) {
  r_ = NewRtmp();
  if (r_ == nullptr) return Status::Error(code::kInternal, "out of memory");
  url_ = params.url;
  timeoutMs_ = params.timeoutMs;
  if (!RTMP_SetupURL(r_.get(), &url_[0])) {
    return Status::Error(code::kInvalidUrl, "librtmp could not parse the URL");
  }
  // Link.hostname feeds the tunnel's Host header; librtmp cannot parse IPv6 literals.
  hostHeader_ = params.host.find(':') != std::string::npos ? "[" + params.host + "]" : params.host;
  r_->Link.hostname = AValOf(hostHeader_);
  for (const auto& option : params.rtmpOptions) {
    if (option.first == "tcUrl" && (r_->Link.lFlags & RTMP_LF_FTCU)) {
      librtmp_heap_free(r_->Link.tcUrl.av_val);  // librtmp allocated it
      r_->Link.lFlags &= ~RTMP_LF_FTCU;
    }
    optionStorage_.push_back(option.first);
    AVal name = AValOf(optionStorage_.back());
    optionStorage_.push_back(option.second);
    AVal value = AValOf(optionStorage_.back());
    if (!RTMP_SetOpt(r_.get(), &name, &value)) {
      return Status::Error(code::kInvalidArg,
                           "librtmp rejected the value of option '" + option.first + "'");
    }
  }
  if (!params.connectProperties.empty()) {
    connectProperties_ = params.connectProperties;
    r_->Link.connectProps = AValOf(connectProperties_);
  }
  if (params.publish) RTMP_EnableWrite(r_.get());
  usesTls_ = (r_->Link.protocol & RTMP_FEATURE_SSL) != 0;
  return Status::Ok();
}

Status Session::Connect(const OpenParams& params) {
  Status s;
  // The engine decision and the TLS configuration (cipher strings...) are settled before
  // the network is touched: a bad configuration should not cost the server a connection.
  SslPtr ssl(nullptr, SSL_free);
  if (usesTls_) {
    tlsContext_ = AcquireTlsContext(params.tls, params.engine, &s);
    if (!s.ok()) return s;
    s = NewTlsClient(tlsContext_, params.host, params.tls, &ssl, &tlsInfo_);
    if (!s.ok()) return s;
  }
  TcpTarget target{params.host, params.port != 0 ? params.port : r_->Link.port, params.timeoutMs,
                   params.localAddress, params.family};
  int fd = -1;
  s = ConnectTcp(target, wakeFd_, &fd, &endpoints_);
  if (!s.ok()) return s;
  {
    std::lock_guard<std::mutex> lock(interruptLock_);
    interruptFd_ = dup(fd);
    if (abandoned_) shutdown(fd, SHUT_RDWR);
  }
  // What RTMP_Connect0 and RTMP_Connect would have set, minus their IPv4-only resolver.
  r_->m_sb.sb_socket = fd;
  r_->m_sb.sb_timedout = 0;
  r_->m_pausing = 0;
  r_->m_fDuration = 0.0;
  r_->m_bSendCounter = 1;

  if (usesTls_) {
    s = TlsHandshake(ssl.get(), fd, params.host, target.port, params.tls, &renegotiationRefused_,
                     &tlsInfo_);
    if (!s.ok()) return s;
    // librtmp does its I/O through sb_ssl from here on and frees it in RTMP_Close; the
    // flag is cleared so RTMP_Connect1 does not start a second, unverified handshake.
    r_->m_sb.sb_ssl = ssl.release();
    r_->Link.protocol &= ~RTMP_FEATURE_SSL;
  }
  if (!RTMP_Connect1(r_.get(), nullptr)) {
    if (r_->m_sb.sb_timedout) {
      return Status::Error(code::kTimeout,
                           "the server did not complete the RTMP handshake within " +
                               std::to_string(params.timeoutMs) + " ms");
    }
    return Status::Error(code::kHandshake,
                         "RTMP handshake failed: the server closed the connection or answered "
                         "with an invalid handshake");
  }
  return SendChunkSize(params.chunkSize);
}

// Set Chunk Size right after connect, as OBS does: 128-byte chunks cost a header (and over
// TLS a record) per 128 bytes of media.
Status Session::SendChunkSize(int size) {
  if (size <= r_->m_outChunkSize) return Status::Ok();
  char buf[RTMP_MAX_HEADER_SIZE + 4];
  RTMPPacket packet = {};
  packet.m_nChannel = 0x02;  // protocol control
  packet.m_headerType = RTMP_PACKET_SIZE_LARGE;
  packet.m_packetType = RTMP_PACKET_TYPE_CHUNK_SIZE;
  packet.m_nBodySize = 4;
  packet.m_body = buf + RTMP_MAX_HEADER_SIZE;
  const uint32_t value = static_cast<uint32_t>(size) & 0x7fffffff;
  for (int i = 0; i < 4; ++i) packet.m_body[i] = static_cast<char>(value >> (24 - 8 * i));
  errno = 0;
  if (!RTMP_SendPacket(r_.get(), &packet, 0)) return IoFailure("sending Set Chunk Size");
  r_->m_outChunkSize = size;
  return Status::Ok();
}

// RTMP_ConnectStream, but watching every command reply so that a refusal comes back with
// the server's own status code and description instead of a bare FALSE.
Status Session::StartStream() {
  RTMPPacket packet = {};
  while (!r_->m_bPlaying && RTMP_IsConnected(r_.get()) && !server_.refused()) {
    if (!RTMP_ReadPacket(r_.get(), &packet)) break;
    if (!RTMPPacket_IsReady(&packet) || packet.m_nBodySize == 0) continue;
    const uint8_t type = packet.m_packetType;
    if (type == RTMP_PACKET_TYPE_AUDIO || type == RTMP_PACKET_TYPE_VIDEO ||
        type == RTMP_PACKET_TYPE_INFO) {
      RTMPPacket_Free(&packet);  // media before play() started: not ours yet
      continue;
    }
    server_.Note(packet);
    HandleClientPacket(r_.get(), &packet);
    RTMPPacket_Free(&packet);
  }
  RTMPPacket_Free(&packet);
  if (r_->m_bPlaying && !server_.refused()) return Status::Ok();
  if (server_.refused()) return server_.Refusal();
  if (r_->m_sb.sb_timedout) {
    return Status::Error(code::kTimeout,
                         server_.netConnected()
                             ? "the server did not start the stream in time"
                             : "the server did not answer the connect call in time");
  }
  if (!server_.netConnected()) {
    return Status::Error(code::kConnectRejected,
                         "the server closed the connection during NetConnection.connect "
                         "(unknown application, or the connection was refused)");
  }
  return Status::Error(code::kConnectionClosed,
                       "the server closed the connection before the stream started");
}

Status Session::IoFailure(const char* what) {
  const int err = errno;
  if (abandoned_) return Status::Error(code::kAborted, std::string(what) + " aborted");
  if (server_.refused()) return server_.Refusal();
  Status s;
  if (err == EAGAIN || err == EWOULDBLOCK || r_->m_sb.sb_timedout) {
    s = Status::Error(code::kTimeout, std::string(what) + " timed out");
  } else if (err == EPIPE || err == ECONNRESET || err == 0) {
    s = Status::Error(code::kConnectionClosed, std::string(what) + " failed: connection closed");
  } else {
    s = Status::Error(code::kIo, std::string(what) + " failed: " + std::strerror(err));
  }
  s.sysErrno = err;
  return s;
}

Status Session::Write(const OutgoingBatch& batch) { return Explained(WriteBatch(batch)); }

Status Session::Idle(int timeoutMs) { return Explained(Wait(timeoutMs, nullptr, 0)); }

Status Session::IdleOn(int timeoutMs, pollfd* extra, int count) {
  return Explained(Wait(timeoutMs, extra, count));
}

Status Session::Read(size_t budgetBytes, IncomingBatch* out) {
  return Explained(ReadBatch(budgetBytes, out));
}

Status Session::WriteBatch(const OutgoingBatch& batch) {
  if (r_ == nullptr || !RTMP_IsConnected(r_.get())) {
    return Status::Error(code::kConnectionClosed, "the connection is closed");
  }
  // Corked: the batch's messages go out in full 16 KB TLS records, four to a send()
  // (native/patches/0004, 0020), not one write per message. Nothing in the loop waits for
  // the server.
  RTMP_Cork(r_.get());
  for (const OutgoingBatch::Message& m : batch.messages()) {
    const int lane = m.type == RTMP_PACKET_TYPE_VIDEO ? 1 : 0;
    RTMPPacket packet = {};
    packet.m_nChannel = lane ? kVideoChannel : kAudioDataChannel;
    // A full header whenever the delta forms would say something else: a timestamp going
    // back, or an unchanged one (librtmp then compresses to a type-3 header, which for a
    // new message means "the previous delta again", not zero).
    packet.m_headerType = lastTimestamp_[lane] < 0 || m.timestamp <= lastTimestamp_[lane]
                              ? RTMP_PACKET_SIZE_LARGE
                              : RTMP_PACKET_SIZE_MEDIUM;
    packet.m_packetType = m.type;
    packet.m_nTimeStamp = m.timestamp;
    packet.m_nInfoField2 = r_->m_stream_id;
    packet.m_nBodySize = m.size;
    packet.m_body = const_cast<char*>(m.body);  // only read (native/patches/0004)
    errno = 0;
    // A failed send closes r_, and the cork with it.
    if (!RTMP_SendPacket(r_.get(), &packet, 0)) return IoFailure("write");
    lastTimestamp_[lane] = m.timestamp;
    stats_.bytesOut += m.size;
    ++stats_.messagesOut;
    if (lane == 1) ++stats_.videoMessagesOut;
    stats_.lastTimestampOut = m.timestamp;
  }
  errno = 0;
  if (!RTMP_Uncork(r_.get())) return IoFailure("write");
  return PollServer();
}

Status Session::Wait(int timeoutMs, pollfd* extra, int count) {
  if (r_ == nullptr || !RTMP_IsConnected(r_.get())) {
    return Status::Error(code::kConnectionClosed, "the connection is closed");
  }
  constexpr int kMaxExtra = 4;
  if (count < 0 || count > kMaxExtra)
    return Status::Error(code::kInternal, "too many descriptors to wait on");
  // Through a tunnel the server speaks only in answers to our requests: just wait.
  const bool tunnel = (r_->Link.protocol & RTMP_FEATURE_HTTP) != 0;
  // What librtmp or OpenSSL already holds would not wake the poll: look, do not sleep.
  SSL* ssl = static_cast<SSL*>(r_->m_sb.sb_ssl);
  const bool buffered =
      !tunnel && (r_->m_sb.sb_size > 0 || (ssl != nullptr && SSL_has_pending(ssl)));
  if (buffered) timeoutMs = 0;
  pollfd fds[3 + kMaxExtra] = {
      {wakeFd_, POLLIN, 0}, {stopFd_, POLLIN, 0}, {tunnel ? -1 : r_->m_sb.sb_socket, POLLIN, 0}};
  for (int i = 0; i < count; ++i) fds[3 + i] = extra[i];
  if (poll(fds, static_cast<nfds_t>(3 + count), timeoutMs) < 0 && errno != EINTR) {
    return IoFailure("wait");
  }
  for (int i = 0; i < count; ++i) extra[i].revents = fds[3 + i].revents;
  if (abandoned_) return Status::Error(code::kAborted, "aborted");
  uint64_t stops = 0;
  if ((fds[1].revents & POLLIN) != 0) (void)!read(stopFd_, &stops, sizeof(stops));
  // The server said something (or the socket closed): read it. Otherwise nothing changed
  // since the last look, and a wake-up for an input costs no further system call.
  if (tunnel || buffered || fds[2].revents != 0) return PollServer();
  return Status::Ok();
}

void Session::Wake() {
  std::lock_guard<std::mutex> lock(interruptLock_);
  uint64_t one = 1;
  if (stopFd_ >= 0) (void)!write(stopFd_, &one, sizeof(one));
}

void Session::StopFileSend(uint32_t id) {
  std::lock_guard<std::mutex> lock(interruptLock_);
  stopFileId_ = id;
  uint64_t one = 1;
  if (stopFd_ >= 0) (void)!write(stopFd_, &one, sizeof(one));
}

bool Session::DataPending() {
  if ((r_->Link.protocol & RTMP_FEATURE_HTTP) != 0) return TunnelDataPending(r_.get());
  return r_->m_sb.sb_size > 0 || SocketReadable(r_.get());
}

// A publisher must still answer pings and notice a server that refuses mid-stream.
Status Session::PollServer() {
  RTMPPacket packet = {};
  while (RTMP_IsConnected(r_.get()) && DataPending()) {
    if (!RTMP_ReadPacket(r_.get(), &packet)) break;
    if (!RTMPPacket_IsReady(&packet)) continue;
    server_.Note(packet);
    HandleClientPacket(r_.get(), &packet);
    RTMPPacket_Free(&packet);
  }
  RTMPPacket_Free(&packet);
  if (server_.refused()) return server_.Refusal();
  if (!RTMP_IsConnected(r_.get())) {
    return Status::Error(code::kConnectionClosed, "the server closed the connection");
  }
  return Status::Ok();
}

// How a play ends when the connection does. Only the server's word makes it a normal end
// (or our own close); a connection that simply closes or resets may have lost the end of
// the stream, and a recorder must be able to tell.
Status Session::ReadEnd(int err) {
  if (server_.refused()) return server_.Refusal();
  if (endSignalled_ || stopReading_) return Status::Ok();
  Status s = Status::Error(
      code::kConnectionClosed,
      std::string("the server ") + (err == ECONNRESET ? "reset" : "closed") +
          " the connection without ending the stream (no NetStream.Play.Complete, Play.Stop, "
          "Play.UnpublishNotify or StreamEOF): what was read may be incomplete");
  s.sysErrno = err;
  return s;
}

// A player that waited `timeout` for the next message. Some servers (Node-Media-Server)
// keep a player attached when the publisher leaves and never say the stream ended: that
// silence is all a client sees, so the error says what it may mean.
Status Session::ReadTimeout() {
  Status s = Status::Error(
      code::kTimeout,
      "no message from the server for " + std::to_string(timeoutMs_) +
          " ms, and it has not ended the stream: the publisher may have left on a server that "
          "does not signal the end (Node-Media-Server, for one, never does), or the network "
          "stalled");
  s.sysErrno = EAGAIN;
  return s;
}

Status Session::ReadBatch(size_t budgetBytes, IncomingBatch* out) {
  if (!pendingReadFailure_.ok()) {
    Status failure = pendingReadFailure_;
    pendingReadFailure_ = Status::Ok();
    out->ended = true;
    return failure;
  }
  if (r_ == nullptr || !RTMP_IsConnected(r_.get())) {
    out->ended = true;
    return Status::Ok();
  }
  RTMPPacket packet = {};
  // The first message may wait (bounded by the socket timeout); after it, only what has
  // already arrived is taken, up to the budget.
  while (out->data.size() < budgetBytes && (out->meta.empty() || DataPending())) {
    errno = 0;
    if (!RTMP_ReadPacket(r_.get(), &packet)) {
      const int err = errno;
      RTMPPacket_Free(&packet);
      if (r_->m_sb.sb_timedout && RTMP_IsConnected(r_.get()) && !abandoned_) {
        if (!out->meta.empty()) return Status::Ok();
        return stopReading_ ? IoFailure("read") : ReadTimeout();
      }
      if (abandoned_ && out->meta.empty()) return IoFailure("read");
      Status end = ReadEnd(err);
      if (!end.ok() && !out->meta.empty()) {
        pendingReadFailure_ = end;  // the messages first, the failure next time
        return Status::Ok();
      }
      out->ended = true;
      return end;
    }
    if (!RTMPPacket_IsReady(&packet) || packet.m_nBodySize == 0) continue;
    server_.Note(packet);
    const bool streamEof = IsStreamEof(packet);
    const ClientPacket kind = HandleClientPacket(r_.get(), &packet);
    if (kind == ClientPacket::kMedia) {
      const size_t offset = out->data.size();
      out->data.insert(out->data.end(), packet.m_body, packet.m_body + packet.m_nBodySize);
      out->meta.insert(out->meta.end(), {packet.m_packetType, packet.m_nTimeStamp,
                                         static_cast<uint32_t>(offset), packet.m_nBodySize});
      stats_.bytesIn += packet.m_nBodySize;
      ++stats_.messagesIn;
    }
    RTMPPacket_Free(&packet);
    // Play.Complete / Stop / UnpublishNotify (librtmp closes), or StreamEOF: nginx-rtmp
    // keeps a live subscriber waiting after the publisher left and only says StreamEOF.
    if (kind == ClientPacket::kStreamEnded || streamEof) endSignalled_ = true;
    if (endSignalled_ || !RTMP_IsConnected(r_.get())) {
      // librtmp also closes on a refusal (Play.Failed, StreamNotFound) or the server's
      // `close` command: not a normal end.
      Status end = ReadEnd(0);
      if (!end.ok() && !out->meta.empty()) {
        pendingReadFailure_ = end;
        return Status::Ok();
      }
      out->ended = true;
      return end;
    }
  }
  return Status::Ok();
}

void Session::Close() {
  if (r_ != nullptr && RTMP_IsConnected(r_.get())) RTMP_Close(r_.get());
}

}  // namespace librtmp_node
