// ReconnectingPublisher: a camera's publishing session that outlives its connections. Frames
// are muxed once (MediaPublisher) and handed to every destination; each destination queues,
// sends, drops by the congestion rules and reconnects with backoff on its own (Destination),
// so one that stalls or fails never holds the others back. After a reconnect a destination
// starts again with onMetaData, the sequence headers and a keyframe, keeping the encoder's
// timestamps. While disconnected its queue keeps bounding itself: an outage never buffers
// without limit.
import { EventEmitter } from 'node:events';
import { RtmpConnection } from '../connection';
import { ErrorCodes, RtmpError } from '../errors';
import type { FlvTag } from '../flv';
import type { AudioFrame } from './aac';
import { resolveDestinations, type CameraOptions } from './camera-options';
import { Destination, type DestinationConfig, type DestinationStats, type FailedEvent } from './destination';
import type { VideoFrame } from './h264';
import { MediaPublisher, type MediaPublisherStats } from './muxer';
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
} from './destination';

export interface CameraStats extends MediaPublisherStats, SendQueueStats {
  /** Of the first destination (see `destinations` for each). */
  reconnects: number;
  connected: boolean;
  /** Bytes the first destination's connection has been handed and not yet written. */
  connectionQueuedBytes: number;
  destinations: DestinationStats[];
}

const DESTINATION_EVENTS = ['reconnecting', 'reconnected', 'connected', 'drop', 'failed'] as const;

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
  const opened = await Promise.allSettled(
    configs.map((config) => (config.retryFirstConnection ? undefined : RtmpConnection.open(config.url, config.rtmp, 'publish'))),
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
  readonly #destinations: Destination[];
  readonly #publisher: MediaPublisher;
  #closed = false;
  #failure: RtmpError | undefined;

  /**
   * Prefer publishCamera(), which checks the options. `connections[i]`: an open publishing
   * connection for `configs[i]`, or undefined to connect in the background.
   */
  constructor(options: CameraOptions, configs: readonly DestinationConfig[], connections: readonly (RtmpConnection | undefined)[]) {
    super();
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
    for (const destination of this.#destinations) {
      for (const name of DESTINATION_EVENTS) destination.on(name, (event: unknown) => this.emit(name, event));
      destination.on('failed', (event: FailedEvent) => this.#onFailed(event));
    }
    this.#destinations.forEach((destination, index) => destination.start(connections[index]));
  }

  writeVideo(frame: VideoFrame): Promise<void> {
    return this.#failure ? Promise.reject(this.#failure) : this.#publisher.writeVideo(frame);
  }

  writeAudio(frame: AudioFrame): Promise<void> {
    return this.#failure ? Promise.reject(this.#failure) : this.#publisher.writeAudio(frame);
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
