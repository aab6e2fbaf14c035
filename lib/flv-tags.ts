// What an FLV tag body says about itself: codec ids, frame and packet types, and the rules
// built on them (is this a sequence header, a keyframe, configuration before the first
// frame). The one home of these rules: the muxer writes tags by them, the send queue drops
// by them, the CLI's clock and input probe read by them.
//
// Video body: byte 0 is FrameType (bits 4–7) | CodecID (bits 0–3); an AVC or classic HEVC
// body has its AVCPacketType in byte 1. Enhanced RTMP sets bit 7 of byte 0 (IsExHeader):
// then bits 4–6 are the frame type, bits 0–3 the packet type, and a FourCC follows.
// Audio body: byte 0 is SoundFormat (bits 4–7) | rate | size | type; AAC has its
// AACPacketType in byte 1.
import type { FlvTag } from './flv';

/** FLV VideoTagHeader CodecID values the library reads or writes. */
export const VideoCodecId = {
  AVC: 7,
  /** HEVC in a classic header: not in the FLV specification, but sent by some Chinese CDNs' encoders. */
  HEVC_LEGACY: 12,
} as const;

/** FLV AudioTagHeader SoundFormat values the library reads or writes. */
export const SoundFormat = {
  AAC: 10,
} as const;

/** FrameType of a video tag (classic and Enhanced RTMP alike). */
export const VideoFrameType = {
  KEY: 1,
  INTER: 2,
} as const;

/** AVCPacketType (byte 1 of an AVC video body); AACPacketType has the same two values. */
export const AvcPacketType = {
  SEQUENCE_HEADER: 0,
  NALU: 1,
} as const;

/** AACPacketType (byte 1 of an AAC audio body). */
export const AacPacketType = {
  SEQUENCE_HEADER: 0,
  RAW: 1,
} as const;

/** Enhanced RTMP: IsExHeader, bit 7 of a video body's first byte. */
export const EX_HEADER = 0x80;

/** Enhanced RTMP PacketType (bits 0–3 of an extended video header). */
export const ExVideoPacketType = {
  SEQUENCE_START: 0,
  CODED_FRAMES: 1,
} as const;

const isEnhancedVideo = (tag: FlvTag): boolean => tag.type === 'video' && tag.data.length > 0 && (tag.data[0] & EX_HEADER) !== 0;

/**
 * A codec's configuration record: an AVC or HEVC sequence header, an AAC sequence header
 * (AudioSpecificConfig), or Enhanced RTMP's SequenceStart. Other codecs (MP3, VP6, …) have no
 * sequence header: their frames never count as one, whatever their second byte.
 */
export function isSequenceHeader(tag: FlvTag): boolean {
  const d = tag.data;
  if (tag.type === 'script' || d.length === 0) return false;
  if (isEnhancedVideo(tag)) return (d[0] & 0x0f) === ExVideoPacketType.SEQUENCE_START;
  if (d.length < 2) return false;
  if (tag.type === 'audio') return d[0] >> 4 === SoundFormat.AAC && d[1] === AacPacketType.SEQUENCE_HEADER;
  const codec = d[0] & 0x0f;
  return (codec === VideoCodecId.AVC || codec === VideoCodecId.HEVC_LEGACY) && d[1] === AvcPacketType.SEQUENCE_HEADER;
}

/** A video tag of frame type key, classic or Enhanced RTMP (3 bits after the flag). */
export function isKeyframe(tag: FlvTag): boolean {
  if (tag.type !== 'video' || tag.data.length === 0) return false;
  const frameType = isEnhancedVideo(tag) ? (tag.data[0] >>> 4) & 0x07 : tag.data[0] >>> 4;
  return frameType === VideoFrameType.KEY;
}

/**
 * What a server sends a late joiner before the frames: metadata (script tags) and codec
 * configuration records. Not media time: a played stream's clock starts after them.
 */
export function isConfigurationTag(tag: FlvTag): boolean {
  return tag.type === 'script' || isSequenceHeader(tag);
}
