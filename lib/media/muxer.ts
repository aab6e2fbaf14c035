// MediaPublisher: an encoder's H.264/HEVC access units and AAC frames in, FLV tags out on a
// publishing connection — onMetaData first, each sequence header before the frames that need
// it, video from a keyframe on. Every write is checked and packetized in full before any
// byte is handed to the connection, so malformed input never leaves half a frame behind.
import type { RtmpConnection } from '../connection';
import type { FlvTag } from '../flv';
import { isSequenceHeader, SoundFormat, VideoCodecId } from '../flv-tags';
import { AacPacketizer, aacSequenceHeaderTag, type AudioFrame } from './aac';
import { AV01_CODEC_ID, av1SequenceStartTag, Av1Packetizer } from './av1';
import { invalidArg } from '../errors';
import { mediaError } from './errors';
import { avcSequenceHeaderTag, H264Packetizer, type VideoFrame } from './h264';
import { HevcPacketizer, hevcSequenceStartTag, HVC1_CODEC_ID } from './hevc';
import { metadataTag, type StreamMetadata } from './metadata';

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
  audio?: boolean;
  /** Added to (and overriding) what onMetaData reports from the streams themselves. */
  metadata?: StreamMetadata;
  /**
   * Media time (ms) held back waiting for a declared track's first frame before starting
   * without it (default 1000); onMetaData then lacks that track's fields.
   */
  startWaitMs?: number;
}

export interface MediaPublisherStats {
  videoFrames: number;
  audioFrames: number;
  /** Video frames dropped while waiting for a keyframe (at start or after attach()). */
  skippedFrames: number;
}

export class MediaPublisher {
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
  readonly #stats: MediaPublisherStats = { videoFrames: 0, audioFrames: 0, skippedFrames: 0 };

  constructor(sink: TagSink, options: MediaPublisherOptions = {}) {
    this.#sink = sink;
    this.#options = options;
    this.#video = makeVideoPacketizer(options.videoCodec ?? 'h264');
  }

  stats(): MediaPublisherStats {
    return { ...this.#stats };
  }

  /** onMetaData as it would be sent now. */
  metadata(): StreamMetadata {
    const sps = this.#video.sps;
    const aac = this.#audio.config;
    const fields: StreamMetadata = { encoder: 'node-librtmp' };
    if (this.#options.video !== false) {
      fields.videocodecid = this.#video.codecId;
      if (sps) {
        fields.width = sps.width;
        fields.height = sps.height;
        if (sps.frameRate !== undefined) fields.framerate = sps.frameRate;
      }
    }
    if (this.#options.audio !== false) {
      fields.audiocodecid = SoundFormat.AAC;
      if (aac) {
        fields.audiosamplerate = aac.sampleRate;
        fields.audiochannels = aac.channelConfig === 7 ? 8 : aac.channelConfig;
        fields.stereo = aac.channelConfig >= 2;
      }
    }
    return { ...fields, ...this.#options.metadata };
  }

  /** Publishes one access unit (Annex-B; for AV1 a temporal unit of OBUs) of the configured video codec. */
  writeVideo(frame: VideoFrame): Promise<void> {
    try {
      if (this.#options.video === false) throw mediaError('this publisher was created without video');
      const dts = frame.dts ?? frame.pts;
      if (dts < this.#lastVideoDts) throw mediaError(`video dts ${dts} goes back (last ${this.#lastVideoDts})`);
      const { tags, keyframe } = this.#video.push(frame);
      this.#lastVideoDts = dts;
      let out = tags;
      const hasFrame = tags.length > 0 && !isSequenceHeader(tags[tags.length - 1]);
      if (hasFrame) {
        if (this.#waitingForKeyframe && !keyframe) {
          this.#stats.skippedFrames++;
          out = tags.slice(0, -1); // keep a new sequence header, drop the undecodable frame
        } else {
          this.#waitingForKeyframe = false;
          this.#stats.videoFrames++;
        }
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
      if (frame.pts < this.#lastAudioPts) throw mediaError(`audio pts ${frame.pts} goes back (last ${this.#lastAudioPts})`);
      const { tags } = this.#audio.push(frame);
      this.#lastAudioPts = frame.pts;
      this.#stats.audioFrames += tags.filter((tag) => !isSequenceHeader(tag)).length;
      return this.#send(tags);
    } catch (error) {
      return Promise.reject(error);
    }
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

  #send(tags: FlvTag[]): Promise<void> {
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
