// MediaPublisher: an encoder's H.264/HEVC access units and AAC frames in, FLV tags out on a
// publishing connection — onMetaData first, each sequence header before the frames that need
// it, video from a keyframe on. Every write is checked and packetized in full before any
// byte is handed to the connection, so malformed input never leaves half a frame behind.
//
// Timestamps: a stream whose first timestamp is negative (x264 with B-frames starts at dts
// −80 ms) is shifted so that it starts at 0; every later timestamp of both tracks gets the
// same offset (stats().timestampOffsetMs). Only time going back within a track is refused.
//
// Silent audio (audio: 'silent'): an AAC-LC track of digital silence made here (see
// silent-aac.ts), following the video: from the first video frame's presentation time, each
// silent frame goes out before the first video frame whose decoding time has reached it, and
// end() completes the track to the end of the last video frame.
import { EventEmitter } from 'node:events';
import type { RtmpConnection } from '../connection';
import type { FlvTag } from '../flv';
import { isSequenceHeader, VideoCodecId } from '../flv-tags';
import { AacPacketizer, aacSequenceHeaderTag, type AudioFrame } from './aac';
import { AV01_CODEC_ID, av1SequenceStartTag, Av1Packetizer } from './av1';
import { invalidArg, type RtmpError } from '../errors';
import { mediaError } from './errors';
import { avcSequenceHeaderTag, H264Packetizer, type VideoFrame } from './h264';
import { HevcPacketizer, hevcSequenceStartTag, HVC1_CODEC_ID } from './hevc';
import { aacChannels, metadataTag, streamMetadata, type StreamMetadata } from './metadata';
import type { ByteSource } from './byte-source';
import { FeedTiming, pipeAudio, pipeVideo, type PipeOptions, type PipeResult } from './byte-stream-feed';
import { SilentAudio, type SilentAudioOptions } from './silent-aac';
import { profileViolation, StreamRules, WarningCodes, type ProfileOption, type WarningCode } from './stream-rules';

/** Where tags go: a publishing RtmpConnection, or anything with its writeTags(). */
export type TagSink = Pick<RtmpConnection, 'writeTags'>;

export type VideoCodec = 'h264' | 'hevc' | 'av1';

/** The FourCC an Enhanced RTMP codec goes out with (for the connect command's fourCcList). */
export const ENHANCED_FOURCC: Readonly<Record<VideoCodec, string | undefined>> = { h264: undefined, hevc: 'hvc1', av1: 'av01' };

export interface MediaPublisherOptions {
  /** 'h264' (default, classic FLV), 'hevc' or 'av1' (Enhanced RTMP, FourCC hvc1 or av01). */
  videoCodec?: VideoCodec;
  /** The tracks that will come; tags are held until each has its configuration. Default both. */
  video?: boolean;
  /**
   * true (default): the caller writes AAC with writeAudio(). 'silent': the publisher makes an
   * AAC-LC track of digital silence that follows the video (for cameras without a
   * microphone: Facebook and YouTube end streams without audio). false: no audio track.
   */
  audio?: boolean | 'silent';
  /** The silent track's sample rate (default 48000) and channels (default 2). */
  silentAudio?: SilentAudioOptions;
  /** Added to (and overriding) what onMetaData reports from the streams themselves. */
  metadata?: StreamMetadata;
  /**
   * Media time (ms) held back waiting for a declared track's first frame before starting
   * without it (default 1000); onMetaData then lacks that track's fields.
   */
  startWaitMs?: number;
  /**
   * A platform's rules ('facebook', 'youtube' or a PlatformProfile of one's own) checked on
   * the stream as it is written: each rule that goes from passing to warn or fail is a
   * 'warning' event (ProfileWarning, with a stable WARN_* code and the measured value).
   */
  profile?: ProfileOption;
  /**
   * With `profile`: a failing rule refuses the stream instead (ERR_PROFILE_VIOLATION, its
   * `reason` the rule's WARN_* code): at once for what the options declare (no audio track),
   * at the write that shows it otherwise; that write and every later one are refused.
   */
  strict?: boolean;
}

export interface MediaPublisherStats {
  videoFrames: number;
  audioFrames: number;
  /** Video frames dropped while waiting for a keyframe (at start or after attach()). */
  skippedFrames: number;
  /** Added to every timestamp because the stream started at a negative time (ms). */
  timestampOffsetMs: number;
}

// A gap in the video longer than this is not filled with silence: the silent track starts
// again with the video after it (a stalled encoder must not make minutes of audio at once).
const SILENCE_MAX_GAP_MS = 10_000;


/**
 * Checks the profile options (publishCamera() does before connecting) and makes the rules:
 * in strict mode what the options declare against the profile is refused here.
 */
export function checkProfileOptions(options: MediaPublisherOptions): StreamRules | undefined {
  if (options.strict !== undefined && options.profile === undefined) throw invalidArg('strict is for profile');
  if (options.strict !== undefined && typeof options.strict !== 'boolean') throw invalidArg('strict must be a boolean');
  if (options.profile === undefined) return undefined;
  const rules = new StreamRules(options.profile);
  const profile = rules.profile;
  if (options.strict !== true) return rules;
  const refuse = (code: WarningCode, message: string, measured: string | undefined, limit: string): RtmpError =>
    profileViolation({ profile: profile.name, code, message, measured, unit: '', limit });
  if (options.audio === false && profile.requireAudio) {
    throw refuse(WarningCodes.NO_AUDIO, `${profile.name} ends streams without an audio track (audio: false; audio: 'silent' makes one)`, 'absent', 'required');
  }
  if (options.video === false && profile.requireVideo) throw refuse(WarningCodes.NO_VIDEO, `${profile.name} requires a video track (video: false)`, 'absent', 'required');
  const codec = options.videoCodec ?? 'h264';
  if (options.video !== false && !profile.videoCodecs.includes(codec)) {
    throw refuse(WarningCodes.VIDEO_CODEC, `${profile.name} takes ${profile.videoCodecs.join(', ')} video`, codec, profile.videoCodecs.join(', '));
  }
  return rules;
}

/**
 * Events: 'warning' (ProfileWarning) when a `profile` rule goes from passing to warn or fail.
 */
export class MediaPublisher extends EventEmitter {
  #sink: TagSink;
  readonly #options: MediaPublisherOptions;
  readonly #video: VideoPacketizer;
  readonly #audio = new AacPacketizer();
  // Tags held until every declared track has its configuration.
  #held: FlvTag[] = [];
  #headersSent = false;
  #waitingForKeyframe = true;
  #lastVideoDts = -Infinity;
  #lastAudioPts = -Infinity;
  // Added to every timestamp; set by the first frame, raised while nothing has been sent.
  #offset: number | undefined;
  readonly #silence: SilentAudio | undefined;
  // The silent track's time 0 (ms, offset applied) and its next frame number.
  #silenceOrigin: number | undefined;
  #silenceNext = 0;
  // The end of the video so far (offset applied): the latest pts plus one frame interval.
  #videoEnd = 0;
  #lastShiftedDts = -Infinity;
  // The last interval between two video frames: the duration given to the last one.
  #videoInterval = 0;
  readonly #stats: MediaPublisherStats = { videoFrames: 0, audioFrames: 0, skippedFrames: 0, timestampOffsetMs: 0 };
  readonly #rules: StreamRules | undefined;
  // Strict mode's refusal: every write after it fails with it.
  #violation: RtmpError | undefined;
  readonly #feeds = new FeedTiming();

  constructor(sink: TagSink, options: MediaPublisherOptions = {}) {
    super();
    this.#sink = sink;
    this.#options = options;
    this.#video = makeVideoPacketizer(options.videoCodec ?? 'h264');
    const audio = options.audio ?? true;
    if (audio !== true && audio !== false && audio !== 'silent') throw invalidArg("audio must be true, false or 'silent'");
    this.#rules = checkProfileOptions(options);
    if (audio === 'silent') {
      if (options.video === false) throw invalidArg("audio: 'silent' follows the video: it needs a video track");
      this.#silence = new SilentAudio(silentAudioFor(options.silentAudio, this.#rules?.profile));
    } else if (options.silentAudio !== undefined) {
      throw invalidArg("silentAudio is for audio: 'silent'");
    }
  }

  /** With a profile: its video bitrate range for the stream's size and frame rate, once known. */
  videoBitrateRange(): { minKbps: number; maxKbps: number } | undefined {
    return this.#rules?.videoBitrateRange();
  }

  stats(): MediaPublisherStats {
    return { ...this.#stats };
  }

  /** onMetaData as it would be sent now. */
  metadata(): StreamMetadata {
    const aac = this.#audio.config;
    const silence = this.#silence;
    return streamMetadata({
      videoCodecId: this.#options.video === false ? undefined : this.#video.codecId,
      sps: this.#video.sps,
      audio: this.#options.audio !== false,
      audioConfig: aac ? { sampleRate: aac.sampleRate, channels: aacChannels(aac.channelConfig) } : silence ? { sampleRate: silence.sampleRate, channels: silence.channels } : undefined,
      extra: this.#options.metadata,
    });
  }

  /** Publishes one access unit (Annex-B; for AV1 a temporal unit of OBUs) of the configured video codec. */
  writeVideo(frame: VideoFrame): Promise<void> {
    try {
      if (this.#options.video === false) throw mediaError('this publisher was created without video');
      const dts = frame.dts ?? frame.pts;
      if (!Number.isFinite(dts) || !Number.isFinite(frame.pts)) throw mediaError('video pts/dts must be finite milliseconds');
      if (dts < this.#lastVideoDts) throw mediaError(`video dts ${dts} goes back (last ${this.#lastVideoDts})`);
      const offset = this.#planOffset(dts, 'video dts');
      const shifted: VideoFrame = { data: frame.data, pts: frame.pts + offset, dts: dts + offset };
      const { tags, keyframe } = this.#video.push(shifted);
      this.#commitOffset(offset);
      this.#lastVideoDts = dts;
      let out = tags;
      const hasFrame = tags.length > 0 && !isSequenceHeader(tags[tags.length - 1]);
      let kept = false;
      if (hasFrame) {
        if (this.#waitingForKeyframe && !keyframe) {
          this.#stats.skippedFrames++;
          out = tags.slice(0, -1); // keep a new sequence header, drop the undecodable frame
        } else {
          kept = true;
          this.#waitingForKeyframe = false;
          this.#stats.videoFrames++;
          this.#silenceOrigin ??= shifted.pts;
        }
        const interval = Number.isFinite(this.#lastShiftedDts) ? (shifted.dts as number) - this.#lastShiftedDts : 0;
        this.#lastShiftedDts = shifted.dts as number;
        if (interval > 0) this.#videoInterval = interval;
        this.#videoEnd = Math.max(this.#videoEnd, shifted.pts + this.#videoInterval);
      }
      if (this.#silence && this.#silenceOrigin !== undefined) {
        // Silence up to this frame's decoding time goes before it.
        const silence = this.#silenceThrough(shifted.dts as number, true);
        const frameTag = kept ? out.length - 1 : out.length;
        out = [...out.slice(0, frameTag), ...silence, ...out.slice(frameTag)];
      }
      return this.#send(out);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Publishes AAC: one or more ADTS frames, or one raw frame with `config`. */
  writeAudio(frame: AudioFrame): Promise<void> {
    try {
      if (this.#options.audio === false) throw mediaError('this publisher was created without audio');
      if (this.#silence) throw mediaError("this publisher makes its own silent audio (audio: 'silent')");
      if (!Number.isFinite(frame.pts)) throw mediaError('audio pts must be finite milliseconds');
      if (frame.pts < this.#lastAudioPts) throw mediaError(`audio pts ${frame.pts} goes back (last ${this.#lastAudioPts})`);
      const offset = this.#planOffset(frame.pts, 'audio pts');
      const { tags } = this.#audio.push({ ...frame, pts: frame.pts + offset });
      this.#commitOffset(offset);
      this.#lastAudioPts = frame.pts;
      this.#stats.audioFrames += tags.filter((tag) => !isSequenceHeader(tag)).length;
      return this.#send(tags);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Publishes an encoder's Annex-B byte stream (H.264 or HEVC, as configured) from a Readable,
   * any async iterable of Buffers, or a path (a named pipe is read through the event loop),
   * stamped by `frameRate` or `clock` (see PipeOptions);
   * resolves at its end with what was written. Each write waits for the connection.
   */
  pipeVideo(source: ByteSource, options: PipeOptions = {}): Promise<PipeResult> {
    return pipeVideo(this, this.#feeds, annexBCodec(this.#options.videoCodec), source, options);
  }

  /** Publishes an ADTS byte stream, stamped by its samples (see PipeOptions). */
  pipeAudio(source: ByteSource, options: PipeOptions = {}): Promise<PipeResult> {
    return pipeAudio(this, this.#feeds, source, options);
  }

  /**
   * Continues on another connection (after a reconnect): onMetaData and the sequence headers
   * are sent again before the next tags, and video resumes at the next keyframe.
   */
  attach(sink: TagSink): void {
    this.#sink = sink;
    this.#headersSent = false;
    this.#waitingForKeyframe = true;
    this.#held = [];
  }

  /** Sends what is held back for a track that never came. */
  flush(): Promise<void> {
    return this.#headersSent ? Promise.resolve() : this.#start();
  }

  /**
   * The end of the stream: completes the silent track (audio: 'silent') to the end of the
   * last video frame, so both tracks last as long, and sends what is held. Call it before
   * closing the connection (publishCamera()'s close() does). Writing on afterwards goes on.
   */
  end(): Promise<void> {
    try {
      const silence = this.#silence && this.#silenceOrigin !== undefined ? this.#silenceThrough(this.#videoEnd, false) : [];
      const sent = silence.length > 0 ? this.#send(silence) : Promise.resolve();
      return this.#headersSent ? sent : sent.then(() => this.flush());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // The offset for a track's timestamp `t` (caller's time): the first frame sets it so that
  // it starts at 0 when negative; an earlier one of the other track raises it while nothing
  // has been sent (what is held moves with it), and is refused after.
  #planOffset(t: number, what: string): number {
    const offset = this.#offset;
    if (offset === undefined) return Math.max(0, Math.ceil(-t));
    if (t + offset >= 0) return offset;
    if (this.#headersSent) throw mediaError(`${what} ${t} ms is before the stream's start (timestamps are offset by ${offset} ms)`);
    return Math.ceil(-t);
  }

  // Once the frame is taken: a raised offset moves what is held and the times kept here.
  #commitOffset(offset: number): void {
    const raise = offset - (this.#offset ?? offset);
    this.#offset = offset;
    this.#stats.timestampOffsetMs = offset;
    if (raise === 0) return;
    this.#held = this.#held.map((tag) => ({ ...tag, timestamp: tag.timestamp + raise }));
    if (this.#silenceOrigin !== undefined) this.#silenceOrigin += raise;
    this.#lastShiftedDts += raise;
    this.#videoEnd += raise;
  }

  // Silent frames from the next one up to `limit` ms (offset applied): through it (a frame
  // starting at it included), or up to it (frames that start before it).
  #silenceThrough(limit: number, inclusive: boolean): FlvTag[] {
    const silence = this.#silence as SilentAudio;
    const origin = this.#silenceOrigin as number;
    if (limit - (origin + silence.frameTime(this.#silenceNext)) > SILENCE_MAX_GAP_MS) {
      this.#silenceOrigin = limit;
      this.#silenceNext = 0;
      return this.#silenceThrough(limit, inclusive);
    }
    const tags: FlvTag[] = [];
    for (let n = this.#silenceNext; ; n++) {
      const at = origin + silence.frameTime(n);
      if (inclusive ? at > limit : at >= limit) {
        this.#silenceNext = n;
        break;
      }
      const { tags: made } = this.#audio.push({ data: silence.frame, pts: at, config: silence.audioSpecificConfig });
      tags.push(...made);
      this.#stats.audioFrames++;
    }
    return tags;
  }

  // The profile's rules see every tag made, before it goes anywhere: strict mode refuses a
  // failing one (and everything after), otherwise each new finding is a 'warning' event.
  #check(tags: FlvTag[]): void {
    if (this.#violation) throw this.#violation;
    const rules = this.#rules;
    if (!rules) return;
    for (const tag of tags) {
      for (const warning of rules.observe(tag)) {
        this.emit('warning', warning);
        if (this.#options.strict === true && warning.status === 'fail') this.#violation ??= profileViolation(warning);
      }
    }
    if (this.#violation) throw this.#violation;
  }

  #send(tags: FlvTag[]): Promise<void> {
    this.#check(tags);
    if (this.#headersSent) return tags.length > 0 ? this.#sink.writeTags(tags) : Promise.resolve();
    this.#held.push(...tags);
    // Nothing held (a skipped frame): start with a real frame, not a stray timestamp.
    return this.#held.length > 0 && this.#ready() ? this.#start() : Promise.resolve();
  }

  // Every declared track has its configuration, or the wait for one has lasted long enough.
  #ready(): boolean {
    const videoReady = this.#options.video === false || this.#video.decoderConfiguration !== undefined;
    const audioReady = this.#options.audio === false || this.#audio.config !== undefined;
    if (videoReady && audioReady) return true;
    const times = this.#held.map((tag) => tag.timestamp);
    return times.length > 0 && Math.max(...times) - Math.min(...times) > (this.#options.startWaitMs ?? 1000);
  }

  #start(): Promise<void> {
    const held = this.#held;
    const frames = held.filter((tag) => !isSequenceHeader(tag));
    const start = frames.length > 0 ? Math.min(...frames.map((tag) => tag.timestamp)) : 0;
    const headers: FlvTag[] = [metadataTag(this.metadata(), start)];
    // After attach() the packetizers have nothing new to say: send their current headers.
    const record = this.#video.decoderConfiguration;
    if (record && !held.some((tag) => tag.type === 'video' && isSequenceHeader(tag))) {
      headers.push(this.#video.sequenceHeaderTag(record, start));
    }
    const asc = this.#audio.config?.audioSpecificConfig;
    if (asc && !held.some((tag) => tag.type === 'audio' && isSequenceHeader(tag))) {
      headers.push(aacSequenceHeaderTag(asc, start));
    }
    // Interleave by time; the sort is stable, so a sequence header stays before its frame.
    held.sort((a, b) => a.timestamp - b.timestamp);
    this.#held = [];
    this.#headersSent = true;
    return this.#sink.writeTags([...headers, ...held]);
  }
}


// What the publisher needs of a video codec.
interface VideoPacketizer {
  readonly codecId: number;
  readonly sps: { width: number; height: number; frameRate?: number } | undefined;
  readonly decoderConfiguration: Buffer | undefined;
  push(frame: VideoFrame): { tags: FlvTag[]; keyframe: boolean };
  sequenceHeaderTag(record: Buffer, timestamp: number): FlvTag;
}

function makeVideoPacketizer(codec: VideoCodec): VideoPacketizer {
  switch (codec) {
    case 'h264':
      return videoPacketizer(new H264Packetizer(), VideoCodecId.AVC, avcSequenceHeaderTag);
    case 'hevc':
      return videoPacketizer(new HevcPacketizer(), HVC1_CODEC_ID, hevcSequenceStartTag);
    case 'av1':
      return videoPacketizer(new Av1Packetizer(), AV01_CODEC_ID, av1SequenceStartTag);
    default:
      throw invalidArg("videoCodec must be 'h264', 'hevc' or 'av1'");
  }
}

// One adapter for every codec: they differ in the packetizer, the codec id and the tag that
// carries the decoder configuration.
function videoPacketizer(
  packetizer: H264Packetizer | HevcPacketizer | Av1Packetizer,
  codecId: number,
  sequenceHeaderTag: (record: Buffer, timestamp: number) => FlvTag,
): VideoPacketizer {
  return {
    codecId,
    get sps() {
      return packetizer.sps;
    },
    get decoderConfiguration() {
      return packetizer.decoderConfiguration;
    },
    push: (frame) => packetizer.push(frame),
    sequenceHeaderTag,
  };
}

/** The Annex-B codec of a video codec: AV1 comes as OBUs, not as a byte stream of start codes. */
export function annexBCodec(codec: VideoCodec | undefined): 'h264' | 'hevc' {
  if (codec === undefined || codec === 'h264' || codec === 'hevc') return codec ?? 'h264';
  throw invalidArg('byte streams are Annex-B H.264 or HEVC; write AV1 temporal units with writeVideo()');
}

/**
 * The silent track's configuration: what the options say, else what the platform profile
 * takes (48 kHz when it takes it, else its first rate; stereo unless it allows fewer
 * channels), else 48 kHz stereo.
 */
function silentAudioFor(options: SilentAudioOptions | undefined, profile: { sampleRates: readonly number[]; maxChannels: number } | undefined): SilentAudioOptions {
  const rates = profile?.sampleRates ?? [];
  const sampleRate = options?.sampleRate ?? (rates.length === 0 || rates.includes(48000) ? 48000 : rates[0]);
  const channels = options?.channels ?? Math.min(2, profile?.maxChannels ?? 2);
  return { sampleRate, channels };
}
