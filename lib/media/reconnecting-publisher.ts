// ReconnectingPublisher: a camera's publishing session that outlives its connections. Frames
// are muxed once (MediaPublisher) and handed to every destination; each destination queues,
// sends, drops by the congestion rules and reconnects with backoff on its own (Destination),
// so one that stalls or fails never holds the others back. After a reconnect a destination
// starts again with onMetaData, the sequence headers and a keyframe, keeping the encoder's
// timestamps. While disconnected its queue keeps bounding itself: an outage never buffers
// without limit.
import { EventEmitter } from 'node:events';
import { openConnection, type RtmpConnection } from '../connection';
import { ErrorCodes, invalidArg, RtmpError } from '../errors';
import type { FlvTag } from '../flv';
import type { AudioFrame } from './aac';
import { resolveDestinations, type CameraOptions } from './camera-options';
import type { ByteSource } from './byte-source';
import { FeedTiming, pipeAudio, pipeVideo, type PipeOptions, type PipeResult } from './byte-stream-feed';
import { Destination, type DestinationConfig, type DestinationDropEvent, type DestinationStats, type FailedEvent } from './destination';
import type { VideoFrame } from './h264';
import { annexBCodec, checkProfileOptions, MediaPublisher, type MediaPublisherStats } from './muxer';
import type { ProfileWarning } from './stream-rules';
import { BitrateAdvisor, checkBitrateAdvice, SAMPLE_MS, type BitrateEvent } from './bitrate-advisor';
import type { SendQueueStats } from './send-queue';

export type { CameraOptions, DestinationOptions } from './camera-options';
export type {
  ConnectedEvent,
  DestinationDropEvent,
  DestinationRef,
  DestinationStats,
  FailedEvent,
  ReconnectedEvent,
  ReconnectingEvent,
  ReconnectOptions,
  ReconnectRequestedEvent,
} from './destination';

/**
 * `drop`: a destination's send queue dropped frames, with how far the frames written are ahead
 * of real time. `fasterThanRealTime` says the frames were dropped because they came faster
 * than the clock (a file or a fast pipe, not a slow link); `message` says what to do.
 */
export interface CameraDropEvent extends DestinationDropEvent {
  /** Media time written minus wall time elapsed since the first frame, ms (0 when behind). */
  inputAheadMs: number;
  fasterThanRealTime: boolean;
  message: string;
}

export interface CameraStats extends MediaPublisherStats, SendQueueStats {
  /** Of the first destination (see `destinations` for each). */
  reconnects: number;
  connected: boolean;
  /** Bytes the first destination's connection has been handed and not yet written. */
  connectionQueuedBytes: number;
  destinations: DestinationStats[];
}

const DESTINATION_EVENTS = ['reconnecting', 'reconnected', 'connected', 'failed', 'reconnectRequest'] as const;

/**
 * Connects and returns a publisher that reconnects on its own: `publishCamera(url, options)`
 * for one destination, `publishCamera({ destinations: [...], ...options })` for several from
 * one encode. Everything is checked before anything connects. A destination's first
 * connection must succeed unless `retryFirstConnection` is set for it; if one fails, those
 * already open are closed and its error is thrown.
 */
export function publishCamera(url: string | URL, options?: CameraOptions): Promise<ReconnectingPublisher>;
export function publishCamera(options: CameraOptions & { destinations: NonNullable<CameraOptions['destinations']> }): Promise<ReconnectingPublisher>;
export async function publishCamera(first: string | URL | CameraOptions, second?: CameraOptions): Promise<ReconnectingPublisher> {
  const byOptions = typeof first === 'object' && first !== null && !(first instanceof URL);
  const options = (byOptions ? first : second) ?? {};
  const configs = resolveDestinations(byOptions ? undefined : (first as string | URL), options);
  // Strict profile refusals come before a connection is opened.
  checkProfileOptions(options);
  if (options.bitrateAdvice !== undefined) {
    try {
      checkBitrateAdvice(options.bitrateAdvice);
    } catch (error) {
      throw invalidArg((error as Error).message);
    }
  }
  const opened = await Promise.allSettled(
    configs.map((config) => (config.retryFirstConnection ? undefined : openConnection(config.url, config.rtmp, 'publish'))),
  );
  const failed = opened.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) {
    await Promise.all(opened.map((result) => (result.status === 'fulfilled' ? result.value?.close() : undefined)));
    throw failed.reason;
  }
  const connections = opened.map((result) => (result as PromiseFulfilledResult<RtmpConnection | undefined>).value);
  return new ReconnectingPublisher(options, configs, connections);
}

export class ReconnectingPublisher extends EventEmitter {
  /** The first destination's URL, stream key masked. */
  readonly url: string;
  /** Every destination's URL, stream keys masked, in order. */
  readonly urls: readonly string[];
  readonly #options: CameraOptions;
  readonly #configs: readonly DestinationConfig[];
  readonly #destinations: Destination[];
  readonly #publisher: MediaPublisher;
  #closed = false;
  #advisor: BitrateAdvisor | undefined;
  #adviceTimer: NodeJS.Timeout | undefined;
  #failure: RtmpError | undefined;
  // Ends pacing waits at close().
  readonly #closing = new AbortController();
  readonly #feeds = new FeedTiming(this.#closing.signal);
  // The first frame written (wall clock and media time) and the latest media time.
  #firstWrite: { wallMs: number; mediaMs: number } | undefined;
  #latestMediaMs = -Infinity;

  /**
   * Prefer publishCamera(), which checks the options. `connections[i]`: an open publishing
   * connection for `configs[i]`, or undefined to connect in the background.
   */
  constructor(options: CameraOptions, configs: readonly DestinationConfig[], connections: readonly (RtmpConnection | undefined)[]) {
    super();
    this.#options = options;
    this.#configs = configs;
    this.#destinations = configs.map((config, index) => new Destination(index, config));
    this.url = configs[0].maskedUrl;
    this.urls = configs.map((config) => config.maskedUrl);
    const fanOut = {
      writeTags: (tags: readonly FlvTag[]): Promise<void> => {
        for (const destination of this.#destinations) destination.push(tags);
        return Promise.resolve();
      },
    };
    this.#publisher = new MediaPublisher(fanOut, options);
    this.#publisher.on('warning', (warning: ProfileWarning) => this.emit('warning', warning));
    for (const destination of this.#destinations) {
      for (const name of DESTINATION_EVENTS) destination.on(name, (event: unknown) => this.emit(name, event));
      destination.on('drop', (event: DestinationDropEvent) => this.emit('drop', this.#explain(event)));
      destination.on('failed', (event: FailedEvent) => this.#onFailed(event));
    }
    this.#destinations.forEach((destination, index) => destination.start(connections[index]));
    if (options.bitrateAdvice) {
      const advisor = new BitrateAdvisor(options.bitrateAdvice);
      this.#advisor = advisor;
      this.#adviceTimer = setInterval(() => this.#advise(advisor), SAMPLE_MS);
      this.#adviceTimer.unref();
    }
  }

  writeVideo(frame: VideoFrame): Promise<void> {
    return this.#write(frame.dts ?? frame.pts, () => this.#publisher.writeVideo(frame));
  }

  writeAudio(frame: AudioFrame): Promise<void> {
    return this.#write(frame.pts, () => this.#publisher.writeAudio(frame));
  }

  /**
   * Publishes an encoder's Annex-B byte stream (a Readable, any async iterable of Buffers, or
   * a path: a named pipe is read through the event loop, not the thread pool),
   * stamped by `frameRate` (paced in real time by default) or `clock`; see docs/API.md.
   */
  pipeVideo(source: ByteSource, options: PipeOptions = {}): Promise<PipeResult> {
    return pipeVideo(this, this.#feeds, annexBCodec(this.#options.videoCodec), source, options);
  }

  /** Publishes an ADTS byte stream, stamped by its samples (or `clock`). */
  pipeAudio(source: ByteSource, options: PipeOptions = {}): Promise<PipeResult> {
    return pipeAudio(this, this.#feeds, source, options);
  }

  async #write(mediaMs: number, write: () => Promise<void>): Promise<void> {
    if (this.#failure) throw this.#failure;
    if (this.#options.pace && Number.isFinite(mediaMs)) {
      await this.#feeds.pacer.waitFor(mediaMs);
      if (this.#failure) throw this.#failure;
    }
    if (Number.isFinite(mediaMs)) {
      this.#firstWrite ??= { wallMs: performance.now(), mediaMs };
      this.#latestMediaMs = Math.max(this.#latestMediaMs, mediaMs);
    }
    return write().catch((error: unknown) => this.#refused(error));
  }

  /** With bitrateAdvice: the current advice for the video encoder, kbit/s. */
  get recommendedKbps(): number | undefined {
    return this.#advisor?.kbps;
  }

  // One look at the first destination's send path; a changed advice is a 'bitrate' event.
  #advise(advisor: BitrateAdvisor): void {
    const range = this.#publisher.videoBitrateRange();
    const capped = range ? advisor.capAt(range.maxKbps) : undefined;
    if (capped) this.emit('bitrate', capped);
    const stats = this.#destinations[0].stats();
    const event = advisor.sample({
      at: performance.now(),
      bytesOut: this.connectionOf(0)?.stats().bytesOut ?? 0,
      queuedVideoMs: stats.queuedVideoMs,
      droppedFrames: stats.droppedFrames,
    });
    if (event) this.emit('bitrate', event satisfies BitrateEvent);
  }

  // Strict profile mode refused the stream: the session ends with that error (an 'error'
  // event, every later write refused with it) and every destination is closed.
  #refused(error: unknown): never {
    if (error instanceof RtmpError && error.code === ErrorCodes.PROFILE_VIOLATION && !this.#failure) {
      this.#failure = error;
      if (this.listenerCount('error') > 0) this.emit('error', error);
      void Promise.all(this.#destinations.map((destination) => destination.close()));
    }
    throw error;
  }

  // Says whether frames were dropped for running ahead of the clock or for a slow link.
  #explain(event: DestinationDropEvent): CameraDropEvent {
    const first = this.#firstWrite;
    const ahead = first ? this.#latestMediaMs - first.mediaMs - (performance.now() - first.wallMs) : 0;
    const inputAheadMs = Math.max(0, Math.round(ahead));
    const bound = this.#configs[event.destination]?.pframeDropThresholdMs ?? 900;
    const fasterThanRealTime = event.reason !== 'disconnect' && inputAheadMs > bound;
    const what = `${event.videoFrames} video and ${event.audioFrames} audio frames dropped (${event.reason})`;
    let message: string;
    if (event.reason === 'disconnect') {
      message = `${what}: they were queued for a connection that failed`;
    } else if (fasterThanRealTime) {
      message =
        `${what}: frames are written ${(inputAheadMs / 1000).toFixed(1)} s ahead of real time, and the send queue ` +
        `holds at most ${bound} ms of video. Pace the source: publishCamera({ pace: true }), or pipeVideo() with a frameRate`;
    } else {
      message = `${what}: the link carries less than the stream (${event.queuedVideoMs} ms of video queued)`;
    }
    return { ...event, inputAheadMs, fasterThanRealTime, message };
  }

  flush(): Promise<void> {
    return this.#publisher.flush();
  }

  stats(): CameraStats {
    const destinations = this.#destinations.map((destination) => destination.stats());
    const first = destinations[0];
    return {
      ...this.#publisher.stats(),
      queuedTags: first.queuedTags,
      queuedBytes: first.queuedBytes,
      queuedVideoMs: first.queuedVideoMs,
      maxQueuedVideoMs: first.maxQueuedVideoMs,
      droppedFrames: first.droppedFrames,
      droppedAudioFrames: first.droppedAudioFrames,
      reconnects: first.reconnects,
      connected: first.connected,
      connectionQueuedBytes: first.connectionQueuedBytes,
      destinations,
    };
  }

  /** Destination `index`'s current connection (undefined while it is disconnected). */
  connectionOf(index: number): RtmpConnection | undefined {
    return this.#destinations[index]?.connection();
  }

  /**
   * Stops retrying, ends the media (see MediaPublisher.end()), sends what is queued (where
   * connected) and closes every destination. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort();
    clearInterval(this.#adviceTimer);
    // The silent track (audio: 'silent') is completed to the end of the video.
    if (!this.#failure) await this.#publisher.end().catch(() => undefined);
    if (!this.#failure) this.#failure = new RtmpError(ErrorCodes.CLOSED, 'The publisher is closed');
    await Promise.all(this.#destinations.map((destination) => destination.close()));
  }

  // The session fails only when every destination has: until then the others carry the stream.
  #onFailed(event: FailedEvent): void {
    if (this.#closed || this.#failure) return;
    if (!this.#destinations.every((destination) => destination.failure !== undefined)) return;
    this.#failure = this.#destinations[0].failure ?? event.error;
    // An 'error' without a listener would throw from a timer: writes report it instead.
    if (this.listenerCount('error') > 0) this.emit('error', this.#failure);
  }
}
