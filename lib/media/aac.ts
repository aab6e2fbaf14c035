// AAC in FLV: ADTS frames (or raw frames plus an AudioSpecificConfig) in, AAC audio tags out
// (a sequence header with the AudioSpecificConfig, then one raw frame per tag).
import type { FlvTag } from '../flv';
import { AacPacketType, SoundFormat } from '../flv-tags';
import { BitReader } from './bits';
import { mediaError } from './errors';

/** Samples per AAC-LC frame. */
export const AAC_FRAME_SAMPLES = 1024;
export const ADTS_HEADER_SIZE = 7;
const ADTS_CRC_SIZE = 2;

export const SAMPLING_FREQUENCIES = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

export interface AacConfig {
  /** MPEG-4 Audio Object Type (2 = AAC-LC). */
  objectType: number;
  sampleRate: number;
  /** Channel configuration 1–7 (7 = 7.1). */
  channelConfig: number;
  /** The AudioSpecificConfig bytes, as sent in the sequence header. */
  audioSpecificConfig: Buffer;
}

export interface AdtsFrame {
  config: AacConfig;
  /** The raw AAC frame: without the ADTS header and CRC. */
  payload: Buffer;
}

/** What an ADTS header says (ISO/IEC 13818-7 6.2 / 14496-3 1.A.2). */
export interface AdtsHeader {
  objectType: number;
  frequencyIndex: number;
  sampleRate: number;
  channelConfig: number;
  /** The whole frame, header and CRC included. */
  frameLength: number;
  /** 7, or 9 with a CRC. */
  headerSize: number;
}

/**
 * Reads the ADTS header at `at` (7 bytes must be there). Returns the reason as a string when
 * it is not one this library can carry, so a streaming reader can resynchronise on it.
 */
export function readAdtsHeader(data: Buffer, at: number): AdtsHeader | string {
  const h = data.subarray(at, at + ADTS_HEADER_SIZE);
  if (h[0] !== 0xff || (h[1] & 0xf0) !== 0xf0) return `no ADTS sync word at byte ${at}`;
  if ((h[1] & 0x06) !== 0) return `ADTS layer is not 0 at byte ${at}`;
  const protectionAbsent = (h[1] & 0x01) === 1;
  const objectType = (h[2] >>> 6) + 1;
  const frequencyIndex = (h[2] >>> 2) & 0x0f;
  const channelConfig = ((h[2] & 0x01) << 2) | (h[3] >>> 6);
  const frameLength = ((h[3] & 0x03) << 11) | (h[4] << 3) | (h[5] >>> 5);
  const rawBlocks = (h[6] & 0x03) + 1;
  const headerSize = ADTS_HEADER_SIZE + (protectionAbsent ? 0 : ADTS_CRC_SIZE);
  const sampleRate = SAMPLING_FREQUENCIES[frequencyIndex];
  if (sampleRate === undefined) return `ADTS sampling frequency index ${frequencyIndex} is reserved`;
  if (channelConfig === 0) return 'ADTS channel configuration 0 (in-band PCE) is not supported';
  if (rawBlocks !== 1) return 'ADTS frames with several raw data blocks are not supported';
  if (frameLength <= headerSize) return `ADTS frame length ${frameLength} is too short at byte ${at}`;
  return { objectType, frequencyIndex, sampleRate, channelConfig, frameLength, headerSize };
}

/** The frame described by `header`, which starts at `at` and is wholly in `data`. */
export function adtsFrameAt(data: Buffer, at: number, header: AdtsHeader): AdtsFrame {
  const { objectType, frequencyIndex, sampleRate, channelConfig, frameLength, headerSize } = header;
  return {
    config: { objectType, sampleRate, channelConfig, audioSpecificConfig: audioSpecificConfig(objectType, frequencyIndex, channelConfig) },
    payload: data.subarray(at + headerSize, at + frameLength),
  };
}

/**
 * The frames of an ADTS buffer (one or several whole frames). A buffer that does not split
 * exactly into frames is refused as a whole.
 */
export function parseAdts(data: Buffer): AdtsFrame[] {
  const frames: AdtsFrame[] = [];
  let at = 0;
  while (at < data.length) {
    if (data.length - at < ADTS_HEADER_SIZE) throw mediaError(`ADTS header truncated at byte ${at}`);
    const header = readAdtsHeader(data, at);
    if (typeof header === 'string') throw mediaError(header);
    if (data.length - at < header.frameLength) throw mediaError(`ADTS frame at byte ${at} is truncated`);
    frames.push(adtsFrameAt(data, at, header));
    at += header.frameLength;
  }
  if (frames.length === 0) throw mediaError('empty ADTS buffer');
  return frames;
}

/** The 2-byte AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) of a plain AAC stream. */
export function audioSpecificConfig(objectType: number, frequencyIndex: number, channelConfig: number): Buffer {
  // objectType:5 frequencyIndex:4 channelConfig:4, then GASpecificConfig's three zero flags.
  const bits = (objectType << 11) | (frequencyIndex << 7) | (channelConfig << 3);
  return Buffer.of(bits >>> 8, bits & 0xff);
}

/** Reads an AudioSpecificConfig given by the encoder (for raw, non-ADTS frames). */
export function parseAudioSpecificConfig(asc: Buffer): AacConfig {
  const r = new BitReader(asc, 'AAC AudioSpecificConfig');
  const objectTypeOf = (): number => {
    const type = r.bits(5);
    return type === 31 ? 32 + r.bits(6) : type;
  };
  const rateOf = (): number => {
    const index = r.bits(4);
    if (index === 15) return r.bits(24);
    const rate = SAMPLING_FREQUENCIES[index];
    if (rate === undefined) throw mediaError(`AAC sampling frequency index ${index} is reserved`);
    return rate;
  };
  let objectType = objectTypeOf();
  let sampleRate = rateOf();
  const channelConfig = r.bits(4);
  if (objectType === 5 || objectType === 29) {
    // Explicit SBR/PS signalling: the output rate and the core object type follow.
    sampleRate = rateOf();
    objectType = objectTypeOf();
  }
  if (objectType === 0) throw mediaError('AAC AudioSpecificConfig has object type 0');
  if (channelConfig === 0) throw mediaError('AAC channel configuration 0 (in-band PCE) is not supported');
  return { objectType, sampleRate, channelConfig, audioSpecificConfig: asc };
}

// SoundFormat AAC; rate, size and type are fixed for AAC (44 kHz, 16 bit, stereo): the
// AudioSpecificConfig says what the stream really is.
const AAC_TAG_FIRST_BYTE = (SoundFormat.AAC << 4) | (3 << 2) | (1 << 1) | 1;

export function aacSequenceHeaderTag(asc: Buffer, timestamp: number): FlvTag {
  return { type: 'audio', timestamp, data: Buffer.concat([Buffer.of(AAC_TAG_FIRST_BYTE, AacPacketType.SEQUENCE_HEADER), asc]) };
}

/** What an AAC frame tag starts with, before the raw frame. */
export function aacFramePrefix(): Buffer {
  return Buffer.of(AAC_TAG_FIRST_BYTE, AacPacketType.RAW);
}

export function aacFrameTag(payload: Buffer, timestamp: number): FlvTag {
  return { type: 'audio', timestamp, data: Buffer.concat([aacFramePrefix(), payload]) };
}

export interface AudioFrame {
  /** ADTS frame(s), or one raw frame when `config` is given. */
  data: Buffer;
  /** Presentation time of the first frame in `data`, milliseconds. */
  pts: number;
  /** AudioSpecificConfig for raw frames; absent for ADTS. */
  config?: Buffer;
}

export interface PacketizedAudio {
  tags: FlvTag[];
  config: AacConfig;
}

/**
 * Turns AAC frames into audio tags, sending the sequence header first and again when the
 * configuration changes. Each push is all or nothing.
 */
export class AacPacketizer {
  #config: AacConfig | undefined;

  get config(): AacConfig | undefined {
    return this.#config;
  }

  push(frame: AudioFrame): PacketizedAudio {
    if (!Number.isFinite(frame.pts) || frame.pts < 0) throw mediaError('audio pts must be finite milliseconds ≥ 0');
    let frames: AdtsFrame[];
    if (frame.config !== undefined) {
      if (frame.data.length === 0) throw mediaError('empty AAC frame');
      frames = [{ config: parseAudioSpecificConfig(frame.config), payload: frame.data }];
    } else {
      frames = parseAdts(frame.data);
    }
    const tags: FlvTag[] = [];
    let config = this.#config;
    frames.forEach(({ config: frameConfig, payload }, i) => {
      // Frames after the first in one buffer follow at 1024 samples each.
      const timestamp = Math.round(frame.pts + (i * AAC_FRAME_SAMPLES * 1000) / frameConfig.sampleRate);
      if (config === undefined || !config.audioSpecificConfig.equals(frameConfig.audioSpecificConfig)) {
        config = frameConfig;
        tags.push(aacSequenceHeaderTag(config.audioSpecificConfig, timestamp));
      }
      tags.push(aacFrameTag(payload, timestamp));
    });
    this.#config = config;
    return { tags, config: config as AacConfig };
  }
}
