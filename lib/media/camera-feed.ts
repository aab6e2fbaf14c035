// The JavaScript half of RtmpConnection.sendCamera(): its options, checked, and the tags the
// native feed (native/src/camera_sender.h) asks for when a configuration is new. The feed
// reads, splits and packetizes every frame on the connection thread; what a configuration
// means — the AVC and AAC sequence headers, onMetaData — is made here, by the same code that
// makes it for MediaPublisher, so each rule keeps one home.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FlvTag } from '../flv';
import { isSequenceHeader, VideoCodecId } from '../flv-tags';
import { ErrorCodes, invalidArg, RtmpError } from '../errors';
import type { NativeCameraCounts, NativeCameraOptions } from '../native';
import { AacPacketizer, aacFramePrefix } from './aac';
import { avcFramePrefix, H264Packetizer } from './h264';
import { aacChannels, metadataTag, streamMetadata, type StreamMetadata } from './metadata';

export interface CameraFeedOptions {
  /** The encoder's H.264 Annex-B output: a named pipe (or a file, a device). */
  video: string | URL;
  /** Its AAC ADTS output; without it the stream has no audio track. */
  audio?: string | URL;
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
  /** Ends the feed between two writes; the promise resolves with `stopped: true`. */
  stop?: AbortSignal;
  /** Destroys the connection (see OperationOptions). */
  signal?: AbortSignal;
}

/** What sendCamera() sent and read (the native feed's counts). */
export type CameraFeedResult = NativeCameraCounts;

const DEFAULT_START_WAIT_MS = 1000;
const DEFAULT_MAX_ACCESS_UNIT_BYTES = 16 * 1024 * 1024;

function inputPath(value: unknown, name: string): string {
  const file = value instanceof URL ? fileURLToPath(value) : value;
  if (typeof file !== 'string' || file.length === 0 || file.includes('\0')) throw invalidArg(`sendCamera(): ${name} must be a file path or a file: URL`);
  return file;
}

function numberIn(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) throw invalidArg(`sendCamera(): ${name} must be a number from ${min} to ${max}`);
  return value;
}

// A live source paces itself; a file is read as fast as the disk gives it.
async function isLive(file: string): Promise<boolean> {
  try {
    const stats = await fs.promises.stat(file);
    return stats.isFIFO() || stats.isCharacterDevice() || stats.isSocket();
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new RtmpError(ErrorCodes.FILE, `cannot open ${file}: ${reason}`, { cause: error });
  }
}

/** The options as the native feed takes them (all but `id`), checked. */
export async function nativeCameraOptions(options: CameraFeedOptions): Promise<Omit<NativeCameraOptions, 'id'>> {
  if (typeof options !== 'object' || options === null) throw invalidArg('sendCamera() takes an options object');
  const video = inputPath(options.video, 'video');
  const audio = options.audio === undefined ? undefined : inputPath(options.audio, 'audio');
  const { frameRate } = options;
  if (typeof frameRate !== 'number' || !(Number.isFinite(frameRate) && frameRate > 0 && frameRate <= 1000)) {
    throw invalidArg('sendCamera(): frameRate must be frames per second, > 0 and ≤ 1000');
  }
  if (options.pace !== undefined && typeof options.pace !== 'boolean') throw invalidArg('sendCamera(): pace must be a boolean');
  if (options.stop !== undefined && !(options.stop instanceof AbortSignal)) throw invalidArg('sendCamera(): stop must be an AbortSignal');
  const coalesceMs = numberIn(options.coalesceMs, 'coalesceMs', 0, 1000, Math.ceil(1000 / frameRate));
  const startWaitMs = numberIn(options.startWaitMs, 'startWaitMs', 0, 60_000, DEFAULT_START_WAIT_MS);
  const maxAccessUnitBytes = numberIn(options.maxAccessUnitBytes, 'maxAccessUnitBytes', 1024, 1024 * 1024 * 1024, DEFAULT_MAX_ACCESS_UNIT_BYTES);
  if (options.metadata !== undefined && (typeof options.metadata !== 'object' || options.metadata === null)) throw invalidArg('sendCamera(): metadata must be an object');
  return {
    video,
    audio,
    frameRate,
    pace: options.pace ?? !(await isLive(video)),
    coalesceMs: Math.round(coalesceMs),
    startWaitMs: Math.round(startWaitMs),
    maxAccessUnitBytes: Math.floor(maxAccessUnitBytes),
    videoKeyPrefix: avcFramePrefix(true),
    videoInterPrefix: avcFramePrefix(false),
    audioPrefix: aacFramePrefix(),
  };
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

  constructor(hasAudio: boolean, extra?: StreamMetadata) {
    this.#hasAudio = hasAudio;
    this.#extra = extra;
  }

  headers(first: boolean, parameterSets: Buffer | undefined, audioFrame: Buffer | undefined, timestamp: number): FlvTag[] {
    const tags: FlvTag[] = [];
    // A unit of parameter sets only: the packetizer answers with the sequence header (when
    // the record changed), and no frame.
    if (parameterSets) tags.push(...this.#video.push({ data: parameterSets, pts: timestamp }).tags);
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
