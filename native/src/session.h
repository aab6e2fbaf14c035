// One librtmp connection, driven entirely on its connection thread: connect (our own TCP
// and TLS, then librtmp's handshake and NetConnection/NetStream set-up), write FLV
// messages, read media messages, close. No N-API here.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "live_objects.h"
#include "rtmp_handle.h"
#include "server_status.h"
#include "status.h"
#include "tcp_connect.h"
#include "tls_client.h"
#include "tls_options.h"

struct RTMP;
struct pollfd;
struct RTMPPacket;

namespace librtmp_node {

struct OpenParams {
  std::string url;   // for RTMP_SetupURL; lib/ rewrites IPv6 literals it cannot parse
  std::string host;  // where to connect (no brackets) and the name TLS checks
  int port = 0;      // 0: the scheme's default, as librtmp chose it
  bool publish = false;
  int timeoutMs = 10000;
  std::string localAddress;  // source address to bind; empty: the kernel's choice
  int family = 0;            // 4, 6 or 0 (both, Happy Eyeballs)
  int chunkSize = 4096;      // outgoing; librtmp alone never leaves 128
  std::vector<std::pair<std::string, std::string>> rtmpOptions;  // RTMP_SetOpt names
  std::string connectProperties;  // AMF0 properties for the connect object (patch 0017)
  TlsOptions tls;
  EngineOptions engine;
};

// FLV messages to send. Bodies are referred to, not copied: the caller keeps them alive and
// unchanged until the batch has been sent (librtmp, as patched, only reads a body while it
// gathers the message into its send buffer — the one copy on the send path). Only an
// onMetaData body is copied, to put "@setDataFrame" in front of it.
class OutgoingBatch {
 public:
  struct Message {
    uint8_t type;
    uint32_t timestamp;
    uint32_t size;
    const char* body;
  };
  explicit OutgoingBatch(size_t count) { messages_.reserve(count); }
  void Add(uint8_t type, uint32_t timestamp, const uint8_t* data, size_t size);
  const std::vector<Message>& messages() const { return messages_; }

 private:
  std::vector<Message> messages_;
  std::vector<std::unique_ptr<char[]>> prefixed_;
};

// Media messages read in one go: bodies back to back in `data`, and per message
// (type, timestamp, offset, size) in `meta`.
struct IncomingBatch {
  std::vector<char> data;
  std::vector<uint32_t> meta;
  bool ended = false;  // the server ended the stream or closed the connection
};

struct SessionStats {
  std::atomic<uint64_t> bytesOut{0};
  std::atomic<uint64_t> bytesIn{0};
  std::atomic<uint64_t> messagesOut{0};
  std::atomic<uint64_t> messagesIn{0};
  std::atomic<uint64_t> videoMessagesOut{0};
  std::atomic<uint32_t> lastTimestampOut{0};  // of the last message written, ms
};

class Session {
 public:
  Session();
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Status Open(const OpenParams& params);
  Status Write(const OutgoingBatch& batch);
  Status Read(size_t budgetBytes, IncomingBatch* out);
  // Graceful: FCUnpublish/deleteStream, then the socket. Idempotent.
  void Close();
  // Close() and free every resource (RTMP object, SSL_CTX reference, fds); stats and TLS
  // info stay readable.
  // Idempotent; the connection thread calls it when it ends, not when JS lets go.
  void Teardown();

  // Any thread: gives the connection up now, both directions: blocked I/O and a connect in
  // progress return, and what runs next fails with ERR_ABORTED.
  void Abandon();
  // Any thread: stops reading only, so a blocked read returns and a close can still say
  // goodbye (unpublish) on the socket.
  void StopReading();

  // Whether Abandon() was called: long jobs stop between writes.
  bool abandoned() const { return abandoned_; }

  // A publisher with nothing due: waits up to `timeoutMs`, answering what the server sends
  // meanwhile (pings, a refusal). Returns early on StopFileSend() and, with ERR_ABORTED, on
  // Abandon().
  Status Idle(int timeoutMs);
  // Idle(), also returning when one of `extra` (at most 4) is ready; their revents are set.
  Status IdleOn(int timeoutMs, pollfd* extra, int count);
  // Any thread: an Idle() in progress returns (new work for it has arrived).
  void Wake();

  // Any thread: asks file send `id` (see file_sender.h) to end between two batches.
  void StopFileSend(uint32_t id);
  bool FileSendStopped(uint32_t id) const { return stopFileId_ == id; }

  const TlsInfo& tlsInfo() const { return tlsInfo_; }
  // Written once by the connection thread before open() calls back.
  const SocketEndpoints& endpoints() const { return endpoints_; }
  bool usesTls() const { return usesTls_; }
  const SessionStats& stats() const { return stats_; }
  // Connection thread: a ReconnectRequest the server sent since the last call (see
  // ServerStatus::TakeReconnectRequest).
  bool TakeReconnectRequest(std::string* tcUrl) { return server_.TakeReconnectRequest(tcUrl); }

 private:
  Status SetUp(const OpenParams& params);
  Status Connect(const OpenParams& params);
  Status StartStream();
  Status SendChunkSize(int size);
  Status WriteBatch(const OutgoingBatch& batch);
  Status ReadBatch(size_t budgetBytes, IncomingBatch* out);
  Status Wait(int timeoutMs, pollfd* extra, int count);
  Status PollServer();
  Status IoFailure(const char* what);
  Status Explained(Status s) const;
  bool DataPending();
  Status ReadEnd(int err);
  Status ReadTimeout();

  RtmpHandle r_;
  std::string url_;                        // librtmp keeps pointers into it
  std::deque<std::string> optionStorage_;  // and into these
  std::string hostHeader_;
  std::string connectProperties_;  // Link.connectProps points into it
  int wakeFd_ = -1;                // eventfd: interrupts the connect wait

  std::mutex interruptLock_;
  int interruptFd_ = -1;  // dup of the socket, kept until destruction
  std::atomic<bool> abandoned_{false};
  std::atomic<bool> stopReading_{false};  // our own close ends the read: a normal end
  std::atomic<uint32_t> stopFileId_{0};   // 0: none (file sends count from 1)
  int stopFd_ = -1;                       // eventfd: wakes Idle() for a stop
  bool renegotiationRefused_ = false;     // connection thread (tls_renegotiation.h)

  ServerStatus server_;  // what the server said in its command replies
  int timeoutMs_ = 0;
  // A player's end: the server said the stream ended (Play.Complete/Stop/UnpublishNotify
  // or StreamEOF); without that, a closed connection is an error, held back while the
  // messages read before it are delivered.
  bool endSignalled_ = false;
  Status pendingReadFailure_;
  int64_t lastTimestamp_[2] = {-1, -1};  // per outgoing channel: audio/data, video

  bool usesTls_ = false;
  SocketEndpoints endpoints_;
  TlsInfo tlsInfo_;
  SslCtxPtr tlsContext_;
  SessionStats stats_;
  LiveToken<LiveObject::kSession> live_;
};

}  // namespace librtmp_node
