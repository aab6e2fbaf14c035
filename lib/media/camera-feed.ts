// The JavaScript half of RtmpConnection.sendCamera(): its options, checked, its inputs opened,
// and the tags the native feed (native/src/camera_sender.h) asks for when a configuration is
// new. The feed reads, splits and packetizes every frame on the connection thread; what a
// configuration means — the AVC and AAC sequence headers, onMetaData — is made here, by the
// same code that makes it for MediaPublisher, so each rule keeps one home.
import fs, { type promises } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FlvTag } from '../flv';
import { isSequenceHeader, VideoCodecId } from '../flv-tags';
import { ErrorCodes, invalidArg, RtmpError } from '../errors';
import type { NativeCameraCounts, NativeCameraOptions } from '../native';
import { AacPacketizer, aacFramePrefix } from './aac';
import { avcFramePrefix, H264Packetizer } from './h264';
import { aacChannels, metadataTag, streamMetadata, type StreamMetadata } from './metadata';

/**
 * An input: a path (or file: URL) that the feed opens and closes, or what is already open —
 * a FileHandle or a descriptor, which stays open (read non-blocking from then on): how one
 * encoder's pipes outlive a connection, for continueFrom.
 */
export type CameraInput = string | URL | promises.FileHandle | number;

/** What a camera source is: the encoder's outputs and how to stamp, pace and batch them. */
export interface CameraSourceOptions {
  /** The encoder's H.264 Annex-B output: a named pipe (or a file, a device). */
  video: CameraInput;
  /** Its AAC ADTS output; without it the stream has no audio track. */
  audio?: CameraInput;
  /** Video frame n is at n × 1000 / frameRate ms (an elementary stream carries no times). */
  frameRate: number;
  /**
   * Send each frame when its time comes (from the first one), like ffmpeg -re. Default: on
   * for a regular file, off for a named pipe or a device (a live encoder paces itself).
   */
  pace?: boolean;
  /**
   * Frames due within this many ms of the first go in one write, the inputs read once when
   * the window closes (0: each frame at once). Default: one video frame interval
   * (⌈1000 / frameRate⌉, 34 ms at 30 fps): about one write and one wake-up per video frame.
   */
  coalesceMs?: number;
  /** Media time (ms) held back waiting for the other track's configuration. Default 1000. */
  startWaitMs?: number;
  /** An access unit growing past this is refused (ERR_MEDIA_INVALID). Default 16 MiB. */
  maxAccessUnitBytes?: number;
  /** Added to (and overriding) what onMetaData reports from the streams. */
  metadata?: StreamMetadata;
}

export interface CameraSendOptions {
  /** Ends the feed between two writes; the promise resolves with `stopped: true`. */
  stop?: AbortSignal;
  /** Destroys the connection (see OperationOptions). */
  signal?: AbortSignal;
}

/** sendCamera() with its source's options: the inputs are opened for this one feed. */
export type CameraFeedOptions = CameraSourceOptions & CameraSendOptions;

/** What one sendCamera() sent and read (the native feed's counts). */
export type CameraFeedResult = NativeCameraCounts;

function numberIn(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) throw invalidArg(`sendCamera(): ${name} must be a number from ${min} to ${max}`);
  return value;
}

function fileError(what: string, error: unknown): RtmpError {
  const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new RtmpError(ErrorCodes.FILE, `cannot open ${what}: ${reason}`, { cause: error });
}

/** An input opened for the feed: its descriptor, whether it is live, and how to let it go. */
interface OpenInput {
  fd: number;
  live: boolean;
  close(): Promise<void>;
}

function isHandle(value: unknown): value is promises.FileHandle {
  return typeof value === 'object' && value !== null && typeof (value as promises.FileHandle).fd === 'number' && typeof (value as promises.FileHandle).stat === 'function';
}

function checkInput(value: unknown, name: string): void {
  if (typeof value === 'number' ? Number.isInteger(value) && value >= 0 : isHandle(value) || value instanceof URL || (typeof value === 'string' && value.length > 0 && !value.includes('\0'))) return;
  throw invalidArg(`sendCamera(): ${name} must be a path, a file: URL, a FileHandle or a descriptor`);
}

// A path is opened non-blocking (a FIFO without its writer yet opens at once and reads as
// not ready) and closed after the feed; what the caller opened stays open.
async function openInput(value: CameraInput): Promise<OpenInput> {
  if (typeof value === 'number' || isHandle(value)) {
    const fd = typeof value === 'number' ? value : value.fd;
    const stats = await new Promise<fs.Stats>((resolve, reject) => fs.fstat(fd, (error, s) => (error ? reject(fileError(`descriptor ${fd}`, error)) : resolve(s))));
    return { fd, live: !stats.isFile(), close: () => Promise.resolve() };
  }
  const file = value instanceof URL ? fileURLToPath(value) : value;
  let handle: promises.FileHandle;
  try {
    handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    throw fileError(file, error);
  }
  const stats = await handle.stat();
  return { fd: handle.fd, live: !stats.isFile(), close: () => handle.close() };
}

/** The native options that belong to a source, not to one feed of it. */
type SourceNativeOptions = Omit<NativeCameraOptions, 'id' | 'continued' | 'firstVideoFrame' | 'firstAudioMs'>;

/**
 * A camera's encoder outputs, held open across connections: `connection.sendCamera(source)`
 * on one connection and, after it failed, on the next — timestamps go on from where the
 * last feed ended, video resumes at the next keyframe (with the earlier parameter sets if
 * that keyframe brings none), and each connection gets onMetaData and the sequence headers
 * first. Made by openCamera(); close() closes what it opened.
 */
export class CameraSource {
  readonly #native: SourceNativeOptions;
  readonly #hasAudio: boolean;
  readonly #metadata: StreamMetadata | undefined;
  readonly #close: () => Promise<void>;
  // Where the next feed starts, once one has run; the parameter sets in force.
  #next: { videoFrame: number; audioMs: number } | undefined;
  #parameterSets: Buffer | undefined;
  #busy = false;
  #closed = false;

  /** Prefer openCamera(), which checks the options and opens the inputs. */
  constructor(native: SourceNativeOptions, hasAudio: boolean, metadata: StreamMetadata | undefined, close: () => Promise<void>) {
    this.#native = native;
    this.#hasAudio = hasAudio;
    this.#metadata = metadata;
    this.#close = close;
  }

  /**
   * For RtmpConnection.sendCamera(): the native options of the next feed and its header
   * maker; `done` records where it ended (a failed feed too) and frees the source.
   */
  begin(): { native: Omit<NativeCameraOptions, 'id'>; headers: CameraFeedHeaders; done(counts: NativeCameraCounts | undefined): void } {
    if (this.#closed) throw new RtmpError(ErrorCodes.CLOSED, 'the camera source is closed');
    if (this.#busy) throw invalidArg('this camera source is already being sent (one connection at a time)');
    this.#busy = true;
    const headers = new CameraFeedHeaders(this.#hasAudio, this.#metadata, this.#parameterSets);
    const next = this.#next;
    return {
      native: { ...this.#native, continued: next !== undefined, firstVideoFrame: next?.videoFrame ?? 0, firstAudioMs: next?.audioMs ?? 0 },
      headers,
      done: (counts) => {
        this.#busy = false;
        this.#parameterSets = headers.parameterSets;
        if (counts) this.#next = { videoFrame: counts.nextVideoFrame, audioMs: counts.nextAudioMs };
      },
    };
  }

  /** Closes the inputs it opened (paths); a FileHandle or descriptor given to it stays open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#close();
  }
}

/** Checks the options and opens the inputs (a named pipe without its writer yet opens at once). */
export async function openCamera(options: CameraSourceOptions): Promise<CameraSource> {
  if (typeof options !== 'object' || options === null) throw invalidArg('openCamera()/sendCamera() take an options object');
  checkInput(options.video, 'video');
  if (options.audio !== undefined) checkInput(options.audio, 'audio');
  const { frameRate } = options;
  if (typeof frameRate !== 'number' || !(Number.isFinite(frameRate) && frameRate > 0 && frameRate <= 1000)) {
    throw invalidArg('sendCamera(): frameRate must be frames per second, > 0 and ≤ 1000');
  }
  if (options.pace !== undefined && typeof options.pace !== 'boolean') throw invalidArg('sendCamera(): pace must be a boolean');
  const coalesceMs = numberIn(options.coalesceMs, 'coalesceMs', 0, 1000, Math.ceil(1000 / frameRate));
  const startWaitMs = numberIn(options.startWaitMs, 'startWaitMs', 0, 60_000, 1000);
  const maxAccessUnitBytes = numberIn(options.maxAccessUnitBytes, 'maxAccessUnitBytes', 1024, 1024 * 1024 * 1024, 16 * 1024 * 1024);
  if (options.metadata !== undefined && (typeof options.metadata !== 'object' || options.metadata === null)) throw invalidArg('sendCamera(): metadata must be an object');
  const video = await openInput(options.video);
  let audio: OpenInput | undefined;
  try {
    audio = options.audio === undefined ? undefined : await openInput(options.audio);
  } catch (error) {
    await video.close();
    throw error;
  }
  const native = {
    videoFd: video.fd,
    audioFd: audio?.fd,
    frameRate,
    pace: options.pace ?? !video.live,
    coalesceMs: Math.round(coalesceMs),
    startWaitMs: Math.round(startWaitMs),
    maxAccessUnitBytes: Math.floor(maxAccessUnitBytes),
    videoKeyPrefix: avcFramePrefix(true),
    videoInterPrefix: avcFramePrefix(false),
    audioPrefix: aacFramePrefix(),
  };
  return new CameraSource(native, audio !== undefined, options.metadata, async () => {
    await Promise.all([video.close(), audio?.close()]);
  });
}

/**
 * The tags for each configuration the feed reports: at the start onMetaData and both
 * sequence headers, later a sequence header when the parameter sets or the audio
 * configuration change. Throws ERR_MEDIA_INVALID for a configuration that does not parse.
 */
export class CameraFeedHeaders {
  readonly #video = new H264Packetizer();
  readonly #audio = new AacPacketizer();
  readonly #hasAudio: boolean;
  readonly #extra: StreamMetadata | undefined;
  // The last parameter sets: those of an earlier feed (a continuation) until new ones come.
  #parameterSets: Buffer | undefined;

  constructor(hasAudio: boolean, extra?: StreamMetadata, parameterSets?: Buffer) {
    this.#hasAudio = hasAudio;
    this.#extra = extra;
    this.#parameterSets = parameterSets;
  }

  /** The parameter sets in force (Annex-B), for a continuation. */
  get parameterSets(): Buffer | undefined {
    return this.#parameterSets;
  }

  headers(first: boolean, parameterSets: Buffer | undefined, audioFrame: Buffer | undefined, timestamp: number): FlvTag[] {
    const tags: FlvTag[] = [];
    // A continued stream's first keyframe may bring none: the earlier ones still hold.
    const sets = parameterSets ?? (first ? this.#parameterSets : undefined);
    // A unit of parameter sets only: the packetizer answers with the sequence header (when
    // the record changed), and no frame.
    if (sets) {
      tags.push(...this.#video.push({ data: sets, pts: timestamp }).tags);
      this.#parameterSets = sets;
    }
    if (audioFrame) tags.push(...this.#audio.push({ data: audioFrame, pts: timestamp }).tags.filter(isSequenceHeader));
    if (!first) return tags;
    const aac = this.#audio.config;
    const fields = streamMetadata({
      videoCodecId: VideoCodecId.AVC,
      sps: this.#video.sps,
      audio: this.#hasAudio,
      audioConfig: aac ? { sampleRate: aac.sampleRate, channels: aacChannels(aac.channelConfig) } : undefined,
      extra: this.#extra,
    });
    return [metadataTag(fields, timestamp), ...tags];
  }
}
