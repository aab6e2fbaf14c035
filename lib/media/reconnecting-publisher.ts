// ReconnectingPublisher: a camera's publishing session that outlives its connections. Frames
// go MediaPublisher → SendQueue → RtmpConnection; when the connection fails, it reconnects
// with backoff (OBS's defaults) and the muxer starts over on the new one with onMetaData, the
// sequence headers and a keyframe, keeping the encoder's timestamps. While disconnected the
// queue keeps bounding itself, so an outage never buffers without limit.
import { EventEmitter } from 'node:events';
import { RtmpConnection, type TlsInfo } from '../connection';
import { ErrorCodes, invalidArg, RtmpError } from '../errors';
import type { RtmpOptions } from '../options';
import type { AudioFrame } from './aac';
import type { VideoFrame } from './h264';
import { ENHANCED_FOURCC, MediaPublisher, type MediaPublisherOptions, type MediaPublisherStats } from './muxer';
import { SendQueue, type DropEvent, type SendQueueOptions, type SendQueueStats } from './send-queue';

export interface ReconnectOptions {
  /** Attempts after a failure before giving up (default 25, as OBS). */
  retries?: number;
  /** Delay before the first attempt, ms (default 2000, as OBS). */
  initialDelayMs?: number;
  /** Each further delay is the last one times this (default 1.5, as OBS). */
  factor?: number;
  /** Delays stop growing here, ms (default 15 minutes, as OBS). */
  maxDelayMs?: number;
  /** Up to this much is added to the factor at random, so cameras do not retry in step (default 0.05, as OBS). */
  jitter?: number;
}

export interface CameraOptions extends MediaPublisherOptions, SendQueueOptions {
  /** Connection options for every (re)connection. */
  rtmp?: RtmpOptions;
  /** false: a failed connection ends the session. */
  reconnect?: ReconnectOptions | false;
  /**
   * true: publishCamera() does not wait for the first connection. It is made in the
   * background and retried like a lost one (`reconnecting` events), frames are queued by the
   * usual bounds meanwhile, and `connected` fires once it is up. For a camera that boots
   * before its network. Default false: the first connection must succeed.
   */
  retryFirstConnection?: boolean;
}

export interface CameraStats extends MediaPublisherStats, SendQueueStats {
  reconnects: number;
  connected: boolean;
  /** Bytes the current connection has been handed and not yet written. */
  connectionQueuedBytes: number;
}

/** `reconnecting`: what failed (its code only: messages may quote server text) and when the next attempt is. */
export interface ReconnectingEvent {
  attempt: number;
  delayMs: number;
  code: string;
}

/** `connected`: the first connection, made in the background (retryFirstConnection). */
export interface ConnectedEvent {
  attempt: number;
}

export interface ReconnectedEvent {
  attempt: number;
  reconnects: number;
}

const DEFAULTS: Required<ReconnectOptions> = { retries: 25, initialDelayMs: 2000, factor: 1.5, maxDelayMs: 15 * 60_000, jitter: 0.05 };

function errorCode(error: unknown): string {
  return error instanceof RtmpError ? error.code : ErrorCodes.INTERNAL;
}

// HEVC and AV1 go out as Enhanced RTMP: say so in the connect command unless the caller did.
function withCodecAnnouncement(options: CameraOptions): CameraOptions {
  const rtmp = options.rtmp ?? {};
  const announced = rtmp.fourCcList !== undefined || (rtmp.connectProperties !== undefined && 'fourCcList' in rtmp.connectProperties);
  const codec = options.videoCodec ?? 'h264';
  // Checked here too: before a connection is opened for a publisher that could not be made.
  if (!Object.hasOwn(ENHANCED_FOURCC, codec)) throw invalidArg("videoCodec must be 'h264', 'hevc' or 'av1'");
  const fourCc = ENHANCED_FOURCC[codec];
  if (fourCc === undefined || announced) return options;
  return { ...options, rtmp: { ...rtmp, fourCcList: [fourCc] } };
}

/**
 * Connects and returns a publisher that reconnects on its own. The first connection must
 * succeed unless `retryFirstConnection` is set; the URL and options are checked either way.
 */
export async function publishCamera(url: string | URL, options: CameraOptions = {}): Promise<ReconnectingPublisher> {
  const effective = withCodecAnnouncement(options);
  if (effective.retryFirstConnection) {
    if (effective.reconnect === false) throw invalidArg('retryFirstConnection needs reconnect (it retries by its policy)');
    return new ReconnectingPublisher(url, effective, RtmpConnection.check(url, effective.rtmp, 'publish'));
  }
  const connection = await RtmpConnection.open(url, effective.rtmp, 'publish');
  return new ReconnectingPublisher(url, effective, connection);
}

export class ReconnectingPublisher extends EventEmitter {
  /** The URL with the stream key masked. */
  readonly url: string;
  readonly #target: string | URL;
  readonly #options: CameraOptions;
  readonly #reconnect: Required<ReconnectOptions> | undefined;
  readonly #queue: SendQueue;
  readonly #publisher: MediaPublisher;
  #connection: RtmpConnection | undefined;
  #reconnects = 0;
  #timer: NodeJS.Timeout | undefined;
  #attempting: AbortController | undefined;
  #closed = false;
  #failure: RtmpError | undefined;
  #everConnected = false;

  /**
   * Prefer publishCamera(). `connection`: an open publishing connection to `url`, or the URL
   * as RtmpConnection.check() masked it, and the first connection is made in the background.
   */
  constructor(url: string | URL, options: CameraOptions, connection: RtmpConnection | string) {
    super();
    this.#target = url;
    this.url = typeof connection === 'string' ? connection : connection.url;
    this.#options = options;
    this.#reconnect = options.reconnect === false ? undefined : { ...DEFAULTS, ...options.reconnect };
    this.#queue = new SendQueue(options);
    this.#queue.on('drop', (event: DropEvent) => this.emit('drop', event));
    this.#publisher = new MediaPublisher(this.#queue, options);
    if (typeof connection === 'string') {
      // After the caller has had a chance to listen for the first attempt's events.
      this.#timer = setTimeout(() => void this.#attempt(0, 0), 0);
    } else {
      this.#use(connection);
    }
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
    return {
      ...this.#publisher.stats(),
      ...this.#queue.stats(),
      reconnects: this.#reconnects,
      connected: this.#connection !== undefined,
      connectionQueuedBytes: this.#connection?.stats().queuedBytes ?? 0,
    };
  }

  /** The current connection's TLS parameters and engine offload (null while disconnected or on plain RTMP). */
  tlsInfo(): TlsInfo | null {
    return this.#connection?.tlsInfo() ?? null;
  }

  /** Stops retrying, ends the media (see MediaPublisher.end()), sends what is queued (if connected) and closes. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#attempting?.abort();
    if (!this.#failure) this.#failure = new RtmpError(ErrorCodes.CLOSED, 'The publisher is closed');
    const connection = this.#connection;
    if (!connection) return;
    // The silent track (audio: 'silent') is completed to the end of the video.
    await this.#publisher.end().catch(() => undefined);
    await this.#queue.idle();
    this.#connection = undefined;
    this.#queue.detach();
    await connection.close();
  }

  #use(connection: RtmpConnection): void {
    this.#everConnected = true;
    this.#connection = connection;
    this.#queue.attach(connection, (error) => this.#lost(connection, error));
  }

  // The session of `connection` is over: what it had queued is gone, the muxer starts again.
  #lost(connection: RtmpConnection, error: unknown): void {
    if (this.#connection !== connection) return;
    this.#connection = undefined;
    void connection.destroy();
    this.#publisher.attach(this.#queue);
    if (this.#closed) return;
    if (!this.#reconnect) {
      this.#giveUp(error);
      return;
    }
    this.#schedule(1, this.#reconnect.initialDelayMs, error);
  }

  #schedule(attempt: number, delayMs: number, error: unknown): void {
    const policy = this.#reconnect;
    if (!policy || attempt > policy.retries) {
      this.#giveUp(error);
      return;
    }
    const event: ReconnectingEvent = { attempt, delayMs: Math.round(delayMs), code: errorCode(error) };
    this.emit('reconnecting', event);
    this.#timer = setTimeout(() => void this.#attempt(attempt, delayMs), delayMs);
  }

  async #attempt(attempt: number, delayMs: number): Promise<void> {
    const policy = this.#reconnect as Required<ReconnectOptions>;
    const controller = new AbortController();
    this.#attempting = controller;
    const userSignal = this.#options.rtmp?.signal;
    const signal = userSignal ? AbortSignal.any([userSignal, controller.signal]) : controller.signal;
    let connection: RtmpConnection;
    try {
      connection = await RtmpConnection.open(this.#target, { ...this.#options.rtmp, signal }, 'publish');
    } catch (error) {
      if (this.#closed || userSignal?.aborted) return;
      const factor = policy.factor + Math.random() * policy.jitter;
      // The first connection's immediate attempt (0, no delay) is followed by the initial delay.
      const next = delayMs === 0 ? policy.initialDelayMs : Math.min(delayMs * factor, policy.maxDelayMs);
      this.#schedule(attempt + 1, next, error);
      return;
    } finally {
      this.#attempting = undefined;
    }
    if (this.#closed) {
      await connection.close();
      return;
    }
    if (!this.#everConnected) {
      this.#use(connection);
      const event: ConnectedEvent = { attempt };
      this.emit('connected', event);
      return;
    }
    this.#reconnects++;
    this.#use(connection);
    const event: ReconnectedEvent = { attempt, reconnects: this.#reconnects };
    this.emit('reconnected', event);
  }

  #giveUp(error: unknown): void {
    this.#failure =
      error instanceof RtmpError ? error : new RtmpError(ErrorCodes.INTERNAL, 'The connection failed', { cause: error });
    // An 'error' without a listener would throw from a timer: writes report it instead.
    if (this.listenerCount('error') > 0) this.emit('error', this.#failure);
  }
}
