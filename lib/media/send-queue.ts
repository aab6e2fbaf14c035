// SendQueue: the tags between a MediaPublisher and its connection, bounded in media time
// (tag timestamps) rather than bytes: a camera cannot wait for a slow link, so when video
// falls behind, frames are dropped the way OBS does it — disposable video first, then all of
// it — and video resumes at a keyframe. Audio, sequence headers and metadata are never dropped
// by those rules; a hard bound (maxQueuedMs) keeps an outage from buffering audio forever.
import { EventEmitter } from 'node:events';
import type { FlvTag } from '../flv';
import { isKeyframe, isSequenceHeader } from '../flv-tags';
import type { TagSink } from './muxer';

export interface SendQueueOptions {
  /** Queued video (ms of media time) above which non-key video is dropped until the next keyframe. Default 700. */
  dropThresholdMs?: number;
  /** Queued video above which all video is dropped until the next keyframe. Default 900. */
  pframeDropThresholdMs?: number;
  /** Media time handed to the connection in one writeTags(), ms. Default 100. */
  maxBatchMs?: number;
  /** Hard bound on queued media of any kind (only reached when even audio cannot get out). Default 5000. */
  maxQueuedMs?: number;
  /**
   * Coalescing window, ms of wall time. A frame that finds the connection idle waits up to this
   * long for a frame of the other track, so that audio and video due within the window leave
   * in one writeTags(): one write and one TLS flush, one wake-up of the connection thread,
   * instead of two. A batch holding both tracks goes at once. Default 5; 0 = off (each frame
   * is handed over as it comes). It adds at most this much latency.
   */
  coalesceMs?: number;
}

export interface SendQueueStats {
  queuedTags: number;
  queuedBytes: number;
  /** Media time from the oldest queued video frame to the newest queued tag, ms. */
  queuedVideoMs: number;
  /** The largest queuedVideoMs seen after bounding. */
  maxQueuedVideoMs: number;
  /** Video frames dropped by the rules, or lost with a failed connection. */
  droppedFrames: number;
  /** Audio frames dropped by the hard bound, or lost with a failed connection. */
  droppedAudioFrames: number;
}

export interface DropEvent {
  /** 'non-key': non-key video; 'all-video': every video frame; 'audio-bound': audio past maxQueuedMs; 'disconnect': lost with a failed connection. */
  reason: 'non-key' | 'all-video' | 'audio-bound' | 'disconnect';
  videoFrames: number;
  audioFrames: number;
  /** Queued video media time that triggered the drop, ms. */
  queuedVideoMs: number;
}

// The tags the rules may drop: frames, not headers or metadata.
const isVideoFrame = (tag: FlvTag): boolean => tag.type === 'video' && !isSequenceHeader(tag);
const isAudioFrame = (tag: FlvTag): boolean => tag.type === 'audio' && !isSequenceHeader(tag);

export class SendQueue extends EventEmitter implements TagSink {
  readonly #dropThresholdMs: number;
  readonly #pframeDropThresholdMs: number;
  readonly #maxQueuedMs: number;
  readonly #maxBatchMs: number;
  readonly #coalesceMs: number;
  // The coalescing window's timer, while a lone frame waits for its partner.
  #holdTimer: NodeJS.Timeout | undefined;
  #holdExpired = false;
  #tags: FlvTag[] = [];
  #sink: TagSink | undefined;
  // Bumped by detach(): a write that finishes for a detached sink changes nothing here.
  #generation = 0;
  #inFlight = false;
  // Incoming video frames are dropped until the next keyframe, after any video was dropped.
  #awaitingKeyframe = false;
  #idleWaiters: (() => void)[] = [];
  #maxQueuedVideoMs = 0;
  #droppedFrames = 0;
  #droppedAudioFrames = 0;
  #onError: ((error: unknown) => void) | undefined;

  constructor(options: SendQueueOptions = {}) {
    super();
    this.#dropThresholdMs = options.dropThresholdMs ?? 700;
    this.#pframeDropThresholdMs = options.pframeDropThresholdMs ?? 900;
    this.#maxQueuedMs = options.maxQueuedMs ?? 5000;
    this.#maxBatchMs = options.maxBatchMs ?? 100;
    this.#coalesceMs = options.coalesceMs ?? 5;
    if (!(Number.isFinite(this.#coalesceMs) && this.#coalesceMs >= 0 && this.#coalesceMs <= 1000)) {
      throw new RangeError('coalesceMs must be between 0 and 1000');
    }
    if (!(this.#dropThresholdMs > 0 && this.#pframeDropThresholdMs >= this.#dropThresholdMs && this.#maxQueuedMs >= this.#pframeDropThresholdMs)) {
      throw new RangeError('need 0 < dropThresholdMs <= pframeDropThresholdMs <= maxQueuedMs');
    }
  }

  stats(): SendQueueStats {
    return {
      queuedTags: this.#tags.length,
      queuedBytes: this.#tags.reduce((n, tag) => n + tag.data.length, 0),
      queuedVideoMs: this.#queuedVideoMs(),
      maxQueuedVideoMs: this.#maxQueuedVideoMs,
      droppedFrames: this.#droppedFrames,
      droppedAudioFrames: this.#droppedAudioFrames,
    };
  }

  /**
   * Sends to `sink` from now on, one writeTags() per batch with one batch in flight. A failed
   * write detaches the sink and is reported to `onError`; the queue keeps bounding itself.
   */
  attach(sink: TagSink, onError?: (error: unknown) => void): void {
    this.#generation++;
    this.#sink = sink;
    this.#inFlight = false;
    this.#onError = onError;
    this.#drain();
  }

  /** Stops sending and discards what is queued: it belonged to a session that is gone. */
  detach(): void {
    this.#endHold();
    this.#generation++;
    this.#sink = undefined;
    this.#inFlight = false;
    const lost = this.#tags;
    this.#tags = [];
    this.#awaitingKeyframe = false;
    this.#report('disconnect', lost.filter(isVideoFrame).length, lost.filter(isAudioFrame).length, 0);
    this.#settleIdle();
  }

  /** Queues tags (never waits for the network: a camera cannot slow down). */
  writeTags(tags: readonly FlvTag[]): Promise<void> {
    for (const tag of tags) this.#push(tag);
    this.#bound();
    this.#drain();
    return Promise.resolve();
  }

  /** Resolves once nothing is queued or in flight (or no sink is attached). */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #isIdle(): boolean {
    return this.#sink === undefined || (!this.#inFlight && this.#tags.length === 0);
  }

  #settleIdle(): void {
    if (!this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #push(tag: FlvTag): void {
    if (isVideoFrame(tag) && this.#awaitingKeyframe) {
      if (!isKeyframe(tag)) {
        this.#report('non-key', 1, 0, this.#queuedVideoMs());
        return;
      }
      this.#awaitingKeyframe = false;
    }
    this.#tags.push(tag);
  }

  // From the oldest queued video frame to the newest queued tag: how late that frame is.
  #queuedVideoMs(): number {
    const oldest = this.#tags.find(isVideoFrame);
    if (!oldest) return 0;
    let newest = oldest.timestamp;
    for (const tag of this.#tags) if (tag.type !== 'script') newest = Math.max(newest, tag.timestamp);
    return newest - oldest.timestamp;
  }

  #bound(): void {
    let queued = this.#queuedVideoMs();
    if (queued > this.#dropThresholdMs && queued <= this.#pframeDropThresholdMs) {
      // Keyframes stay: each decodes alone, and the next frame sent is one of them or the next.
      this.#dropVideo('non-key', (tag) => !isKeyframe(tag), queued);
      queued = this.#queuedVideoMs();
    }
    if (queued > this.#pframeDropThresholdMs) this.#dropVideo('all-video', () => true, queued);
    this.#boundAudio();
    this.#maxQueuedVideoMs = Math.max(this.#maxQueuedVideoMs, this.#queuedVideoMs());
  }

  #dropVideo(reason: DropEvent['reason'], drops: (tag: FlvTag) => boolean, queuedVideoMs: number): void {
    const before = this.#tags.length;
    this.#tags = this.#tags.filter((tag) => !(isVideoFrame(tag) && drops(tag)));
    this.#awaitingKeyframe = true;
    this.#report(reason, before - this.#tags.length, 0, queuedVideoMs);
  }

  // Oldest-first, and only frames: headers and metadata stay ahead of what needs them.
  #boundAudio(): void {
    const media = this.#tags.filter((tag) => tag.type !== 'script');
    if (media.length === 0) return;
    const newest = Math.max(...media.map((tag) => tag.timestamp));
    const tooOld = (tag: FlvTag): boolean => isAudioFrame(tag) && newest - tag.timestamp > this.#maxQueuedMs;
    const count = this.#tags.filter(tooOld).length;
    if (count === 0) return;
    this.#tags = this.#tags.filter((tag) => !tooOld(tag));
    this.#report('audio-bound', 0, count, this.#queuedVideoMs());
  }

  #report(reason: DropEvent['reason'], videoFrames: number, audioFrames: number, queuedVideoMs: number): void {
    if (videoFrames === 0 && audioFrames === 0) return;
    this.#droppedFrames += videoFrames;
    this.#droppedAudioFrames += audioFrames;
    const event: DropEvent = { reason, videoFrames, audioFrames, queuedVideoMs };
    this.emit('drop', event);
  }

  #drain(): void {
    const sink = this.#sink;
    if (!sink || this.#inFlight || this.#tags.length === 0) {
      this.#settleIdle();
      return;
    }
    if (this.#holding()) return;
    this.#endHold();
    // A batch in flight can no longer be dropped from: keep it short, the rest stays here.
    let end = 1;
    const first = this.#tags[0].timestamp;
    while (end < this.#tags.length && this.#tags[end].timestamp - first < this.#maxBatchMs) end++;
    const batch = this.#tags.slice(0, end);
    this.#tags = this.#tags.slice(end);
    this.#inFlight = true;
    const generation = this.#generation;
    sink.writeTags(batch).then(
      () => {
        if (generation !== this.#generation) return;
        this.#inFlight = false;
        this.#drain();
      },
      (error: unknown) => {
        if (generation !== this.#generation) return;
        const onError = this.#onError;
        this.detach();
        onError?.(error);
      },
    );
  }

  // True while the queued frames wait out the coalescing window for the other track's frame.
  #holding(): boolean {
    if (this.#coalesceMs === 0 || this.#holdExpired) return false;
    let audio = false;
    let video = false;
    for (const tag of this.#tags) {
      if (tag.type === 'audio') audio = true;
      else if (tag.type === 'video') video = true;
      if (audio && video) return false;
    }
    this.#holdTimer ??= setTimeout(() => {
      this.#holdTimer = undefined;
      this.#holdExpired = true;
      this.#drain();
    }, this.#coalesceMs);
    return true;
  }

  #endHold(): void {
    clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    this.#holdExpired = false;
  }
}
