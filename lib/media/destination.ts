// Destination: one place a camera's stream goes, with everything that is its own — the
// connection, a send queue with the congestion rules, reconnection with backoff, a start gate
// and counters. Destinations of one encode share nothing but the muxer's tags (and their
// buffers): a destination that stalls or reconnects only ever drops its own frames.
import { EventEmitter } from 'node:events';
import { checkConnection, openConnection, writeQueuedTags, type ReconnectRequestEvent, type RtmpConnection } from '../connection';
import { ErrorCodes, RtmpError, TlsClockReasons } from '../errors';
import type { FlvTag } from '../flv';
import type { RtmpOptions } from '../options';
import { parseRtmpUrl } from '../url';
import { isConfigurationTag, isKeyframe } from '../flv-tags';
import { SendQueue, type DropEvent, type SendQueueOptions, type SendQueueStats } from './send-queue';
import { StartGate } from './start-gate';

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
  /**
   * A server's ReconnectRequest (Enhanced RTMP v2) is acted on at most once per this many ms
   * (default 10000); more are counted and ignored, so a hostile server cannot make the
   * camera reconnect in a loop.
   */
  requestIntervalMs?: number;
}

export const RECONNECT_DEFAULTS: Readonly<Required<ReconnectOptions>> = {
  retries: 25,
  initialDelayMs: 2000,
  factor: 1.5,
  maxDelayMs: 15 * 60_000,
  jitter: 0.05,
  requestIntervalMs: 10_000,
};

/** A destination once its options are checked and merged with the camera's. */
export interface DestinationConfig extends SendQueueOptions {
  url: string | URL;
  /** The URL with its stream key masked. */
  maskedUrl: string;
  rtmp: RtmpOptions | undefined;
  reconnect: Required<ReconnectOptions> | undefined;
  retryFirstConnection: boolean;
}

/** Every destination event says which destination it is about: its index and masked URL. */
export interface DestinationRef {
  destination: number;
  url: string;
}

/** `reconnecting`: what failed (its code only: messages may quote server text) and when the next attempt is. */
export interface ReconnectingEvent extends DestinationRef {
  attempt: number;
  delayMs: number;
  code: string;
  /** The error's finer reason when it has one (ERR_TLS_CERT_VERIFY: 'CERT_NOT_YET_VALID', …). */
  reason?: string;
  /**
   * Why retrying is worth it when that is not obvious: a certificate outside its validity
   * period by the device's clock is retried with the usual backoff, since NTP may set the
   * clock any minute; a publish refused because the stream name is in use (most likely by
   * the session of the connection just lost, until the server drops it).
   */
  note?: string;
}

/** `connected`: the first connection, made in the background (retryFirstConnection). */
export interface ConnectedEvent extends DestinationRef {
  attempt: number;
}

export interface ReconnectedEvent extends DestinationRef {
  attempt: number;
  reconnects: number;
  /** The server asked for this reconnect (ReconnectRequest); not a failure. */
  requested?: boolean;
}

/**
 * `reconnectRequest`: the server asked for a new connection (Enhanced RTMP v2). Accepted, the
 * destination finishes the current GOP on the old connection, closes it and connects anew
 * (to `tcUrl` when given, same stream key), resuming at that keyframe with the headers again
 * and the same timestamps. Not accepted: `reason` says why ('rate-limited', 'pending',
 * 'reconnect-disabled', or an invalid tcUrl's code with `error`) and the old connection goes on.
 */
export interface ReconnectRequestedEvent extends DestinationRef {
  accepted: boolean;
  /** The new server's tcUrl, masked. */
  tcUrl?: string;
  reason?: string;
  error?: RtmpError;
}

/** `failed`: a destination gave up after its retries; the others go on. */
export interface FailedEvent extends DestinationRef {
  code: string;
  error: RtmpError;
}

export type DestinationDropEvent = DropEvent & DestinationRef;

export interface DestinationStats extends SendQueueStats, DestinationRef {
  connected: boolean;
  /** Gave up after its retries: nothing more goes to it. */
  failed: boolean;
  reconnects: number;
  /** Bytes the current connection has been handed and not yet written. */
  connectionQueuedBytes: number;
  /** Frames the muxer handed to this destination. */
  videoFramesIn: number;
  audioFramesIn: number;
  /** Frames written to this destination's socket (their writeTags() resolved). */
  videoFramesSent: number;
  audioFramesSent: number;
  /** Video frames held back after a (re)connect until the next keyframe. */
  skippedVideoFrames: number;
  /** Frames in the batch a failing connection was writing: maybe sent, maybe not. */
  videoFramesLostInFlight: number;
  audioFramesLostInFlight: number;
  /** Frames that came after the destination failed for good. */
  videoFramesAfterFailure: number;
  audioFramesAfterFailure: number;
  /** Server ReconnectRequests acted on, and ignored (rate-limited, invalid, or while one was pending). */
  reconnectRequests: number;
  reconnectRequestsIgnored: number;
  /** Dropped frames by reason ('non-key', 'all-video', 'audio-bound', 'disconnect'). */
  droppedByReason: Record<DropEvent['reason'], { videoFrames: number; audioFrames: number }>;
}

// The server's answer to a publish whose stream name is taken.
const NAME_IN_USE = 'NetStream.Publish.BadName';

// Failures retried like any other, where the event says why that is worth it: a TLS clock
// failure (NTP may set the clock), and a stream name still in use, which after a lost
// connection is most likely that connection's own session: the server keeps it until it
// notices the link died (nginx-rtmp: drop_idle_publisher), refusing every publish meanwhile.
function retryNote(error: unknown): Pick<ReconnectingEvent, 'reason' | 'note'> {
  if (!(error instanceof RtmpError)) return {};
  if (error.code === ErrorCodes.RTMP_PUBLISH_REJECTED && error.statusCode === NAME_IN_USE) {
    return { note: 'the server says the stream name is in use: after a lost connection, most likely by its old session, which the server has not yet dropped; retrying' };
  }
  if (error.reason === undefined) return {};
  if (error.reason !== TlsClockReasons.CERT_NOT_YET_VALID && error.reason !== TlsClockReasons.CERT_EXPIRED) return { reason: error.reason };
  const clock = error.deviceTime?.toISOString() ?? 'unknown';
  return { reason: error.reason, note: `the device clock (${clock}) is outside the certificate's validity: retrying, in case NTP sets it` };
}

// The native side cuts a server's tcUrl one past this (ServerStatus::kMaxTcUrl).
const MAX_TC_URL = 1024;

function errorCode(error: unknown): string {
  return error instanceof RtmpError ? error.code : ErrorCodes.INTERNAL;
}

function frameCounts(tags: readonly FlvTag[]): { video: number; audio: number } {
  let video = 0;
  let audio = 0;
  for (const tag of tags) {
    if (isConfigurationTag(tag)) continue;
    if (tag.type === 'video') video++;
    else audio++;
  }
  return { video, audio };
}

export class Destination extends EventEmitter {
  readonly index: number;
  readonly #config: DestinationConfig;
  readonly #queue: SendQueue;
  readonly #gate = new StartGate();
  // Where (re)connections go: the configured URL, or the server's after a ReconnectRequest.
  #target: string | URL;
  #targetRtmp: RtmpOptions | undefined;
  // A ReconnectRequest accepted: the switch happens at the next keyframe.
  #redirect: { target: string | URL; rtmp: RtmpOptions | undefined } | undefined;
  #lastRequestAt = -Infinity;
  #lastIgnoredEventAt = -Infinity;
  #requests = 0;
  #requestsIgnored = 0;
  #connection: RtmpConnection | undefined;
  #reconnects = 0;
  #timer: NodeJS.Timeout | undefined;
  #attempting: AbortController | undefined;
  #closed = false;
  #failure: RtmpError | undefined;
  #everConnected = false;
  // The connection being made was asked for by the server.
  #requested = false;
  readonly #counts = {
    videoFramesIn: 0,
    audioFramesIn: 0,
    videoFramesSent: 0,
    audioFramesSent: 0,
    videoFramesLostInFlight: 0,
    audioFramesLostInFlight: 0,
    videoFramesAfterFailure: 0,
    audioFramesAfterFailure: 0,
  };
  readonly #dropped: DestinationStats['droppedByReason'] = {
    'non-key': { videoFrames: 0, audioFrames: 0 },
    'all-video': { videoFrames: 0, audioFrames: 0 },
    'audio-bound': { videoFrames: 0, audioFrames: 0 },
    disconnect: { videoFrames: 0, audioFrames: 0 },
  };

  constructor(index: number, config: DestinationConfig) {
    super();
    this.index = index;
    this.#config = config;
    this.#target = config.url;
    this.#targetRtmp = config.rtmp;
    this.#queue = new SendQueue(config);
    this.#queue.on('drop', (event: DropEvent) => {
      this.#dropped[event.reason].videoFrames += event.videoFrames;
      this.#dropped[event.reason].audioFrames += event.audioFrames;
      this.emit('drop', { ...event, ...this.#ref() } satisfies DestinationDropEvent);
    });
  }

  /** The URL with the stream key masked. */
  get url(): string {
    return this.#config.maskedUrl;
  }

  get failure(): RtmpError | undefined {
    return this.#failure;
  }

  /** Starts on an open connection, or (undefined) connects in the background by the retry policy. */
  start(connection: RtmpConnection | undefined): void {
    if (connection) {
      this.#use(connection);
      return;
    }
    // After the caller has had a chance to listen for the first attempt's events.
    this.#timer = setTimeout(() => void this.#attempt(0, 0), 0);
  }

  /** The muxer's tags: queued (never waited for), through the gate. */
  push(tags: readonly FlvTag[]): void {
    const { video, audio } = frameCounts(tags);
    this.#counts.videoFramesIn += video;
    this.#counts.audioFramesIn += audio;
    if (this.#failure) {
      this.#counts.videoFramesAfterFailure += video;
      this.#counts.audioFramesAfterFailure += audio;
      return;
    }
    if (this.#redirect && this.#connection) {
      // The old connection ends with the GOP: the new one starts at this keyframe.
      const at = tags.findIndex((tag) => tag.type === 'video' && isKeyframe(tag));
      if (at >= 0) {
        void this.#queue.writeTags(this.#gate.pass(tags.slice(0, at)));
        this.#switch();
        void this.#queue.writeTags(this.#gate.pass(tags.slice(at)));
        return;
      }
    }
    void this.#queue.writeTags(this.#gate.pass(tags));
  }

  stats(): DestinationStats {
    return {
      ...this.#ref(),
      ...this.#queue.stats(),
      ...this.#counts,
      skippedVideoFrames: this.#gate.stats().skippedVideoFrames,
      droppedByReason: structuredClone(this.#dropped),
      connected: this.#connection !== undefined,
      failed: this.#failure !== undefined,
      reconnects: this.#reconnects,
      reconnectRequests: this.#requests,
      reconnectRequestsIgnored: this.#requestsIgnored,
      connectionQueuedBytes: this.#connection?.stats().queuedBytes ?? 0,
    };
  }

  /** The current connection (undefined while disconnected), e.g. for its tlsInfo(). */
  connection(): RtmpConnection | undefined {
    return this.#connection;
  }

  /** Stops retrying, sends what is queued (if connected) and closes. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#attempting?.abort();
    const connection = this.#connection;
    if (!connection) {
      this.#queue.detach(); // never sent: counted as lost with the connection
      return;
    }
    await this.#queue.idle();
    this.#connection = undefined;
    this.#queue.detach();
    await connection.close();
  }

  #ref(): DestinationRef {
    return { destination: this.index, url: this.#config.maskedUrl };
  }

  #use(connection: RtmpConnection): void {
    this.#everConnected = true;
    this.#connection = connection;
    // Counts what each batch did: written, or lost with the connection.
    const sink = {
      writeTags: (batch: readonly FlvTag[]): Promise<void> =>
        writeQueuedTags(connection, batch).then(
          () => {
            const { video, audio } = frameCounts(batch);
            this.#counts.videoFramesSent += video;
            this.#counts.audioFramesSent += audio;
          },
          (error: unknown) => {
            const { video, audio } = frameCounts(batch);
            this.#counts.videoFramesLostInFlight += video;
            this.#counts.audioFramesLostInFlight += audio;
            throw error;
          },
        ),
    };
    this.#queue.attach(sink, (error) => this.#lost(connection, error));
    connection.on('reconnectRequest', (event: ReconnectRequestEvent) => this.#onRequest(connection, event));
  }

  #onRequest(connection: RtmpConnection, request: ReconnectRequestEvent): void {
    if (connection !== this.#connection || this.#closed) return;
    const policy = this.#config.reconnect;
    const now = performance.now();
    const ignore = (reason: string, error?: RtmpError): void => {
      this.#requestsIgnored++;
      // One event per interval at most: a server repeating itself does not flood the log.
      if (now - this.#lastIgnoredEventAt < (policy?.requestIntervalMs ?? RECONNECT_DEFAULTS.requestIntervalMs)) return;
      this.#lastIgnoredEventAt = now;
      const event: ReconnectRequestedEvent = { ...this.#ref(), accepted: false, reason };
      if (request.maskedTcUrl !== undefined) event.tcUrl = request.maskedTcUrl;
      if (error) event.error = error;
      this.emit('reconnectRequest', event);
    };
    if (!policy) return ignore('reconnect-disabled');
    if (this.#redirect) return ignore('pending');
    if (now - this.#lastRequestAt < policy.requestIntervalMs) return ignore('rate-limited');
    this.#lastRequestAt = now;
    let target: string | URL = this.#target;
    let rtmp = this.#targetRtmp;
    if (request.tcUrl !== undefined) {
      try {
        ({ target, rtmp } = this.#redirectTarget(request.tcUrl, request.maskedTcUrl ?? ''));
      } catch (error) {
        return ignore(errorCode(error), error instanceof RtmpError ? error : undefined);
      }
    }
    this.#requests++;
    this.#redirect = { target, rtmp };
    const event: ReconnectRequestedEvent = { ...this.#ref(), accepted: true };
    if (request.maskedTcUrl !== undefined) event.tcUrl = request.maskedTcUrl;
    this.emit('reconnectRequest', event);
  }

  // The server's tcUrl with this destination's stream key; only the same scheme, so a server
  // cannot move the key off TLS or to another protocol.
  #redirectTarget(tcUrl: string, masked: string): { target: string; rtmp: RtmpOptions | undefined } {
    const current = parseRtmpUrl(this.#config.url);
    const invalid = (why: string): RtmpError => new RtmpError(ErrorCodes.INVALID_URL, `ReconnectRequest tcUrl ${masked}: ${why}`);
    if (tcUrl.length > MAX_TC_URL) throw invalid(`longer than ${MAX_TC_URL} characters`);
    if (!/^[a-z]+:\/\/[^/]+\/[^/?#]+(\/[^/?#]+)?$/i.test(tcUrl)) throw invalid('not of the form scheme://host[:port]/app[/instance]');
    const target = `${tcUrl}/${current.playpath}`;
    let next;
    try {
      next = parseRtmpUrl(target);
    } catch (error) {
      throw invalid(error instanceof Error ? error.message : 'unparsable');
    }
    if (next.scheme !== current.scheme) throw invalid(`the scheme must stay ${current.scheme}`);
    // The URL says where now: overrides of the old app and tcUrl would contradict it.
    const rtmp = this.#config.rtmp ? { ...this.#config.rtmp, app: undefined, tcUrl: undefined } : undefined;
    try {
      checkConnection(target, rtmp, 'publish');
    } catch (error) {
      throw invalid(error instanceof Error ? error.message : 'refused');
    }
    return { target, rtmp };
  }

  // The requested reconnect, at a keyframe: what is queued for the old connection goes with
  // it (counted as 'disconnect'), it closes gracefully, and the new one starts with headers.
  #switch(): void {
    const old = this.#connection as RtmpConnection;
    const redirect = this.#redirect as { target: string | URL; rtmp: RtmpOptions | undefined };
    this.#redirect = undefined;
    this.#connection = undefined;
    this.#target = redirect.target;
    this.#targetRtmp = redirect.rtmp;
    this.#queue.detach();
    this.#gate.restart();
    this.#requested = true;
    void old
      .close()
      .catch(() => undefined)
      .then(() => {
        if (!this.#closed) void this.#attempt(1, 0);
      });
  }

  // The session of `connection` is over: what it had queued is gone; the next one starts at
  // the gate (headers again, video from a keyframe).
  #lost(connection: RtmpConnection, error: unknown): void {
    if (this.#connection !== connection) return;
    this.#connection = undefined;
    void connection.destroy();
    this.#gate.restart();
    if (this.#closed) return;
    if (this.#redirect) {
      // Lost before the switch: reconnect where the server asked.
      this.#target = this.#redirect.target;
      this.#targetRtmp = this.#redirect.rtmp;
      this.#redirect = undefined;
    }
    if (!this.#config.reconnect) {
      this.#giveUp(error);
      return;
    }
    this.#schedule(1, this.#config.reconnect.initialDelayMs, error);
  }

  #schedule(attempt: number, delayMs: number, error: unknown): void {
    const policy = this.#config.reconnect;
    if (!policy || attempt > policy.retries) {
      this.#giveUp(error);
      return;
    }
    const event: ReconnectingEvent = { ...this.#ref(), attempt, delayMs: Math.round(delayMs), code: errorCode(error), ...retryNote(error) };
    this.emit('reconnecting', event);
    this.#timer = setTimeout(() => void this.#attempt(attempt, delayMs), delayMs);
  }

  async #attempt(attempt: number, delayMs: number): Promise<void> {
    const policy = this.#config.reconnect as Required<ReconnectOptions>;
    const controller = new AbortController();
    this.#attempting = controller;
    const requested = this.#requested;
    this.#requested = false;
    const userSignal = this.#config.rtmp?.signal;
    const signal = userSignal ? AbortSignal.any([userSignal, controller.signal]) : controller.signal;
    let connection: RtmpConnection;
    try {
      connection = await openConnection(this.#target, { ...this.#targetRtmp, signal }, 'publish');
    } catch (error) {
      if (this.#closed || userSignal?.aborted) return;
      // A server that sent us somewhere unreachable: back to the configured URL.
      this.#target = this.#config.url;
      this.#targetRtmp = this.#config.rtmp;
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
      this.emit('connected', { ...this.#ref(), attempt } satisfies ConnectedEvent);
      return;
    }
    this.#reconnects++;
    this.#use(connection);
    const event: ReconnectedEvent = { ...this.#ref(), attempt, reconnects: this.#reconnects };
    if (requested) event.requested = true;
    this.emit('reconnected', event);
  }

  #giveUp(error: unknown): void {
    this.#failure =
      error instanceof RtmpError ? error : new RtmpError(ErrorCodes.INTERNAL, 'The connection failed', { cause: error });
    // What is still queued will never go: count it as lost with the connection.
    this.#queue.detach();
    this.emit('failed', { ...this.#ref(), code: this.#failure.code, error: this.#failure } satisfies FailedEvent);
  }
}
