// FLV framing: the file header, tags, an incremental parser for FLV byte streams, and the
// split of RTMP aggregate messages into tags.
import { ErrorCodes, RtmpError } from './errors';

export type FlvTagType = 'audio' | 'video' | 'script';

export interface FlvTag {
  type: FlvTagType;
  /** Milliseconds (FLV's 32-bit timestamp: 24 bits + 8 extension bits). */
  timestamp: number;
  data: Buffer;
}

export const TAG_TYPE_IDS: Record<FlvTagType, number> = { audio: 8, video: 9, script: 18 };
const TAG_TYPES: Record<number, FlvTagType> = { 8: 'audio', 9: 'video', 18: 'script' };

/** RTMP message type of an aggregate message: a run of FLV tags in one message. */
export const AGGREGATE_MESSAGE_TYPE = 22;
export const FLV_HEADER_SIZE = 9;
export const TAG_HEADER_SIZE = 11;
/** The largest body the 24-bit FLV and RTMP length fields can describe. */
export const MAX_TAG_DATA_SIZE = 0xffffff;

export function tagTypeFromId(id: number): FlvTagType | undefined {
  return TAG_TYPES[id];
}

function parseError(message: string): RtmpError {
  return new RtmpError(ErrorCodes.FLV_PARSE, message);
}

/** The 9-byte FLV header plus PreviousTagSize0. */
export function encodeFlvHeader(flags: { audio: boolean; video: boolean } = { audio: true, video: true }): Buffer {
  const header = Buffer.alloc(FLV_HEADER_SIZE + 4);
  header.write('FLV', 0, 'latin1');
  header[3] = 1;
  header[4] = (flags.audio ? 4 : 0) | (flags.video ? 1 : 0);
  header.writeUInt32BE(FLV_HEADER_SIZE, 5);
  return header;
}

/** One tag with its trailing PreviousTagSize. */
export function encodeTag(tag: FlvTag): Buffer {
  const out = Buffer.allocUnsafe(TAG_HEADER_SIZE + tag.data.length + 4);
  out[0] = TAG_TYPE_IDS[tag.type];
  out.writeUIntBE(tag.data.length, 1, 3);
  out.writeUIntBE(tag.timestamp & 0xffffff, 4, 3);
  out[7] = (tag.timestamp >>> 24) & 0xff;
  out.writeUIntBE(0, 8, 3);
  tag.data.copy(out, TAG_HEADER_SIZE);
  out.writeUInt32BE(TAG_HEADER_SIZE + tag.data.length, TAG_HEADER_SIZE + tag.data.length);
  return out;
}

function readTimestamp(buf: Buffer, at: number): number {
  return (buf.readUIntBE(at, 3) | (buf[at + 3] << 24)) >>> 0;
}

/**
 * Incremental FLV parser: feed any slicing of an FLV byte stream (with or without the file
 * header), get whole tags back. Tag data are views into the input (no copy).
 */
export class FlvParser {
  #pending: Buffer = Buffer.alloc(0);
  #started = false;

  /** Bytes held back because they do not yet form a whole tag. */
  get pendingBytes(): number {
    return this.#pending.length;
  }

  push(chunk: Buffer): FlvTag[] {
    const buf = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    let at = 0;
    if (!this.#started) {
      if (buf.length < 3) {
        this.#pending = buf;
        return [];
      }
      if (buf.toString('latin1', 0, 3) === 'FLV') {
        if (buf.length < FLV_HEADER_SIZE) {
          this.#pending = buf;
          return [];
        }
        const headerSize = buf.readUInt32BE(5);
        if (headerSize < FLV_HEADER_SIZE) throw parseError('Invalid FLV header size');
        at = headerSize + 4; // PreviousTagSize0
        if (buf.length < at) {
          this.#pending = buf;
          return [];
        }
      }
      this.#started = true;
    }
    const tags: FlvTag[] = [];
    while (buf.length - at >= TAG_HEADER_SIZE) {
      const typeId = buf[at] & 0x1f; // the upper bits flag filtering/encryption
      const size = buf.readUIntBE(at + 1, 3);
      const total = TAG_HEADER_SIZE + size + 4;
      const type = TAG_TYPES[typeId];
      if (type === undefined) throw parseError(`Unknown FLV tag type ${typeId} at byte offset ${at}`);
      if (buf.length - at < total) break;
      tags.push({
        type,
        timestamp: readTimestamp(buf, at + 4),
        data: buf.subarray(at + TAG_HEADER_SIZE, at + TAG_HEADER_SIZE + size),
      });
      at += total;
    }
    this.#pending = at === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(at));
    return tags;
  }
}

/** The tags inside an RTMP aggregate message, with absolute timestamps. */
export function splitAggregate(body: Buffer, messageTimestamp: number): FlvTag[] {
  const tags: FlvTag[] = [];
  let at = 0;
  let base: number | undefined;
  while (body.length - at >= TAG_HEADER_SIZE) {
    const type = TAG_TYPES[body[at] & 0x1f];
    const size = body.readUIntBE(at + 1, 3);
    if (body.length - at < TAG_HEADER_SIZE + size) break;
    const ts = readTimestamp(body, at + 4);
    base ??= ts;
    if (type !== undefined) {
      tags.push({
        type,
        timestamp: (messageTimestamp + ts - base) >>> 0,
        data: body.subarray(at + TAG_HEADER_SIZE, at + TAG_HEADER_SIZE + size),
      });
    }
    at += TAG_HEADER_SIZE + size + 4;
  }
  return tags;
}
