// An open RTMP connection: publishing (write tags or raw FLV) or playing (read tags). Each
// connection owns a native thread; every method here only queues work for it and returns
// a promise, so the event loop never waits on the network.
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { abortError, captureCallSite, ErrorCodes, fromNative, invalidArg, RtmpError, type Redactor } from './errors';
import { FlvParser, type FlvTag } from './flv';
import { binding, type NativeCameraCounts, type NativeConnection, type NativeFailure, type NativeSocketInfo, type NativeStats, type NativeTlsInfo } from './native';
import { openParams, validateOptions, type RtmpOptions } from './options';
import { nativeLogHandler } from './log';
import { makeRedactor } from './redact';
import { flvReadable, flvWritable, type StreamOptions } from './streams';
import { BitrateMeter } from './bitrate';
import { parseRtmpUrl } from './url';
import { profileViolation, StreamRules } from './media/stream-rules';
import { CameraSource, openCamera, type CameraFeedOptions, type CameraFeedResult, type CameraSendOptions } from './media/camera-feed';
import { packTags, unpackTags } from './wire';

export type ConnectionMode = 'publish' | 'play';

export type TlsInfo = NativeTlsInfo;
export type SocketInfo = NativeSocketInfo;
export interface ConnectionStats extends NativeStats {
  /** Bytes handed to write*() that librtmp has not written yet. */
  queuedBytes: number;
  /** Media bytes per second in and out over the last few seconds, as kbit/s. */
  bitrateInKbps: number;
  bitrateOutKbps: number;
  /** How long connecting took (TCP, TLS, handshake, publish/play), ms. */
  connectTimeMs: number;
  /** Time since the connection was established, ms. */
  uptimeMs: number;
}

/**
 * `reconnectRequest` (publishing): the server sent Enhanced RTMP v2's
 * NetConnection.Connect.ReconnectRequest, asking for a new connection — to `tcUrl` when it
 * gave one (as the server sent it: log `maskedTcUrl`, which has this connection's secrets
 * masked). Seen while writing; the connection goes on working. publishCamera() acts on it.
 */
export interface ReconnectRequestEvent {
  tcUrl?: string;
  maskedTcUrl?: string;
}

export interface OperationOptions {
  /** Aborting cancels the operation; RTMP cannot take back half a message, so it destroys
   * the connection and the operation fails with AbortError (ERR_ABORTED). */
  signal?: AbortSignal;
}

export interface SendFileOptions extends OperationOptions {
  /**
   * Ends the send gracefully between two batches (at once while a real-time send waits for
   * its next tag): the promise resolves with what was sent and `stopped: true`, and the
   * connection stays open. `signal`, by contrast, destroys the connection (a send blocked on
   * a server that stopped reading can only end that way).
   */
  stop?: AbortSignal;
  /**
   * Send each tag when its timestamp comes due, counted from the first tag (like
   * `ffmpeg -re`): a recording played out as a live stream. A timestamp that goes back
   * before the tag the count started from starts it again at that tag (the rule of every
   * pacer here). Default: as fast as the server takes it.
   */
  realtime?: boolean;
  /**
   * Send from a thread at the lowest CPU priority (Linux SCHED_IDLE): every other runnable
   * thread, this process's event loop first of all, runs before it, and the file goes out
   * on CPU time nothing else wants. For bulk uploads beside a busy process; not for live
   * streams: on a fully loaded machine it may crawl until the server gives up on it.
   */
  background?: boolean;
}

export interface SendFileResult {
  /** Tag body bytes sent. */
  bytes: number;
  tags: number;
  /** Ended by `stop` before the end of the file. */
  stopped: boolean;
}

// Failures that are not the connection's: a close or abort the caller asked for, a bad file
// or bad media given to sendFile() or sendCamera().
const QUIET_CODES = new Set<string>([ErrorCodes.CLOSED, ErrorCodes.ABORTED, ErrorCodes.FILE, ErrorCodes.FLV_PARSE, ErrorCodes.MEDIA_INVALID]);

/** How much one native read may gather before handing it to JS. */
const READ_BUDGET_BYTES = 256 * 1024;

// The call site of a write no user code made (see writeQueuedTags).
const NO_CALL_SITE: { stack?: string } = Object.freeze({});

/**
 * Connects and starts publishing or playing: what publish(), read() and connect() do. Not
 * exported from the package; set by RtmpConnection's static block, which can reach its
 * private constructor.
 */
export let openConnection: (urlInput: string | URL, options: RtmpOptions | undefined, mode: ConnectionMode) => Promise<RtmpConnection>;

/**
 * writeTags() for a library-owned queue (a camera's SendQueue): the same, without capturing
 * the caller's stack. A queue's drain has no user code on its stack to point at, and a
 * capture per batch was ~5 % of the camera workload's CPU. Not exported from the package.
 */
export let writeQueuedTags: (connection: RtmpConnection, tags: readonly FlvTag[]) => Promise<void>;

/**
 * Checks a URL and options as openConnection() would, without connecting (coded errors);
 * returns the URL with its stream key masked. For callers that connect later, like a camera
 * that starts before its network is up. Not exported from the package.
 */
export function checkConnection(urlInput: string | URL, options: RtmpOptions | undefined, mode: ConnectionMode): string {
  const url = parseRtmpUrl(urlInput);
  openParams(url, validateOptions(options), mode === 'publish');
  return url.redacted;
}

// options.profile on a publishing connection: the rules, checked before connecting.
function profileRules(options: RtmpOptions, mode: ConnectionMode): StreamRules | undefined {
  if (options.strict !== undefined && options.profile === undefined) throw invalidArg('options.strict is for options.profile');
  if (options.strict !== undefined && typeof options.strict !== 'boolean') throw invalidArg('options.strict must be a boolean');
  if (options.profile === undefined) return undefined;
  if (mode !== 'publish') throw invalidArg('options.profile is for publishing');
  return new StreamRules(options.profile);
}

export class RtmpConnection extends EventEmitter {
  /** The URL with the stream key and query tokens masked. */
  readonly url: string;
  readonly mode: ConnectionMode;
  readonly #native: NativeConnection;
  readonly #redact: Redactor;
  readonly #parser = new FlvParser();
  #closePromise: Promise<void> | undefined;
  #ended = false;
  #readError: RtmpError | undefined;
  #readPending = false;
  #failure: RtmpError | undefined;
  #queuedBytes = 0;
  #lastSendId = 0; // of sendFile(): names a send for stopFile()
  #connectTimeMs = 0;
  readonly #openedAt = performance.now();
  readonly #meterIn = new BitrateMeter();
  readonly #meterOut = new BitrateMeter();
  // options.profile: the rules the written tags are checked by; strict mode's refusal.
  #rules: StreamRules | undefined;
  #strict = false;
  #violation: RtmpError | undefined;

  private constructor(native: NativeConnection, url: string, mode: ConnectionMode, redact: Redactor) {
    super();
    this.#native = native;
    this.url = url;
    this.mode = mode;
    this.#redact = redact;
  }

  // openConnection() below is the only way to make one: it needs the private constructor
  // and fields, and it is not part of the public class.
  static {
    writeQueuedTags = (connection, tags) => connection.#writeTags(tags, undefined, NO_CALL_SITE);
    openConnection = async (urlInput, options, mode) => {
      const callSite = captureCallSite();
      const url = parseRtmpUrl(urlInput);
      const opts = validateOptions(options);
      const rules = profileRules(opts, mode);
      const redact = makeRedactor([...url.secrets, ...(opts.playpath ? [opts.playpath] : [])]);
      const params = openParams(url, opts, mode === 'publish');
      const signal = opts.signal;
      if (signal?.aborted) throw abortError(signal.reason);

      const native = new binding.Connection();
      const connection = new RtmpConnection(native, url.redacted, mode, redact);
      connection.#rules = rules;
      connection.#strict = opts.strict === true;
      const started = performance.now();
      await new Promise<void>((resolve, reject) => {
        let settled = false;
        const onAbort = (): void => {
          if (settled) return;
          settled = true;
          native.abandon();
          native.close(() => undefined);
          reject(abortError(signal?.reason));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        const log = nativeLogHandler(opts, redact, url.redacted);
        native.open(
          params,
          (failure) => {
            signal?.removeEventListener('abort', onAbort);
            if (settled) return;
            settled = true;
            if (failure) {
              // Rejects once the connection thread is gone: nothing is left behind.
              native.close(() => reject(fromNative(failure, redact, callSite)));
            } else {
              resolve();
            }
          },
          log?.handler,
          log?.level,
        );
      });
      connection.#connectTimeMs = performance.now() - started;
      if (signal) {
        const onAbort = (): void => void connection.destroy(abortError(signal.reason));
        signal.addEventListener('abort', onAbort, { once: true });
        connection.once('close', () => signal.removeEventListener('abort', onAbort));
      }
      return connection;
    };
  }

  get closed(): boolean {
    return this.#closePromise !== undefined;
  }

  /** TLS parameters of an rtmps/rtmpts connection (null for plain RTMP). */
  tlsInfo(): TlsInfo | null {
    return this.#native.tlsInfo();
  }

  /** The TCP connection's addresses and the IP version that connected. */
  socketInfo(): SocketInfo | null {
    return this.#native.socketInfo();
  }

  /** Cheap enough to poll every 100 ms: counters are atomics on the native side. */
  stats(): ConnectionStats {
    const now = performance.now();
    const native = this.#native.stats();
    return {
      ...native,
      queuedBytes: this.#queuedBytes,
      bitrateInKbps: this.#meterIn.kbps(native.bytesIn, now),
      bitrateOutKbps: this.#meterOut.kbps(native.bytesOut, now),
      connectTimeMs: this.#connectTimeMs,
      uptimeMs: now - this.#openedAt - this.#connectTimeMs,
    };
  }

  /** FLV bytes (file header first) of what this connection plays, for pipeline(). */
  readable(options?: StreamOptions): import('node:stream').Readable {
    return flvReadable(this, options);
  }

  /** A writable for FLV bytes that publishes them, with backpressure from the socket. */
  writable(options?: StreamOptions): import('node:stream').Writable {
    return flvWritable(this, options);
  }

  /** Lets the process exit while this connection is open (like socket.unref()). */
  unref(): this {
    this.#native.unref();
    return this;
  }

  ref(): this {
    this.#native.ref();
    return this;
  }

  // --- Publishing ------------------------------------------------------------------------------

  /** Sends one tag; resolves when librtmp has written it to the socket. */
  writeTag(tag: FlvTag, options?: OperationOptions): Promise<void> {
    return this.writeTags([tag], options);
  }

  /** Sends tags in order, as one unit of native work. */
  writeTags(tags: readonly FlvTag[], options?: OperationOptions): Promise<void> {
    return this.#writeTags(tags, options, captureCallSite());
  }

  #writeTags(tags: readonly FlvTag[], options: OperationOptions | undefined, callSite: { stack?: string }): Promise<void> {
    try {
      this.#checkWritable();
      this.#checkProfile(tags);
      const { bodies, meta, bytes } = packTags(tags);
      if (bodies.length === 0) return Promise.resolve();
      this.#queuedBytes += bytes;
      const done = this.#submit<[string | undefined]>(callSite, options?.signal, (cb) => this.#native.write(bodies, meta, cb));
      return done
        .finally(() => {
          this.#queuedBytes -= bytes;
        })
        .then(([tcUrl]) => {
          if (tcUrl !== undefined) this.#reconnectRequested(tcUrl);
        });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // options.profile: each new finding is a 'warning' event; strict mode refuses a failing one.
  #checkProfile(tags: readonly FlvTag[]): void {
    if (this.#violation) throw this.#violation;
    const rules = this.#rules;
    if (!rules) return;
    for (const tag of tags) {
      for (const warning of rules.observe(tag)) {
        this.emit('warning', warning);
        if (this.#strict && warning.status === 'fail') this.#violation ??= profileViolation(warning);
      }
    }
    if (this.#violation) throw this.#violation;
  }

  /**
   * Sends raw FLV bytes (with or without the 13-byte file header), in any slicing: whole
   * tags are sent, a partial tag waits for the rest.
   */
  write(flv: Buffer | Uint8Array, options?: OperationOptions): Promise<void> {
    try {
      if (!(flv instanceof Uint8Array)) throw invalidArg('write() takes a Buffer or Uint8Array of FLV bytes');
      this.#checkWritable();
      const chunk = Buffer.isBuffer(flv) ? flv : Buffer.from(flv.buffer, flv.byteOffset, flv.byteLength);
      return this.writeTags(this.#parser.push(chunk), options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Publishes an FLV file, as fast as the server takes it or (`realtime`) paced by its
   * timestamps. The connection's own thread reads, parses and sends the file slice by slice,
   * so nothing runs in JavaScript per slice or per tag: the cheapest way to push a
   * recording. Tags written before it are sent first, tags written while it runs after it.
   * Resolves with what was sent. A file that cannot be read (ERR_FILE) or holds malformed
   * FLV (ERR_FLV_PARSE, with the byte offset) rejects without closing the connection; the
   * tags before the fault were sent.
   */
  sendFile(file: string | URL, options?: SendFileOptions): Promise<SendFileResult> {
    const callSite = captureCallSite();
    try {
      this.#checkWritable();
      const filePath = file instanceof URL ? fileURLToPath(file) : file;
      if (typeof filePath !== 'string' || filePath.length === 0 || filePath.includes('\0')) {
        throw invalidArg('sendFile() takes a file path or a file: URL');
      }
      const background = options?.background ?? false;
      const realtime = options?.realtime ?? false;
      if (typeof background !== 'boolean') throw invalidArg('sendFile(): background must be a boolean');
      if (typeof realtime !== 'boolean') throw invalidArg('sendFile(): realtime must be a boolean');
      const { signal, stop } = options ?? {};
      if (stop !== undefined && !(stop instanceof AbortSignal)) throw invalidArg('sendFile(): stop must be an AbortSignal');
      // Ids name sends for stopFile(); they only need to differ between sends in flight.
      const id = this.#nextSendId();
      const onStop = (): void => this.#native.stopFile(id);
      // Before the send is queued: the connection thread may start it at once.
      if (stop?.aborted) onStop();
      else stop?.addEventListener('abort', onStop, { once: true });
      const sent = this.#submit<[number, number, boolean]>(callSite, signal, (cb) =>
        this.#native.sendFile(filePath, { id, background, realtime }, cb),
      );
      return sent
        .finally(() => stop?.removeEventListener('abort', onStop))
        .then(([bytes, tags, stopped]) => ({ bytes, tags, stopped }));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Publishes a camera encoder's output, H.264 Annex-B video and AAC ADTS audio, from its
   * named pipes (or files): the connection's own thread reads, splits, packetizes and sends
   * every frame, so nothing runs in JavaScript per frame — the cheapest way to stream a
   * camera (docs/PERFORMANCE.md). onMetaData and the sequence headers are made in
   * JavaScript, as MediaPublisher makes them, and checked against `options.profile` (the
   * per-frame rules, keyframe interval and bitrate, are not: use MediaPublisher for those).
   * Frames are stamped as pipeVideo()/pipeAudio() stamp them. Takes the source's options
   * (its inputs opened for this feed alone) or a CameraSource from openCamera(), which
   * holds the pipes open so that a feed on the next connection continues this one. Resolves
   * at the end of the inputs or on `stop`, with what was sent; malformed media rejects with
   * ERR_MEDIA_INVALID and an input that cannot be read with ERR_FILE, leaving the connection
   * open.
   */
  sendCamera(source: CameraSource | CameraFeedOptions, options: CameraSendOptions = {}): Promise<CameraFeedResult> {
    const callSite = captureCallSite();
    try {
      this.#checkWritable();
      if (source instanceof CameraSource) return this.#sendCamera(source, options, callSite);
      const send = { stop: source?.stop ?? options.stop, signal: source?.signal ?? options.signal };
      return openCamera(source).then(async (opened) => {
        try {
          return await this.#sendCamera(opened, send, callSite);
        } finally {
          await opened.close();
        }
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #sendCamera(source: CameraSource, options: CameraSendOptions, callSite: { stack?: string }): Promise<CameraFeedResult> {
    this.#checkWritable();
    const { stop, signal } = options;
    if (stop !== undefined && !(stop instanceof AbortSignal)) throw invalidArg('sendCamera(): stop must be an AbortSignal');
    const feed = source.begin();
    const id = this.#nextSendId();
    // A configuration JavaScript refuses (it does not parse; strict profile) ends the feed.
    let refusal: RtmpError | undefined;
    const onHeaders = (generation: number, first: boolean, parameterSets: Buffer | undefined, audioFrame: Buffer | undefined, timestamp: number): void => {
      try {
        const tags = feed.headers.headers(first, parameterSets, audioFrame, timestamp);
        this.#checkProfile(tags);
        const { bodies, meta } = packTags(tags);
        this.#native.cameraHeaders(id, generation, bodies, meta);
      } catch (error) {
        refusal ??= error instanceof RtmpError ? error : new RtmpError(ErrorCodes.INTERNAL, String(error), { cause: error });
        this.#native.stopFile(id);
      }
    };
    const onStop = (): void => this.#native.stopFile(id);
    if (stop?.aborted) onStop();
    else stop?.addEventListener('abort', onStop, { once: true });
    // The counts come back on failure too: the source continues from them.
    let counts: NativeCameraCounts | undefined;
    try {
      await this.#submit<[NativeCameraCounts]>(callSite, signal, (cb) =>
        this.#native.sendCamera({ id, ...feed.native }, onHeaders, (failure, result) => {
          counts = result;
          cb(failure, result);
        }),
      );
      if (refusal) throw refusal;
      return counts as NativeCameraCounts;
    } finally {
      stop?.removeEventListener('abort', onStop);
      feed.done(counts);
    }
  }

  // 1 … 2^32-1, then around again (0 means "no send" to the addon).
  #nextSendId(): number {
    this.#lastSendId = (this.#lastSendId % 0xffffffff) + 1;
    return this.#lastSendId;
  }

  #checkWritable(): void {
    if (this.mode !== 'publish') throw new RtmpError(ErrorCodes.INVALID_ARG, 'This connection plays; it cannot write');
    this.#checkOpen();
  }

  #checkOpen(): void {
    if (this.#failure) throw this.#failure;
    if (this.#closePromise) throw new RtmpError(ErrorCodes.CLOSED, 'The connection is closed');
  }

  // --- Playing ---------------------------------------------------------------------------------

  /**
   * The next tags that have arrived (waits for at least one); null once the stream ended,
   * which is only when the server said so (NetStream.Play.Complete, Play.Stop,
   * Play.UnpublishNotify or StreamEOF) or this side closed. A connection that closes or
   * resets without that rejects with ERR_CONNECTION_CLOSED once the tags read before it
   * have been returned; a server that goes silent, with ERR_TIMEOUT after `timeout`.
   */
  readTags(options?: OperationOptions): Promise<FlvTag[] | null> {
    const callSite = captureCallSite();
    if (this.mode !== 'play') return Promise.reject(new RtmpError(ErrorCodes.INVALID_ARG, 'This connection publishes; it cannot read'));
    if (this.#readError) return Promise.reject(this.#readError);
    if (this.#ended) return Promise.resolve(null);
    try {
      this.#checkOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#readPending) return Promise.reject(invalidArg('A read is already pending on this connection'));
    this.#readPending = true;
    return this.#submit<[Buffer, Uint32Array, boolean]>(callSite, options?.signal, (cb) => this.#native.read(READ_BUDGET_BYTES, cb))
      .finally(() => {
        this.#readPending = false;
      })
      .then(
        ([data, meta, ended]) => {
          const tags = unpackTags(data, meta);
          if (ended) this.#ended = true;
          return tags.length === 0 && ended ? null : tags;
        },
        (error: RtmpError) => {
          // A stream that ended in an error stays failed: later reads say so again. A
          // timeout leaves the connection open, to be read again.
          if (error.code !== ErrorCodes.TIMEOUT) this.#readError = error;
          throw error;
        },
      );
  }

  /** Every tag until the stream ends; ending the loop early does not close the connection. */
  async *tags(): AsyncGenerator<FlvTag, void, undefined> {
    for (;;) {
      const batch = await this.readTags();
      if (batch === null) return;
      yield* batch;
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<FlvTag, void, undefined> {
    return this.tags();
  }

  // --- Closing ---------------------------------------------------------------------------------

  /**
   * Closes gracefully after the work already queued (unpublish, delete the stream, close
   * the socket). A pending read ends. Idempotent; resolves when the native thread is done.
   */
  close(): Promise<void> {
    if (!this.#closePromise) {
      if (this.#readPending) this.#native.stopReading();
      this.#closePromise = new Promise<void>((resolve) => {
        this.#native.close(() => {
          this.emit('close');
          resolve();
        });
      });
    }
    return this.#closePromise;
  }

  /** Abandons the connection now: pending work fails with `error` (default ERR_CLOSED). */
  destroy(error?: RtmpError): Promise<void> {
    if (!this.#failure) this.#failure = error ?? new RtmpError(ErrorCodes.CLOSED, 'The connection was destroyed');
    this.#native.abandon();
    return this.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #submit<T extends unknown[] = []>(
    callSite: { stack?: string },
    signal: AbortSignal | undefined,
    start: (cb: (failure: NativeFailure | null, ...results: T) => void) => void,
  ): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortError(signal.reason));
    const onAbort = (): void => void this.destroy(abortError(signal?.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    return new Promise<T>((resolve, reject) => {
      start((failure, ...results) => {
        signal?.removeEventListener('abort', onAbort);
        if (failure) reject(this.#fail(failure, callSite));
        else if (this.#failure) reject(this.#failure);
        else resolve(results);
      });
    });
  }

  // The server's words, masked: a tcUrl may carry tokens, and never carries the key as sent.
  #reconnectRequested(tcUrl: string): void {
    const event: ReconnectRequestEvent = tcUrl === '' ? {} : { tcUrl, maskedTcUrl: this.#redact(tcUrl) };
    this.emit('reconnectRequest', event);
  }

  // A destroyed connection reports why it was destroyed, not the I/O error that followed.
  // Faults of a file given to sendFile() are the caller's alone: no 'error' event for them.
  #fail(failure: NativeFailure, callSite: { stack?: string }): RtmpError {
    if (this.#failure) return this.#failure;
    const error = fromNative(failure, this.#redact, callSite);
    if (!QUIET_CODES.has(error.code) && this.listenerCount('error') > 0) {
      this.emit('error', error);
    }
    return error;
  }
}
