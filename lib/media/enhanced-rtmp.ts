// Enhanced RTMP's extended VideoTagHeader, shared by the codecs that need it (HEVC, AV1):
// IsExHeader bit, frame type in bits 4–6, packet type in bits 0–3, then the FourCC.
import type { FlvTag } from '../flv';
import { EX_HEADER, ExVideoPacketType, VideoFrameType } from '../flv-tags';

/** A FourCC as onMetaData's videocodecid: its four bytes as a number. */
export function fourCcCodecId(fourCc: Buffer): number {
  return fourCc.readUInt32BE(0);
}

/** SequenceStart: the codec's decoder configuration record. */
export function sequenceStartTag(fourCc: Buffer, record: Buffer, timestamp: number): FlvTag {
  const header = Buffer.of(EX_HEADER | (VideoFrameType.KEY << 4) | ExVideoPacketType.SEQUENCE_START);
  return { type: 'video', timestamp, data: Buffer.concat([header, fourCc, record]) };
}

/** The header of a CodedFrames packet, with `extra` bytes left for the codec to fill. */
export function codedFramesHeader(fourCc: Buffer, keyframe: boolean, extra = 0): Buffer {
  const header = Buffer.alloc(5 + extra);
  header[0] = EX_HEADER | ((keyframe ? VideoFrameType.KEY : VideoFrameType.INTER) << 4) | ExVideoPacketType.CODED_FRAMES;
  fourCc.copy(header, 1);
  return header;
}
