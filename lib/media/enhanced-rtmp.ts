// Enhanced RTMP's extended VideoTagHeader, shared by the codecs that need it (HEVC, AV1):
// IsExHeader bit, frame type in bits 4–6, packet type in bits 0–3, then the FourCC.
import type { FlvTag } from '../flv';

const EX_HEADER = 0x80;
const PACKET_SEQUENCE_START = 0;
const PACKET_CODED_FRAMES = 1;
const FRAME_KEY = 1;
const FRAME_INTER = 2;

/** A FourCC as onMetaData's videocodecid: its four bytes as a number. */
export function fourCcCodecId(fourCc: Buffer): number {
  return fourCc.readUInt32BE(0);
}

/** SequenceStart: the codec's decoder configuration record. */
export function sequenceStartTag(fourCc: Buffer, record: Buffer, timestamp: number): FlvTag {
  const header = Buffer.of(EX_HEADER | (FRAME_KEY << 4) | PACKET_SEQUENCE_START);
  return { type: 'video', timestamp, data: Buffer.concat([header, fourCc, record]) };
}

/** The header of a CodedFrames packet, with `extra` bytes left for the codec to fill. */
export function codedFramesHeader(fourCc: Buffer, keyframe: boolean, extra = 0): Buffer {
  const header = Buffer.alloc(5 + extra);
  header[0] = EX_HEADER | ((keyframe ? FRAME_KEY : FRAME_INTER) << 4) | PACKET_CODED_FRAMES;
  fourCc.copy(header, 1);
  return header;
}
