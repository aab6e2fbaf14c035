// H.264 in FLV: Annex-B access units in, AVC video tags out (an AVC sequence header with the
// AVCDecoderConfigurationRecord, then length-prefixed NAL units with composition times).
//
// NAL units of an access unit are handled so:
// - AUD (9) and filler data (12) are dropped: FLV frames one access unit per tag already.
// - SPS (7) and PPS (8) go into the decoder configuration record, not the frame; a changed or
//   new one re-sends the sequence header before the frame that brought it.
// - SEI (6) and every other NAL unit are kept, in order, as they are (emulation prevention
//   bytes included: FLV carries NAL units, not RBSPs).
import type { FlvTag } from '../flv';
import { AvcPacketType, VideoCodecId, VideoFrameType } from '../flv-tags';
import { BitReader } from './bits';
import { mediaError } from './errors';

export const NalType = {
  SLICE: 1,
  SLICE_IDR: 5,
  SEI: 6,
  SPS: 7,
  PPS: 8,
  AUD: 9,
  END_OF_SEQUENCE: 10,
  END_OF_STREAM: 11,
  FILLER: 12,
} as const;

/** NAL unit lengths in the tags are 4 bytes (lengthSizeMinusOne = 3). */
const NALU_LENGTH_SIZE = 4;
/** The Annex-B start code (a 4-byte one is a zero byte and this). */
export const START_CODE = Buffer.of(0, 0, 1);

export function nalType(nal: Buffer): number {
  return nal[0] & 0x1f;
}

/**
 * The NAL units of an Annex-B byte stream, as views into `data`. Takes 3- and 4-byte start
 * codes; zero bytes before a start code (trailing_zero_8bits) are not part of the NAL unit.
 */
export function splitAnnexB(data: Buffer, checkNal: (nal: Buffer) => void = checkH264Nal): Buffer[] {
  const starts: { codeAt: number; nalAt: number }[] = [];
  // Buffer.indexOf (native) rather than a byte loop: each camera frame is split twice (the
  // B-slice check, the packetizer), half a megabyte a second at 4.5 Mbit/s.
  for (let at = data.indexOf(START_CODE); at >= 0; at = data.indexOf(START_CODE, at + 3)) {
    starts.push({ codeAt: at, nalAt: at + 3 });
  }
  const first = starts[0];
  if (first === undefined || data.subarray(0, first.codeAt).some((b) => b !== 0)) {
    throw mediaError('access unit does not start with an Annex-B start code');
  }
  return starts.map(({ nalAt }, n) => {
    let end = n + 1 < starts.length ? starts[n + 1].codeAt : data.length;
    while (end > nalAt && data[end - 1] === 0) end--;
    const nal = data.subarray(nalAt, end);
    checkNal(nal);
    return nal;
  });
}

// What can be told of a NAL unit without decoding it.
function checkH264Nal(nal: Buffer): void {
  if (nal.length === 0) throw mediaError('access unit has an empty NAL unit');
  if (nal[0] & 0x80) throw mediaError('H.264 NAL unit has forbidden_zero_bit set');
  const type = nalType(nal);
  const headerOnly = type === NalType.END_OF_SEQUENCE || type === NalType.END_OF_STREAM;
  if (nal.length < 2 && !headerOnly) throw mediaError(`H.264 NAL unit of type ${type} is truncated`);
}

/**
 * A NAL unit kept beyond its frame (a parameter set), copied out of its access unit. A view
 * would keep the whole unit alive (a keyframe: a few hundred KB) until the next keyframe
 * replaced it, long enough for V8 to promote it to the old generation, where only a major
 * GC frees it: a camera's memory then grew ~3.5 MB a minute between major GCs.
 */
export function detachedNal(nal: Buffer): Buffer {
  const out = Buffer.allocUnsafeSlow(nal.length);
  nal.copy(out);
  return out;
}

/** The RBSP of a NAL unit: emulation prevention bytes (00 00 03) removed. */
export function nalToRbsp(nal: Buffer): Buffer {
  const out = Buffer.allocUnsafe(nal.length);
  let length = 0;
  let zeros = 0;
  for (const byte of nal) {
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
    out[length++] = byte;
  }
  return out.subarray(0, length);
}

/**
 * Whether an access unit (Annex-B) has a B slice: slice_type (the slice header's second
 * ue(v), after first_mb_in_slice) is 1 or 6. Frames that are not shown in decoding order need
 * the encoder's own pts and dts.
 */
export function hasBSlice(accessUnit: Buffer): boolean {
  for (const nal of splitAnnexB(accessUnit)) {
    const type = nalType(nal);
    if (type !== NalType.SLICE && type !== NalType.SLICE_IDR) continue;
    const r = new BitReader(nalToRbsp(nal.subarray(0, 16)).subarray(1), 'H.264 slice header');
    r.ue(); // first_mb_in_slice
    if (r.ue() % 5 === 1) return true;
  }
  return false;
}

export interface SpsInfo {
  spsId: number;
  profileIdc: number;
  /** constraint_set flags byte, the "profile compatibility" of the configuration record. */
  constraintFlags: number;
  levelIdc: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  /** Displayed size: after frame cropping. */
  width: number;
  height: number;
  /** Frames per second from VUI timing info, when the SPS has it. */
  frameRate?: number;
}

// Profiles whose SPS carries chroma format, bit depths and scaling matrices.
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Parses a sequence parameter set NAL unit (with its header byte). */
export function parseSps(nal: Buffer): SpsInfo {
  if (nalType(nal) !== NalType.SPS) throw mediaError('not an H.264 SPS');
  const r = new BitReader(nalToRbsp(nal).subarray(1), 'H.264 SPS');
  const profileIdc = r.bits(8);
  const constraintFlags = r.bits(8);
  const levelIdc = r.bits(8);
  const spsId = r.ue();
  if (spsId > 31) throw mediaError(`H.264 SPS id ${spsId} out of range`);
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.ue();
    if (chromaFormatIdc > 3) throw mediaError(`H.264 SPS chroma_format_idc ${chromaFormatIdc} out of range`);
    if (chromaFormatIdc === 3) separateColourPlane = r.flag();
    bitDepthLuma = 8 + r.ue();
    bitDepthChroma = 8 + r.ue();
    r.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (r.flag()) skipScalingMatrix(r, chromaFormatIdc === 3 ? 12 : 8);
  }
  r.ue(); // log2_max_frame_num_minus4
  const pocType = r.ue();
  if (pocType === 0) {
    r.ue(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (pocType === 1) {
    r.skip(1); // delta_pic_order_always_zero_flag
    r.se(); // offset_for_non_ref_pic
    r.se(); // offset_for_top_to_bottom_field
    const cycle = r.ue();
    if (cycle > 255) throw mediaError('H.264 SPS num_ref_frames_in_pic_order_cnt_cycle out of range');
    for (let i = 0; i < cycle; i++) r.se();
  } else if (pocType !== 2) {
    throw mediaError(`H.264 SPS pic_order_cnt_type ${pocType} out of range`);
  }
  r.ue(); // max_num_ref_frames
  r.skip(1); // gaps_in_frame_num_value_allowed_flag
  const widthInMbs = r.ue() + 1;
  const heightInMapUnits = r.ue() + 1;
  const frameMbsOnly = r.flag();
  if (!frameMbsOnly) r.skip(1); // mb_adaptive_frame_field_flag
  r.skip(1); // direct_8x8_inference_flag
  const crop = { left: 0, right: 0, top: 0, bottom: 0 };
  if (r.flag()) {
    crop.left = r.ue();
    crop.right = r.ue();
    crop.top = r.ue();
    crop.bottom = r.ue();
  }
  // Crop units (H.264 7.4.2.1.1): chroma subsampling and field coding scale them.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const fieldFactor = frameMbsOnly ? 1 : 2;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * fieldFactor;
  const width = widthInMbs * 16 - cropUnitX * (crop.left + crop.right);
  const height = fieldFactor * heightInMapUnits * 16 - cropUnitY * (crop.top + crop.bottom);
  if (width <= 0 || height <= 0) throw mediaError('H.264 SPS cropping leaves no picture');
  const info: SpsInfo = {
    spsId,
    profileIdc,
    constraintFlags,
    levelIdc,
    chromaFormatIdc,
    bitDepthLuma,
    bitDepthChroma,
    width,
    height,
  };
  if (r.flag()) {
    const frameRate = vuiFrameRate(r);
    if (frameRate !== undefined) info.frameRate = frameRate;
  }
  return info;
}

function skipScalingMatrix(r: BitReader, lists: number): void {
  for (let i = 0; i < lists; i++) {
    if (!r.flag()) continue;
    const size = i < 6 ? 16 : 64;
    let last = 8;
    let next = 8;
    for (let j = 0; j < size && next !== 0; j++) {
      next = (last + r.se() + 256) % 256;
      if (next !== 0) last = next;
    }
  }
}

// VUI up to timing_info: frames per second = time_scale / (2 * num_units_in_tick).
function vuiFrameRate(r: BitReader): number | undefined {
  if (r.flag()) {
    // aspect_ratio_info: Extended_SAR (255) adds sar_width and sar_height.
    if (r.bits(8) === 255) r.skip(32);
  }
  if (r.flag()) r.skip(1); // overscan_appropriate_flag
  if (r.flag()) {
    r.skip(4); // video_format, video_full_range_flag
    if (r.flag()) r.skip(24); // colour primaries, transfer, matrix
  }
  if (r.flag()) {
    r.ue(); // chroma_sample_loc_type_top_field
    r.ue(); // chroma_sample_loc_type_bottom_field
  }
  if (!r.flag()) return undefined;
  const unitsInTick = r.bits(32);
  const timeScale = r.bits(32);
  return unitsInTick > 0 && timeScale > 0 ? timeScale / (2 * unitsInTick) : undefined;
}

/** pic_parameter_set_id and seq_parameter_set_id of a PPS NAL unit. */
export function parsePpsIds(nal: Buffer): { ppsId: number; spsId: number } {
  const r = new BitReader(nalToRbsp(nal).subarray(1), 'H.264 PPS');
  const ppsId = r.ue();
  const spsId = r.ue();
  if (ppsId > 255 || spsId > 31) throw mediaError('H.264 PPS ids out of range');
  return { ppsId, spsId };
}

/** AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1), with 4-byte NAL lengths. */
export function avcDecoderConfigurationRecord(spsList: Buffer[], ppsList: Buffer[]): Buffer {
  if (spsList.length === 0 || ppsList.length === 0) throw mediaError('an AVC configuration needs an SPS and a PPS');
  if (spsList.length > 31 || ppsList.length > 255) throw mediaError('too many H.264 parameter sets');
  const sps = parseSps(spsList[0]);
  const parts: Buffer[] = [
    Buffer.of(1, sps.profileIdc, sps.constraintFlags, sps.levelIdc, 0xfc | (NALU_LENGTH_SIZE - 1), 0xe0 | spsList.length),
  ];
  const withLength = (nal: Buffer): void => {
    if (nal.length > 0xffff) throw mediaError('H.264 parameter set longer than 65535 bytes');
    const length = Buffer.alloc(2);
    length.writeUInt16BE(nal.length, 0);
    parts.push(length, nal);
  };
  spsList.forEach(withLength);
  parts.push(Buffer.of(ppsList.length));
  ppsList.forEach(withLength);
  if (sps.profileIdc === 100 || sps.profileIdc === 110 || sps.profileIdc === 122 || sps.profileIdc === 144) {
    // High profiles add chroma format and bit depths; no SPS extensions.
    parts.push(
      Buffer.of(0xfc | sps.chromaFormatIdc, 0xf8 | (sps.bitDepthLuma - 8), 0xf8 | (sps.bitDepthChroma - 8), 0),
    );
  }
  return Buffer.concat(parts);
}

/** The first SPS of an AVCDecoderConfigurationRecord (as sent in an AVC sequence header). */
export function firstSpsOfRecord(record: Buffer): Buffer {
  if (record.length < 8 || record[0] !== 1) throw mediaError('AVCDecoderConfigurationRecord is truncated or not version 1');
  if ((record[5] & 0x1f) === 0) throw mediaError('AVCDecoderConfigurationRecord has no SPS');
  const length = record.readUInt16BE(6);
  if (8 + length > record.length) throw mediaError('AVCDecoderConfigurationRecord: its SPS is truncated');
  return record.subarray(8, 8 + length);
}

/** The 5-byte AVC VideoTagHeader: frame type, codec, packet type, composition time. */
function avcTagHeader(keyframe: boolean, packetType: number, compositionTimeMs: number): Buffer {
  const header = Buffer.alloc(5);
  header[0] = ((keyframe ? VideoFrameType.KEY : VideoFrameType.INTER) << 4) | VideoCodecId.AVC;
  header[1] = packetType;
  header.writeIntBE(compositionTimeMs, 2, 3);
  return header;
}

/** What an AVC frame tag starts with (the native camera feed prepends it to its frames). */
export function avcFramePrefix(keyframe: boolean): Buffer {
  return avcTagHeader(keyframe, AvcPacketType.NALU, 0);
}

/** A video tag carrying an AVC sequence header. */
export function avcSequenceHeaderTag(record: Buffer, timestamp: number): FlvTag {
  return { type: 'video', timestamp, data: Buffer.concat([avcTagHeader(true, AvcPacketType.SEQUENCE_HEADER, 0), record]) };
}

export interface VideoFrame {
  /** One access unit in Annex-B form. */
  data: Buffer;
  /** Presentation and decoding time, milliseconds. dts defaults to pts (no B-frames). */
  pts: number;
  dts?: number;
}

export interface PacketizedFrame {
  /** The sequence header (when the parameter sets are new or changed), then the frame. */
  tags: FlvTag[];
  keyframe: boolean;
  /** The SPS in force, once there is one. */
  sps?: SpsInfo;
}

/** A frame's decoding time and composition offset (pts − dts), checked to fit FLV's fields. */
export function videoTiming(frame: VideoFrame): { dts: number; compositionTime: number } {
  const { pts } = frame;
  const dts = frame.dts ?? pts;
  if (!Number.isFinite(pts) || !Number.isFinite(dts) || dts < 0) {
    throw mediaError('video pts/dts must be finite milliseconds, dts ≥ 0');
  }
  const compositionTime = Math.round(pts) - Math.round(dts);
  if (compositionTime < -0x800000 || compositionTime > 0x7fffff) {
    throw mediaError('video composition time (pts − dts) does not fit FLV');
  }
  return { dts, compositionTime };
}

/**
 * Turns H.264 access units into AVC video tags, tracking the parameter sets. Each push is
 * all or nothing: an access unit that throws changes no state.
 */
export class H264Packetizer {
  #sps = new Map<number, Buffer>();
  #pps = new Map<number, Buffer>();
  #spsInfo: SpsInfo | undefined;
  #record: Buffer | undefined;

  /** The SPS in force, once one arrived. */
  get sps(): SpsInfo | undefined {
    return this.#spsInfo;
  }

  /** The current AVCDecoderConfigurationRecord, to re-send after a reconnect. */
  get decoderConfiguration(): Buffer | undefined {
    return this.#record;
  }

  push(frame: VideoFrame): PacketizedFrame {
    const { dts, compositionTime } = videoTiming(frame);
    const nals = splitAnnexB(frame.data);
    const sps = new Map(this.#sps);
    const pps = new Map(this.#pps);
    let spsInfo = this.#spsInfo;
    const kept: Buffer[] = [];
    let keyframe = false;
    let slices = 0;
    for (const nal of nals) {
      const type = nalType(nal);
      if (type === NalType.SPS) {
        spsInfo = parseSps(nal);
        sps.set(spsInfo.spsId, detachedNal(nal));
      } else if (type === NalType.PPS) {
        pps.set(parsePpsIds(nal).ppsId, detachedNal(nal));
      } else if (type !== NalType.AUD && type !== NalType.FILLER) {
        if (type >= NalType.SLICE && type <= NalType.SLICE_IDR) slices++;
        if (type === NalType.SLICE_IDR) keyframe = true;
        kept.push(nal);
      }
    }
    if (slices > 0 && (sps.size === 0 || pps.size === 0)) {
      throw mediaError('H.264 frame before any SPS and PPS: the encoder must send them with the first IDR');
    }
    const tags: FlvTag[] = [];
    const timestamp = Math.round(dts);
    let record = this.#record;
    if (sps.size > 0 && pps.size > 0) {
      // The SPS in force goes first: the record's profile and level are taken from it.
      const current = sps.get(spsInfo?.spsId ?? -1);
      const spsList = [...sps.values()].filter((nal) => nal !== current);
      if (current) spsList.unshift(current);
      const candidate = avcDecoderConfigurationRecord(spsList, [...pps.values()]);
      if (record === undefined || !candidate.equals(record)) {
        record = candidate;
        tags.push(avcSequenceHeaderTag(record, timestamp));
      }
    }
    if (kept.length > 0) {
      const parts: Buffer[] = [avcTagHeader(keyframe, AvcPacketType.NALU, compositionTime)];
      for (const nal of kept) {
        const length = Buffer.alloc(NALU_LENGTH_SIZE);
        length.writeUInt32BE(nal.length, 0);
        parts.push(length, nal);
      }
      tags.push({ type: 'video', timestamp, data: Buffer.concat(parts) });
    }
    // Nothing above threw: commit.
    this.#sps = sps;
    this.#pps = pps;
    this.#spsInfo = spsInfo;
    this.#record = record;
    return { tags, keyframe, sps: spsInfo };
  }
}
