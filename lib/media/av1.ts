// AV1 in FLV through Enhanced RTMP: temporal units in the low-overhead OBU format (what
// encoders and `ffmpeg -f obu` write: each OBU with its size field) in, video tags with the
// extended VideoTagHeader out (FourCC 'av01'; a SequenceStart packet carrying the
// AV1CodecConfigurationRecord, then CodedFrames packets holding the unit's OBUs).
//
// As in MP4 (the AV1 ISOBMFF binding), temporal delimiters, padding and tile lists are left
// out; sequence headers stay in the frames that carry them. AV1 has no composition offset:
// a temporal unit has one time, so dts, when given, must equal pts.
import type { FlvTag } from '../flv';
import { BitReader } from './bits';
import { codedFramesHeader, fourCcCodecId, sequenceStartTag } from './enhanced-rtmp';
import { mediaError } from './errors';
import { videoTiming, type VideoFrame } from './h264';

export const Av1ObuType = {
  SEQUENCE_HEADER: 1,
  TEMPORAL_DELIMITER: 2,
  FRAME_HEADER: 3,
  TILE_GROUP: 4,
  METADATA: 5,
  FRAME: 6,
  REDUNDANT_FRAME_HEADER: 7,
  TILE_LIST: 8,
  PADDING: 15,
} as const;

export const FOURCC_AV01 = Buffer.from('av01', 'latin1');
/** onMetaData's videocodecid for Enhanced RTMP AV1: the FourCC as a number. */
export const AV01_CODEC_ID = fourCcCodecId(FOURCC_AV01);

const DROPPED_OBUS: ReadonlySet<number> = new Set([Av1ObuType.TEMPORAL_DELIMITER, Av1ObuType.PADDING, Av1ObuType.TILE_LIST]);

export interface Av1Obu {
  type: number;
  /** The whole OBU: header, size field and payload, as it goes into FLV. */
  bytes: Buffer;
  payload: Buffer;
}

// leb128(): up to 8 bytes, 7 bits each, little end first.
function readLeb128(data: Buffer, offset: number): { value: number; next: number } {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    if (offset + i >= data.length) throw mediaError('AV1 OBU size field is truncated');
    const byte = data[offset + i];
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return { value, next: offset + i + 1 };
  }
  throw mediaError('AV1 OBU size field is longer than 8 bytes');
}

/** Splits a temporal unit into OBUs; each must have its size field (low-overhead format). */
export function splitObus(data: Buffer): Av1Obu[] {
  if (data.length === 0) throw mediaError('empty AV1 temporal unit');
  const obus: Av1Obu[] = [];
  let offset = 0;
  while (offset < data.length) {
    const header = data[offset];
    if (header & 0x80) throw mediaError('AV1 OBU has forbidden_bit set');
    const type = (header >>> 3) & 0x0f;
    const extension = (header & 0x04) !== 0;
    if ((header & 0x02) === 0) {
      throw mediaError('AV1 OBU without a size field: expected the low-overhead format (as `ffmpeg -f obu` writes)');
    }
    const sizeAt = offset + 1 + (extension ? 1 : 0);
    const { value: size, next } = readLeb128(data, sizeAt);
    if (next + size > data.length) throw mediaError(`AV1 OBU of type ${type} is truncated`);
    obus.push({ type, bytes: data.subarray(offset, next + size), payload: data.subarray(next, next + size) });
    offset = next + size;
  }
  return obus;
}

export interface Av1SequenceInfo {
  profile: number;
  level: number;
  tier: number;
  highBitdepth: boolean;
  twelveBit: boolean;
  monochrome: boolean;
  chromaSubsamplingX: boolean;
  chromaSubsamplingY: boolean;
  chromaSamplePosition: number;
  reducedStillPictureHeader: boolean;
  width: number;
  height: number;
  frameRate?: number;
}

// uvlc(): leading zeros, then that many bits.
function uvlc(r: BitReader): number {
  let zeros = 0;
  while (!r.flag()) {
    if (++zeros >= 32) return 2 ** 32 - 1;
  }
  return r.bits(zeros) + 2 ** zeros - 1;
}

/** Parses a sequence header OBU's payload (AV1 spec 5.5) as far as the configuration record needs. */
export function parseAv1SequenceHeader(payload: Buffer): Av1SequenceInfo {
  const r = new BitReader(payload, 'AV1 sequence header');
  const profile = r.bits(3);
  if (profile > 2) throw mediaError(`AV1 seq_profile ${profile} is reserved`);
  r.skip(1); // still_picture
  const reducedStillPictureHeader = r.flag();
  let level: number;
  let tier = 0;
  let frameRate: number | undefined;
  if (reducedStillPictureHeader) {
    level = r.bits(5);
  } else {
    let decoderModelInfo = false;
    let bufferDelayLength = 0;
    if (r.flag()) {
      // timing_info
      const unitsPerTick = r.bits(32);
      const timeScale = r.bits(32);
      if (r.flag()) {
        const ticksPerPicture = uvlc(r) + 1;
        if (unitsPerTick > 0) frameRate = timeScale / (unitsPerTick * ticksPerPicture);
      }
      decoderModelInfo = r.flag();
      if (decoderModelInfo) {
        bufferDelayLength = r.bits(5) + 1;
        r.skip(32 + 5 + 5); // num_units_in_decoding_tick, two length fields
      }
    }
    const initialDisplayDelay = r.flag();
    const operatingPoints = r.bits(5) + 1;
    level = 0;
    for (let i = 0; i < operatingPoints; i++) {
      r.skip(12); // operating_point_idc
      const opLevel = r.bits(5);
      const opTier = opLevel > 7 ? r.bits(1) : 0;
      if (i === 0) [level, tier] = [opLevel, opTier];
      if (decoderModelInfo && r.flag()) r.skip(2 * bufferDelayLength + 1);
      if (initialDisplayDelay && r.flag()) r.skip(4);
    }
  }
  const widthBits = r.bits(4) + 1;
  const heightBits = r.bits(4) + 1;
  const width = r.bits(widthBits) + 1;
  const height = r.bits(heightBits) + 1;
  if (!reducedStillPictureHeader && r.flag()) r.skip(4 + 3); // frame id lengths
  r.skip(3); // use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter
  if (!reducedStillPictureHeader) {
    r.skip(4); // interintra and masked compound, warped motion, dual filter
    const orderHint = r.flag();
    if (orderHint) r.skip(2); // enable_jnt_comp, enable_ref_frame_mvs
    const forceScreenContentTools = r.flag() ? 2 : r.bits(1); // 2: SELECT_SCREEN_CONTENT_TOOLS
    if (forceScreenContentTools > 0 && !r.flag()) r.skip(1); // seq_force_integer_mv
    if (orderHint) r.skip(3);
  }
  r.skip(3); // enable_superres, enable_cdef, enable_restoration
  // color_config
  const highBitdepth = r.flag();
  const twelveBit = profile === 2 && highBitdepth ? r.flag() : false;
  const monochrome = profile === 1 ? false : r.flag();
  let [primaries, transfer, matrix] = [2, 2, 2];
  if (r.flag()) [primaries, transfer, matrix] = [r.bits(8), r.bits(8), r.bits(8)];
  let chromaSubsamplingX = true;
  let chromaSubsamplingY = true;
  let chromaSamplePosition = 0;
  if (!monochrome) {
    const srgb = primaries === 1 && transfer === 13 && matrix === 0;
    if (srgb) {
      chromaSubsamplingX = chromaSubsamplingY = false;
    } else {
      r.skip(1); // color_range
      if (profile === 1) {
        chromaSubsamplingX = chromaSubsamplingY = false;
      } else if (profile === 2) {
        if (twelveBit) {
          chromaSubsamplingX = r.flag();
          chromaSubsamplingY = chromaSubsamplingX ? r.flag() : false;
        } else {
          chromaSubsamplingY = false;
        }
      }
      if (chromaSubsamplingX && chromaSubsamplingY) chromaSamplePosition = r.bits(2);
    }
  }
  const info: Av1SequenceInfo = {
    profile,
    level,
    tier,
    highBitdepth,
    twelveBit,
    monochrome,
    chromaSubsamplingX,
    chromaSubsamplingY,
    chromaSamplePosition,
    reducedStillPictureHeader,
    width,
    height,
  };
  if (frameRate !== undefined) info.frameRate = frameRate;
  return info;
}

/** AV1CodecConfigurationRecord (AV1 ISOBMFF binding 2.3.3) with the sequence header OBU. */
export function av1CodecConfigurationRecord(sequenceHeader: Av1Obu): Buffer {
  const info = parseAv1SequenceHeader(sequenceHeader.payload);
  const head = Buffer.alloc(4);
  head[0] = 0x81; // marker, version 1
  head[1] = (info.profile << 5) | info.level;
  head[2] =
    (info.tier << 7) |
    (Number(info.highBitdepth) << 6) |
    (Number(info.twelveBit) << 5) |
    (Number(info.monochrome) << 4) |
    (Number(info.chromaSubsamplingX) << 3) |
    (Number(info.chromaSubsamplingY) << 2) |
    info.chromaSamplePosition;
  head[3] = 0; // no initial_presentation_delay
  return Buffer.concat([head, sequenceHeader.bytes]);
}

export function av1SequenceStartTag(record: Buffer, timestamp: number): FlvTag {
  return sequenceStartTag(FOURCC_AV01, record, timestamp);
}

// A random access point: the unit's first frame is a shown key frame (uncompressed_header's
// first fields; a reduced still-picture header is always one).
function startsWithKeyframe(obus: Av1Obu[], info: Av1SequenceInfo): boolean {
  const first = obus.find((obu) => obu.type === Av1ObuType.FRAME || obu.type === Av1ObuType.FRAME_HEADER);
  if (!first) return false;
  if (info.reducedStillPictureHeader) return true;
  const r = new BitReader(first.payload, 'AV1 frame header');
  if (r.flag()) return false; // show_existing_frame
  const keyFrame = r.bits(2) === 0;
  return keyFrame && r.flag(); // show_frame
}

/** AV1 temporal units to Enhanced RTMP video tags; each push is all or nothing. */
export class Av1Packetizer {
  #info: Av1SequenceInfo | undefined;
  // Holds its own copy of the sequence header OBU: the caller may reuse its buffers.
  #record: Buffer | undefined;

  get sps(): Av1SequenceInfo | undefined {
    return this.#info;
  }

  get decoderConfiguration(): Buffer | undefined {
    return this.#record;
  }

  push(frame: VideoFrame): { tags: FlvTag[]; keyframe: boolean; sps?: Av1SequenceInfo } {
    const { dts, compositionTime } = videoTiming(frame);
    if (compositionTime !== 0) throw mediaError('AV1 has no composition offset: dts must equal pts (or be left out)');
    const obus = splitObus(frame.data);
    let info = this.#info;
    let record = this.#record;
    const tags: FlvTag[] = [];
    const timestamp = Math.round(dts);
    const sequenceHeader = obus.filter((obu) => obu.type === Av1ObuType.SEQUENCE_HEADER).at(-1);
    if (sequenceHeader && (record === undefined || !sequenceHeader.bytes.equals(record.subarray(4)))) {
      info = parseAv1SequenceHeader(sequenceHeader.payload);
      record = av1CodecConfigurationRecord(sequenceHeader);
      tags.push(av1SequenceStartTag(record, timestamp));
    }
    const kept = obus.filter((obu) => !DROPPED_OBUS.has(obu.type));
    const hasFrame = kept.some((obu) => obu.type !== Av1ObuType.SEQUENCE_HEADER && obu.type !== Av1ObuType.METADATA);
    if (hasFrame && info === undefined) {
      throw mediaError('AV1 frame before any sequence header: the encoder must send one with the first keyframe');
    }
    const keyframe = hasFrame && info !== undefined && startsWithKeyframe(kept, info);
    if (hasFrame) {
      const header = codedFramesHeader(FOURCC_AV01, keyframe);
      tags.push({ type: 'video', timestamp, data: Buffer.concat([header, ...kept.map((obu) => obu.bytes)]) });
    }
    this.#info = info;
    this.#record = record;
    return { tags, keyframe, sps: info };
  }
}
