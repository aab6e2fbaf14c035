// The camera feed: an encoder's H.264 Annex-B and AAC ADTS streams read from their pipes (or
// files) on the connection thread, split, packetized and sent there, with no JavaScript work
// per frame. JavaScript keeps what a stream's configuration means: when the parameter sets or
// the audio configuration are new, the feed asks it (AskForHeaders) and sends the tags it
// answers with (onMetaData, sequence headers: lib/media, their one home) before the frame
// that needs them. What an FLV frame tag starts with comes from JavaScript too.
//
// Timestamps as lib/media/byte-stream-feed.ts stamps a byte stream: video frame n at
// round(n × 1000 / frameRate) ms, audio by its samples (1024 a frame); video from the first
// keyframe on; nothing is sent until both tracks have their configuration (or `startWaitMs`
// of media has waited for the missing one), then in time order.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "session.h"
#include "status.h"

namespace librtmp_node {

struct CameraFeedOptions {
  uint32_t id = 0;   // names the feed for Session::StopFileSend()
  int videoFd = -1;  // H.264 Annex-B; the feed reads a duplicate, the caller closes its own
  int audioFd = -1;  // AAC ADTS; -1: no audio track
  // A continuation of an earlier feed of the same inputs (on a new connection): its next
  // video frame number and audio time, and video from the next keyframe even without
  // parameter sets of its own (JavaScript has the earlier ones).
  bool continued = false;
  uint64_t firstVideoFrame = 0;
  double firstAudioMs = 0;
  double frameRate = 30;
  bool pace = true;     // each frame when its time comes (from the first one), as ffmpeg -re
  int coalesceMs = 34;  // lib/ gives one video frame interval by default
  int startWaitMs = 1000;
  size_t maxAccessUnitBytes = 16 * 1024 * 1024;
  // The first bytes of a video frame tag (key, inter) and of an audio frame tag.
  std::vector<uint8_t> videoKeyPrefix;
  std::vector<uint8_t> videoInterPrefix;
  std::vector<uint8_t> audioPrefix;
};

struct CameraFeedCounts {
  uint64_t videoFrames = 0;    // sent
  uint64_t audioFrames = 0;    // sent
  uint64_t skippedFrames = 0;  // video before the first keyframe
  uint64_t bytes = 0;          // message bodies sent, headers included
  uint64_t writes = 0;         // batches written
  uint64_t videoBytesIn = 0;
  uint64_t audioBytesIn = 0;
  uint64_t videoDroppedBytes = 0;  // belonged to no access unit
  uint64_t audioDroppedBytes = 0;  // skipped while looking for an ADTS sync word
  bool stopped = false;            // ended by StopFileSend()
  uint64_t nextVideoFrame = 0;     // where a continuation starts
  double nextAudioMs = 0;
};

// What the feed asks JavaScript for: the tags for a configuration that is new.
struct HeaderRequest {
  uint32_t generation = 0;
  bool first = false;                  // also onMetaData: the stream starts
  std::vector<uint8_t> parameterSets;  // Annex-B SPS/PPS NAL units, each with its start code
  std::vector<uint8_t> audioFrame;     // an ADTS frame with the new audio configuration
  uint32_t timestamp = 0;              // of the first frame that needs them
};

struct HeaderTag {
  uint8_t type;
  uint32_t timestamp;
  std::vector<uint8_t> body;
};

// The answer's mailbox, between the JS thread and the connection thread.
class HeaderAnswers {
 public:
  // JS thread.
  void Put(uint32_t generation, std::vector<HeaderTag> tags);
  // Connection thread: the answer to `generation`, once it is here.
  bool Take(uint32_t generation, std::vector<HeaderTag>* tags);

 private:
  std::mutex lock_;
  uint32_t generation_ = 0;
  bool present_ = false;
  std::vector<HeaderTag> tags_;
};

// Posts a request to JavaScript; false when it cannot be (the environment is going away).
using AskForHeaders = std::function<bool(HeaderRequest)>;

// Connection thread. Ends at the end of every input, on StopFileSend(options.id) (what is
// batched is sent first), or at the first failure (a file, the media, the network, ERR_ABORTED
// on Abandon()); `counts` says what had been sent.
Status SendCameraFeed(Session& session, const CameraFeedOptions& options, HeaderAnswers& answers,
                      const AskForHeaders& ask, CameraFeedCounts* counts);

}  // namespace librtmp_node
