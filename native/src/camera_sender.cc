#include "camera_sender.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>

#include "adts_splitter.h"
#include "annexb_splitter.h"
#include "h264_access_unit.h"
#include "pacer.h"

namespace librtmp_node {

void HeaderAnswers::Put(uint32_t generation, std::vector<HeaderTag> tags) {
  std::lock_guard<std::mutex> guard(lock_);
  generation_ = generation;
  present_ = true;
  tags_ = std::move(tags);
}

bool HeaderAnswers::Take(uint32_t generation, std::vector<HeaderTag>* tags) {
  std::lock_guard<std::mutex> guard(lock_);
  if (!present_ || generation_ != generation) return false;
  present_ = false;
  *tags = std::move(tags_);
  tags_.clear();
  return true;
}

namespace {

constexpr uint8_t kTypeAudio = 8;
constexpr uint8_t kTypeVideo = 9;
// One read's size: a pipe holds 64 KB.
constexpr size_t kReadBytes = 64 * 1024;
// Frames split and waiting per track before its input is left unread: a file is read no
// further ahead of its pacing than this; a live pipe never gets here.
constexpr size_t kMaxQueued = 2;
// A batch is written once it holds this much, whatever the window: an unpaced file must
// not gather megabytes (the size sendFile() reads a file in).
constexpr size_t kMaxBatchBytes = 256 * 1024;
// JavaScript answers a header request at once; this bound only turns a lost answer into an
// error instead of a hang (wide: a loaded machine's event loop can stall for seconds).
constexpr int64_t kAnswerTimeoutMs = 30000;

// A frame ready to go, in its track's queue.
struct Entry {
  uint32_t timestamp = 0;
  bool hasFrame = false;      // false: only a configuration change (an AU of parameter sets)
  std::vector<uint8_t> body;  // the tag body
  std::vector<uint8_t> parameterSets;  // non-empty: new parameter sets go before this frame
  std::vector<uint8_t> audioConfig;    // non-empty: an ADTS frame with a new configuration
};

// One input: a descriptor, read non-blocking (a FIFO without a writer yet polls as not ready).
struct Input {
  int fd = -1;
  bool ended = false;
  std::deque<Entry> queue;
  ~Input() {
    if (fd >= 0) close(fd);
  }
};

// The feed reads its own duplicate of the caller's descriptor (which JavaScript may close
// meanwhile), non-blocking: a pipe opened blocking would hold the connection thread.
Status TakeInput(int fd, const char* what, Input* input) {
  input->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (input->fd < 0 || fcntl(input->fd, F_SETFL, fcntl(input->fd, F_GETFL) | O_NONBLOCK) < 0) {
    Status s = Status::Error(
        code::kFile, std::string("the ") + what + " input cannot be read: " + std::strerror(errno));
    s.sysErrno = errno;
    return s;
  }
  return Status::Ok();
}

class CameraFeed {
 public:
  CameraFeed(Session& session, const CameraFeedOptions& options, HeaderAnswers& answers,
             const AskForHeaders& ask, CameraFeedCounts* counts)
      : session_(session),
        options_(options),
        answers_(answers),
        ask_(ask),
        counts_(counts),
        video_splitter_(options.maxAccessUnitBytes),
        videoIndex_(options.firstVideoFrame),
        haveParameterSets_(options.continued),
        audioStartMs_(options.firstAudioMs) {}

  Status Run();
  // Where a continuation of this stream starts: the next video frame's number and the next
  // audio frame's time. A frame half read is counted: its rest, read by the continuation,
  // belongs to no frame there, and the clocks must not slip by it.
  void Where(CameraFeedCounts* counts) const {
    counts->nextVideoFrame = videoIndex_ + (video_splitter_.unitPending() ? 1 : 0);
    const uint64_t samples = audioSamples_ + (audio_splitter_.framePending() ? 1024 : 0);
    counts->nextAudioMs =
        audioRate_ == 0 ? audioStartMs_ : audioStartMs_ + samples * 1000.0 / audioRate_;
  }

 private:
  Status ReadVideo();
  Status ReadAudio();
  Status TakeAccessUnit(const std::vector<uint8_t>& au);
  void TakeAdtsFrame(const AdtsFrame& frame);
  Status SendDue(int* waitMs);
  Status Ask(HeaderRequest request);
  Status WriteBatch();
  bool StartReady() const;
  bool AllEnded() const { return video_.ended && (!hasAudio_ || audio_.ended); }
  Input* NextInput();
  void Queue(Input* input, Entry entry);
  bool Readable(const Input& input) const;
  Status ReadAvailable();

  Session& session_;
  const CameraFeedOptions& options_;
  HeaderAnswers& answers_;
  const AskForHeaders& ask_;
  CameraFeedCounts* counts_;

  Input video_;
  Input audio_;
  bool hasAudio_ = false;
  AnnexBSplitter video_splitter_;
  AdtsSplitter audio_splitter_;
  std::deque<std::vector<uint8_t>> units_;
  std::deque<AdtsFrame> adts_;

  // Video state (the JavaScript packetizer's, for what the feed needs of it).
  uint64_t videoIndex_;
  bool haveParameterSets_;  // a continued stream has them from before
  std::vector<uint8_t> lastParameterSets_;
  bool waitingForKeyframe_ = true;
  // Audio clock: the grid restarts where it was when the rate changes.
  double audioStartMs_;
  uint64_t audioSamples_ = 0;
  uint32_t audioRate_ = 0;
  uint32_t lastAudioConfig_ = std::numeric_limits<uint32_t>::max();

  bool started_ = false;
  uint32_t generation_ = 0;
  Pacer pacer_;
  bool paceAnchored_ = false;

  // The batch being gathered: its tags own their bodies until it is written.
  std::vector<HeaderTag> batch_;
  int64_t batchOpenedMs_ = 0;
  uint64_t batchVideoFrames_ = 0;
  size_t batchBytes_ = 0;
  uint64_t batchAudioFrames_ = 0;
};

Status CameraFeed::Run() {
  Status status = TakeInput(options_.videoFd, "video", &video_);
  if (!status.ok()) return status;
  hasAudio_ = options_.audioFd >= 0;
  if (hasAudio_) {
    status = TakeInput(options_.audioFd, "audio", &audio_);
    if (!status.ok()) return status;
  }
  for (;;) {
    if (session_.abandoned()) return Status::Error(code::kAborted, "the camera feed was aborted");
    if (session_.FileSendStopped(options_.id)) {
      counts_->stopped = true;
      return WriteBatch();
    }
    int waitMs = 1000;
    status = SendDue(&waitMs);
    if (!status.ok()) return status;
    bool windowOpen = false;
    if (!batch_.empty()) {
      const int64_t held = MonotonicMs() - batchOpenedMs_;
      if (options_.coalesceMs == 0 || held >= options_.coalesceMs || AllEnded() ||
          batchBytes_ >= kMaxBatchBytes) {
        // The window closes: what the inputs gave meanwhile joins the batch.
        if (options_.coalesceMs > 0) {
          status = ReadAvailable();
          if (status.ok()) status = SendDue(&waitMs);
          if (!status.ok()) return status;
        }
        status = WriteBatch();
        if (!status.ok()) return status;
      } else {
        waitMs = std::min<int>(waitMs, static_cast<int>(options_.coalesceMs - held));
        windowOpen = true;
      }
    }
    if (AllEnded() && video_.queue.empty() && audio_.queue.empty() && batch_.empty()) {
      return Status::Ok();
    }
    // Sleep until an input has bytes (while its queue has room), a frame is due, the batch's
    // window closes, the server speaks, or a stop. While a window is open the inputs are not
    // watched: what they give waits in the pipe (64 KB) and is read when the window closes,
    // so a window costs one wake-up, not one per frame that joins it.
    pollfd fds[2];
    Input* inputs[2];
    int count = 0;
    for (Input* input : {&video_, &audio_}) {
      if (windowOpen || !Readable(*input)) continue;
      fds[count] = {input->fd, POLLIN, 0};
      inputs[count++] = input;
    }
    status = session_.IdleOn(waitMs, fds, count);
    if (!status.ok()) return status;
    for (int i = 0; i < count; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      status = inputs[i] == &video_ ? ReadVideo() : ReadAudio();
      if (!status.ok()) return status;
    }
  }
}

// Before the start a track waits for the other's configuration: its frames queue up
// (startWaitMs of media at most), so that the missing one can still be read. After it, an
// input is read no further ahead than kMaxQueued frames.
bool CameraFeed::Readable(const Input& input) const {
  return input.fd >= 0 && !input.ended && (!started_ || input.queue.size() < kMaxQueued);
}

// Non-blocking reads of whatever the inputs hold now.
Status CameraFeed::ReadAvailable() {
  if (Readable(video_)) {
    Status s = ReadVideo();
    if (!s.ok()) return s;
  }
  return Readable(audio_) ? ReadAudio() : Status::Ok();
}

// Reads what `input` has now (a few reads at most) into the window `space` gives;
// `taken(got)` splits what was read (got 0: the end of the input) and takes its frames.
template <typename Space, typename Taken>
Status ReadInput(Input* input, const char* what, Space space, Taken taken) {
  for (int reads = 0; reads < 4; ++reads) {
    const ssize_t got = read(input->fd, space(), kReadBytes);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      return Status::Error(code::kFile, std::string("reading the ") + what +
                                            " input failed: " + std::strerror(errno));
    }
    if (got == 0) input->ended = true;
    Status s = taken(static_cast<size_t>(got));
    if (!s.ok() || input->ended || static_cast<size_t>(got) < kReadBytes) return s;
  }
  return Status::Ok();
}

Status CameraFeed::ReadVideo() {
  return ReadInput(
      &video_, "video", [this] { return video_splitter_.Space(kReadBytes); },
      [this](size_t got) {
        Status s = Status::Ok();
        if (got == 0) {
          video_splitter_.Flush(&units_);
        } else {
          s = video_splitter_.Commit(got, &units_);
        }
        for (; s.ok() && !units_.empty(); units_.pop_front()) s = TakeAccessUnit(units_.front());
        units_.clear();
        counts_->videoBytesIn = video_splitter_.bytesIn();
        counts_->videoDroppedBytes = video_splitter_.droppedBytes();
        return s;
      });
}

Status CameraFeed::ReadAudio() {
  return ReadInput(
      &audio_, "audio", [this] { return audio_splitter_.Space(kReadBytes); },
      [this](size_t got) {
        if (got == 0) {
          audio_splitter_.Flush();
        } else {
          audio_splitter_.Commit(got, &adts_);
        }
        for (; !adts_.empty(); adts_.pop_front()) TakeAdtsFrame(adts_.front());
        counts_->audioBytesIn = audio_splitter_.bytesIn();
        counts_->audioDroppedBytes = audio_splitter_.droppedBytes();
        return Status::Ok();
      });
}

// One access unit: its NAL units sorted (h264_access_unit.h), stamped, and queued as a frame
// (from the first keyframe on) and, when they are new, its parameter sets.
Status CameraFeed::TakeAccessUnit(const std::vector<uint8_t>& au) {
  AccessUnitNals nals;
  Status sorted = SortAccessUnit(au.data(), au.size(), &nals);
  if (!sorted.ok()) return sorted;
  std::vector<uint8_t>& parameterSets = nals.parameterSets;
  const bool keyframe = nals.keyframe;
  const bool newParameterSets = !parameterSets.empty() && parameterSets != lastParameterSets_;
  if (!parameterSets.empty()) haveParameterSets_ = true;
  if (nals.slices > 0 && !haveParameterSets_) {
    return Status::Error(
        code::kMediaInvalid,
        "H.264 frame before any SPS and PPS: the encoder must send them with the first IDR");
  }
  const double ms = static_cast<double>(videoIndex_) * 1000.0 / options_.frameRate;
  ++videoIndex_;
  Entry entry;
  entry.timestamp = static_cast<uint32_t>(std::floor(ms + 0.5));  // Math.round
  if (newParameterSets) {
    lastParameterSets_ = parameterSets;
    entry.parameterSets = std::move(parameterSets);
  }
  if (!nals.kept.empty()) {
    if (waitingForKeyframe_ && !keyframe) {
      ++counts_->skippedFrames;
    } else {
      waitingForKeyframe_ = false;
      const std::vector<uint8_t>& prefix =
          keyframe ? options_.videoKeyPrefix : options_.videoInterPrefix;
      entry.body.reserve(prefix.size() + nals.keptBytes);
      entry.body.insert(entry.body.end(), prefix.begin(), prefix.end());
      AppendLengthPrefixed(au.data(), nals, &entry.body);
      entry.hasFrame = true;
    }
  }
  if (entry.hasFrame || !entry.parameterSets.empty()) Queue(&video_, std::move(entry));
  return Status::Ok();
}

void CameraFeed::TakeAdtsFrame(const AdtsFrame& frame) {
  if (audioRate_ != 0 && frame.sampleRate != audioRate_) {
    // A new rate starts a new grid where the old one ended.
    audioStartMs_ += static_cast<double>(audioSamples_) * 1000.0 / audioRate_;
    audioSamples_ = 0;
  }
  audioRate_ = frame.sampleRate;
  const double ms = audioStartMs_ + static_cast<double>(audioSamples_) * 1000.0 / audioRate_;
  audioSamples_ += 1024;  // AAC_FRAME_SAMPLES
  Entry entry;
  entry.timestamp = static_cast<uint32_t>(std::floor(ms + 0.5));
  entry.hasFrame = true;
  const uint32_t config = (uint32_t{frame.objectType} << 16) |
                          (uint32_t{frame.frequencyIndex} << 8) | frame.channelConfig;
  if (config != lastAudioConfig_) {
    lastAudioConfig_ = config;
    entry.audioConfig = frame.data;
  }
  const std::vector<uint8_t>& prefix = options_.audioPrefix;
  entry.body.reserve(prefix.size() + frame.data.size() - frame.headerSize);
  entry.body.insert(entry.body.end(), prefix.begin(), prefix.end());
  entry.body.insert(entry.body.end(), frame.data.begin() + frame.headerSize, frame.data.end());
  Queue(&audio_, std::move(entry));
}

// The first frame split anchors the pacer, as the first frame fed does in byte-stream-feed.ts.
void CameraFeed::Queue(Input* input, Entry entry) {
  if (options_.pace && !paceAnchored_) {
    paceAnchored_ = true;
    pacer_.DelayMs(entry.timestamp);
  }
  input->queue.push_back(std::move(entry));
}

// Every declared track has its configuration, or one has waited long enough, or the inputs
// are over: as MediaPublisher starts.
bool CameraFeed::StartReady() const {
  // A continued stream may start at a keyframe without parameter sets: it has them from before.
  const bool videoReady =
      !video_.queue.empty() && (!video_.queue.front().parameterSets.empty() ||
                                (options_.continued && video_.queue.front().hasFrame));
  const bool audioReady =
      !hasAudio_ || (!audio_.queue.empty() && !audio_.queue.front().audioConfig.empty());
  if (videoReady && audioReady) return true;
  if (AllEnded()) return !video_.queue.empty() || !audio_.queue.empty();
  uint32_t lo = std::numeric_limits<uint32_t>::max();
  uint32_t hi = 0;
  for (const Input* input : {&video_, &audio_}) {
    for (const Entry& e : input->queue) {
      lo = std::min(lo, e.timestamp);
      hi = std::max(hi, e.timestamp);
    }
  }
  return lo <= hi && static_cast<int64_t>(hi) - lo > options_.startWaitMs;
}

// The track whose head frame comes first (video on a tie, as it was split first).
Input* CameraFeed::NextInput() {
  if (video_.queue.empty()) return audio_.queue.empty() ? nullptr : &audio_;
  if (audio_.queue.empty()) return &video_;
  return audio_.queue.front().timestamp < video_.queue.front().timestamp ? &audio_ : &video_;
}

// Moves what is due into the batch; `waitMs` is lowered to when the next frame is due.
Status CameraFeed::SendDue(int* waitMs) {
  if (!started_) {
    // Before the start, the input of a track without its configuration must not stall the
    // other: frames wait in their queues (unbounded only up to startWaitMs of media).
    if (!StartReady()) return Status::Ok();
    HeaderRequest request;
    request.first = true;
    if (!video_.queue.empty())
      request.parameterSets = std::move(video_.queue.front().parameterSets);
    if (!audio_.queue.empty()) request.audioFrame = std::move(audio_.queue.front().audioConfig);
    video_.queue.empty() ? void() : video_.queue.front().parameterSets.clear();
    audio_.queue.empty() ? void() : audio_.queue.front().audioConfig.clear();
    Input* first = NextInput();
    request.timestamp = first != nullptr ? first->queue.front().timestamp : 0;
    started_ = true;
    Status s = Ask(std::move(request));
    if (!s.ok()) return s;
  }
  for (Input* input; (input = NextInput()) != nullptr;) {
    Entry& entry = input->queue.front();
    if (options_.pace && entry.hasFrame) {
      const int64_t delay = pacer_.DelayMs(entry.timestamp);
      if (delay > 0) {
        *waitMs = static_cast<int>(std::min<int64_t>(*waitMs, delay));
        return Status::Ok();
      }
    }
    if (!entry.parameterSets.empty() || !entry.audioConfig.empty()) {
      HeaderRequest request;
      request.parameterSets = std::move(entry.parameterSets);
      request.audioFrame = std::move(entry.audioConfig);
      request.timestamp = entry.timestamp;
      Status s = Ask(std::move(request));
      if (!s.ok()) return s;
    }
    if (entry.hasFrame) {
      if (batch_.empty()) batchOpenedMs_ = MonotonicMs();
      const uint8_t type = input == &video_ ? kTypeVideo : kTypeAudio;
      (type == kTypeVideo ? batchVideoFrames_ : batchAudioFrames_)++;
      batchBytes_ += entry.body.size();
      batch_.push_back({type, entry.timestamp, std::move(entry.body)});
    }
    input->queue.pop_front();
  }
  return Status::Ok();
}

// Asks JavaScript for the tags of a configuration and puts them in the batch; waits for the
// answer, answering the server meanwhile.
Status CameraFeed::Ask(HeaderRequest request) {
  request.generation = ++generation_;
  const uint32_t generation = request.generation;
  if (!ask_(std::move(request)))
    return Status::Error(code::kAborted, "the camera feed was aborted");
  const int64_t deadline = MonotonicMs() + kAnswerTimeoutMs;
  std::vector<HeaderTag> tags;
  while (!answers_.Take(generation, &tags)) {
    if (session_.abandoned()) return Status::Error(code::kAborted, "the camera feed was aborted");
    if (session_.FileSendStopped(options_.id)) return Status::Ok();  // Run() sees the stop next
    const int64_t left = deadline - MonotonicMs();
    if (left <= 0)
      return Status::Error(code::kInternal, "no answer to the camera feed's header request");
    Status s = session_.IdleOn(static_cast<int>(std::min<int64_t>(left, 1000)), nullptr, 0);
    if (!s.ok()) return s;
  }
  if (!tags.empty() && batch_.empty()) batchOpenedMs_ = MonotonicMs();
  for (HeaderTag& tag : tags) batch_.push_back(std::move(tag));
  return Status::Ok();
}

Status CameraFeed::WriteBatch() {
  if (batch_.empty()) return Status::Ok();
  OutgoingBatch batch(batch_.size());
  for (const HeaderTag& tag : batch_)
    batch.Add(tag.type, tag.timestamp, tag.body.data(), tag.body.size());
  Status s = session_.Write(batch);
  if (!s.ok()) return s;
  for (const OutgoingBatch::Message& m : batch.messages()) counts_->bytes += m.size;
  counts_->videoFrames += batchVideoFrames_;
  counts_->audioFrames += batchAudioFrames_;
  ++counts_->writes;
  batchVideoFrames_ = batchAudioFrames_ = 0;
  batchBytes_ = 0;
  batch_.clear();
  return Status::Ok();
}

}  // namespace

Status SendCameraFeed(Session& session, const CameraFeedOptions& options, HeaderAnswers& answers,
                      const AskForHeaders& ask, CameraFeedCounts* counts) {
  CameraFeed feed(session, options, answers, ask, counts);
  Status status = feed.Run();
  feed.Where(counts);
  return status;
}

}  // namespace librtmp_node
