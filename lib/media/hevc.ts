// HEVC in FLV through Enhanced RTMP: Annex-B access units in, video tags with the extended
// VideoTagHeader out (FourCC 'hvc1'; a SequenceStart packet carrying the
// HEVCDecoderConfigurationRecord, then CodedFrames packets with composition times).
//
// NAL units: AUD (35) and filler data (38) are dropped; VPS/SPS/PPS (32–34) go into the
// configuration record (re-sent when one changes); SEI and the rest are kept as they are.
import type { FlvTag } from '../flv';
import { BitReader } from './bits';
import { codedFramesHeader, fourCcCodecId, sequenceStartTag } from './enhanced-rtmp';
import { mediaError } from './errors';
import { detachedNal, nalToRbsp, splitAnnexB, videoTiming, type VideoFrame } from './h264';

export const HevcNalType = { VPS: 32, SPS: 33, PPS: 34, AUD: 35, EOS: 36, EOB: 37, FILLER: 38 } as const;

export const FOURCC_HVC1 = Buffer.from('hvc1', 'latin1');
/** onMetaData's videocodecid for Enhanced RTMP HEVC: the FourCC as a number. */
export const HVC1_CODEC_ID = fourCcCodecId(FOURCC_HVC1);

const NALU_LENGTH_SIZE = 4;

export function hevcNalType(nal: Buffer): number {
  return (nal[0] >>> 1) & 0x3f;
}

function checkHevcNal(nal: Buffer): void {
  if (nal.length === 0) throw mediaError('access unit has an empty NAL unit');
  if (nal[0] & 0x80) throw mediaError('HEVC NAL unit has forbidden_zero_bit set');
  const type = hevcNalType(nal);
  const headerOnly = type === HevcNalType.EOS || type === HevcNalType.EOB;
  if (nal.length < (headerOnly ? 2 : 3)) throw mediaError(`HEVC NAL unit of type ${type} is truncated`);
}

export interface HevcSpsInfo {
  spsId: number;
  maxSubLayers: number;
  temporalIdNesting: boolean;
  /** general_profile_space, tier, profile_idc, compatibility flags, constraint flags, level: 12 bytes as in the record. */
  profileTierLevel: Buffer;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  width: number;
  height: number;
}

/** Parses an HEVC SPS NAL unit up to the bit depths. */
export function parseHevcSps(nal: Buffer): HevcSpsInfo {
  if (hevcNalType(nal) !== HevcNalType.SPS) throw mediaError('not an HEVC SPS');
  const rbsp = nalToRbsp(nal).subarray(2);
  const r = new BitReader(rbsp, 'HEVC SPS');
  r.skip(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = r.bits(3);
  const temporalIdNesting = r.flag();
  // general profile_tier_level: 96 bits, byte-aligned here (the SPS header is 1 byte).
  if (rbsp.length < 13) throw mediaError('HEVC SPS is truncated');
  const profileTierLevel = Buffer.from(rbsp.subarray(1, 13));
  r.skip(96);
  const subLayerProfile: boolean[] = [];
  const subLayerLevel: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    subLayerProfile.push(r.flag());
    subLayerLevel.push(r.flag());
  }
  if (maxSubLayersMinus1 > 0) r.skip(2 * (8 - maxSubLayersMinus1));
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (subLayerProfile[i]) r.skip(88);
    if (subLayerLevel[i]) r.skip(8);
  }
  const spsId = r.ue();
  if (spsId > 15) throw mediaError(`HEVC SPS id ${spsId} out of range`);
  const chromaFormatIdc = r.ue();
  if (chromaFormatIdc > 3) throw mediaError(`HEVC chroma_format_idc ${chromaFormatIdc} out of range`);
  if (chromaFormatIdc === 3) r.skip(1); // separate_colour_plane_flag
  let width = r.ue();
  let height = r.ue();
  if (r.flag()) {
    // Conformance window offsets are in chroma samples.
    const subWidth = chromaFormatIdc === 1 || chromaFormatIdc === 2 ? 2 : 1;
    const subHeight = chromaFormatIdc === 1 ? 2 : 1;
    width -= subWidth * (r.ue() + r.ue());
    height -= subHeight * (r.ue() + r.ue());
  }
  if (width <= 0 || height <= 0) throw mediaError('HEVC SPS describes no picture');
  const bitDepthLuma = 8 + r.ue();
  const bitDepthChroma = 8 + r.ue();
  return {
    spsId,
    maxSubLayers: maxSubLayersMinus1 + 1,
    temporalIdNesting,
    profileTierLevel,
    chromaFormatIdc,
    bitDepthLuma,
    bitDepthChroma,
    width,
    height,
  };
}

/** HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1), with 4-byte NAL lengths. */
export function hevcDecoderConfigurationRecord(vps: Buffer[], sps: Buffer[], pps: Buffer[]): Buffer {
  if (vps.length === 0 || sps.length === 0 || pps.length === 0) {
    throw mediaError('an HEVC configuration needs a VPS, an SPS and a PPS');
  }
  const info = parseHevcSps(sps[0]);
  const head = Buffer.alloc(23);
  head[0] = 1;
  info.profileTierLevel.copy(head, 1);
  head.writeUInt16BE(0xf000, 13); // min_spatial_segmentation_idc 0: unknown
  head[15] = 0xfc; // parallelismType 0: unknown
  head[16] = 0xfc | info.chromaFormatIdc;
  head[17] = 0xf8 | (info.bitDepthLuma - 8);
  head[18] = 0xf8 | (info.bitDepthChroma - 8);
  head.writeUInt16BE(0, 19); // avgFrameRate: unspecified
  head[21] = (info.maxSubLayers << 3) | ((info.temporalIdNesting ? 1 : 0) << 2) | (NALU_LENGTH_SIZE - 1);
  head[22] = 3; // numOfArrays
  const parts: Buffer[] = [head];
  for (const [type, nals] of [
    [HevcNalType.VPS, vps],
    [HevcNalType.SPS, sps],
    [HevcNalType.PPS, pps],
  ] as const) {
    const array = Buffer.alloc(3);
    array[0] = 0x80 | type; // array_completeness: every parameter set is here
    array.writeUInt16BE(nals.length, 1);
    parts.push(array);
    for (const nal of nals) {
      if (nal.length > 0xffff) throw mediaError('HEVC parameter set longer than 65535 bytes');
      const length = Buffer.alloc(2);
      length.writeUInt16BE(nal.length, 0);
      parts.push(length, nal);
    }
  }
  return Buffer.concat(parts);
}

export function hevcSequenceStartTag(record: Buffer, timestamp: number): FlvTag {
  return sequenceStartTag(FOURCC_HVC1, record, timestamp);
}

function idOf(nal: Buffer, type: number): number {
  if (type === HevcNalType.VPS) return nal[2] >>> 4;
  if (type === HevcNalType.SPS) return parseHevcSps(nal).spsId;
  return new BitReader(nalToRbsp(nal).subarray(2), 'HEVC PPS').ue();
}

/**
 * Tells HEVC access units with B slices (slice_type 0) by the first slice header of each
 * picture, read as far as slice_type; the PPSs seen so far say how many extra header bits
 * come before it (num_extra_slice_header_bits). Frames that are not shown in decoding
 * order need the encoder's own pts and dts.
 */
export class HevcSliceTypes {
  readonly #extraBits = new Map<number, number>();

  hasBSlice(accessUnit: Buffer): boolean {
    let found = false;
    for (const nal of splitAnnexB(accessUnit, checkHevcNal)) {
      const type = hevcNalType(nal);
      const layerId = ((nal[0] & 0x01) << 5) | (nal[1] >>> 3);
      if (type === HevcNalType.PPS) {
        const r = new BitReader(nalToRbsp(nal).subarray(2), 'HEVC PPS');
        const ppsId = r.ue();
        r.ue(); // pps_seq_parameter_set_id
        r.skip(2); // dependent_slice_segments_enabled_flag, output_flag_present_flag
        this.#extraBits.set(ppsId, r.bits(3));
      } else if (type < 32 && layerId === 0 && !found) {
        const r = new BitReader(nalToRbsp(nal.subarray(0, 64)).subarray(2), 'HEVC slice header');
        if (!r.flag()) continue; // not the picture's first slice segment
        if (type >= 16 && type <= 23) r.skip(1); // no_output_of_prior_pics_flag
        const extra = this.#extraBits.get(r.ue());
        if (extra === undefined) throw mediaError('HEVC slice refers to a PPS the stream has not sent');
        r.skip(extra); // slice_reserved_flag[]
        found = r.ue() === 0;
      }
    }
    return found;
  }
}

/** HEVC access units to Enhanced RTMP video tags; each push is all or nothing. */
export class HevcPacketizer {
  #sets = new Map<number, Map<number, Buffer>>([
    [HevcNalType.VPS, new Map()],
    [HevcNalType.SPS, new Map()],
    [HevcNalType.PPS, new Map()],
  ]);
  #spsInfo: HevcSpsInfo | undefined;
  #record: Buffer | undefined;

  get sps(): HevcSpsInfo | undefined {
    return this.#spsInfo;
  }

  get decoderConfiguration(): Buffer | undefined {
    return this.#record;
  }

  push(frame: VideoFrame): { tags: FlvTag[]; keyframe: boolean; sps?: HevcSpsInfo } {
    const { dts, compositionTime } = videoTiming(frame);
    const nals = splitAnnexB(frame.data, checkHevcNal);
    const sets = new Map([...this.#sets].map(([type, map]) => [type, new Map(map)]));
    let spsInfo = this.#spsInfo;
    const kept: Buffer[] = [];
    let keyframe = false;
    let slices = 0;
    for (const nal of nals) {
      const type = hevcNalType(nal);
      const set = sets.get(type);
      if (set) {
        if (type === HevcNalType.SPS) spsInfo = parseHevcSps(nal);
        set.set(idOf(nal, type), detachedNal(nal));
      } else if (type !== HevcNalType.AUD && type !== HevcNalType.FILLER) {
        if (type < 32) slices++;
        if (type >= 16 && type <= 23) keyframe = true; // IRAP: BLA, IDR, CRA
        kept.push(nal);
      }
    }
    const complete = [...sets.values()].every((set) => set.size > 0);
    if (slices > 0 && !complete) {
      throw mediaError('HEVC frame before any VPS, SPS and PPS: the encoder must send them with the first keyframe');
    }
    const tags: FlvTag[] = [];
    const timestamp = Math.round(dts);
    let record = this.#record;
    if (complete) {
      const list = (type: number): Buffer[] => [...(sets.get(type) as Map<number, Buffer>).values()];
      const current = sets.get(HevcNalType.SPS)?.get(spsInfo?.spsId ?? -1);
      const spsList = list(HevcNalType.SPS).filter((nal) => nal !== current);
      if (current) spsList.unshift(current);
      const candidate = hevcDecoderConfigurationRecord(list(HevcNalType.VPS), spsList, list(HevcNalType.PPS));
      if (record === undefined || !candidate.equals(record)) {
        record = candidate;
        tags.push(hevcSequenceStartTag(record, timestamp));
      }
    }
    if (kept.length > 0) {
      const header = codedFramesHeader(FOURCC_HVC1, keyframe, 3);
      header.writeIntBE(compositionTime, 5, 3);
      const parts: Buffer[] = [header];
      for (const nal of kept) {
        const length = Buffer.alloc(NALU_LENGTH_SIZE);
        length.writeUInt32BE(nal.length, 0);
        parts.push(length, nal);
      }
      tags.push({ type: 'video', timestamp, data: Buffer.concat(parts) });
    }
    this.#sets = sets;
    this.#spsInfo = spsInfo;
    this.#record = record;
    return { tags, keyframe, sps: spsInfo };
  }
}
