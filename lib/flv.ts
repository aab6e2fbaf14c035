// FLV framing: the file header, tags, an incremental parser for FLV byte streams, and the
// split of RTMP aggregate messages into tags.
import { ErrorCodes, RtmpError } from './errors';

export type FlvTagType = 'audio' | 'video' | 'script';

export interface FlvTag {
  type: FlvTagType;
  /** Milliseconds (FLV's 32-bit timestamp: 24 bits + 8 extension bits). */
  timestamp: number;
  data: Buffer;
  /** Script tags that were read: the AMF0 data decoded (e.g. onMetaData and its object). */
  script?: { name: string; values: import('./amf0').Amf0Value[] };
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
 * header), get whole tags back. Tags that lie inside one input slice are views into it (no
 * copy); only a tag split across slices is copied, once, when its last byte arrives.
 */
export class FlvParser {
  #header: Buffer = Buffer.alloc(0); // bytes seen before the first tag, until classified
  #started = false;
  #parts: Buffer[] = []; // the pieces of a tag split across slices
  #partsLength = 0;

  /** Bytes held back because they do not yet form a whole tag. */
  get pendingBytes(): number {
    return this.#started ? this.#partsLength : this.#header.length;
  }

  push(chunk: Buffer): FlvTag[] {
    let at = 0;
    let buf = chunk;
    if (!this.#started) {
      buf = this.#header.length > 0 ? Buffer.concat([this.#header, chunk]) : chunk;
      const start = fileHeaderEnd(buf);
      if (start === undefined) {
        this.#header = Buffer.from(buf);
        return [];
      }
      this.#header = Buffer.alloc(0);
      this.#started = true;
      at = start;
    }
    const tags: FlvTag[] = [];
    if (this.#partsLength > 0) {
      at = this.#completeSplitTag(buf, at, tags);
      if (this.#partsLength > 0) return tags;
    }
    while (at < buf.length) {
      const total = tagLength(buf, at);
      if (total === undefined || buf.length - at < total) break;
      tags.push(readTag(buf, at));
      at += total;
    }
    if (at < buf.length) this.#keep(buf.subarray(at));
    return tags;
  }

  // Adds what the split tag still needs from buf; returns where buf's own tags start.
  #completeSplitTag(buf: Buffer, at: number, tags: FlvTag[]): number {
    if (this.#partsLength < TAG_HEADER_SIZE) {
      const take = Math.min(TAG_HEADER_SIZE - this.#partsLength, buf.length - at);
      this.#keep(buf.subarray(at, at + take));
      at += take;
      if (this.#partsLength < TAG_HEADER_SIZE) return at;
    }
    const head = Buffer.concat(this.#parts, this.#partsLength);
    const total = tagLength(head, 0) as number;
    const take = Math.min(total - this.#partsLength, buf.length - at);
    this.#keep(buf.subarray(at, at + take));
    at += take;
    if (this.#partsLength === total) {
      tags.push(readTag(Buffer.concat(this.#parts, total), 0));
      this.#parts = [];
      this.#partsLength = 0;
    }
    return at;
  }

  // Copied: the caller may reuse its buffer once push() returns.
  #keep(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#parts.push(Buffer.from(bytes));
    this.#partsLength += bytes.length;
  }
}

// Where the first tag starts: after the file header and PreviousTagSize0 when the stream
// has one, at 0 when it starts with a tag, undefined while that cannot be told yet.
function fileHeaderEnd(buf: Buffer): number | undefined {
  if (buf.length < 3) return undefined;
  if (buf.toString('latin1', 0, 3) !== 'FLV') return 0;
  if (buf.length < FLV_HEADER_SIZE) return undefined;
  const headerSize = buf.readUInt32BE(5);
  if (headerSize < FLV_HEADER_SIZE) throw parseError('Invalid FLV header size');
  return buf.length < headerSize + 4 ? undefined : headerSize + 4;
}

// Bytes of the tag at `at` (header, data, PreviousTagSize); undefined without its header.
function tagLength(buf: Buffer, at: number): number | undefined {
  if (buf.length - at < TAG_HEADER_SIZE) return undefined;
  const typeId = buf[at] & 0x1f; // the upper bits flag filtering/encryption
  if (TAG_TYPES[typeId] === undefined) throw parseError(`Unknown FLV tag type ${typeId}`);
  return TAG_HEADER_SIZE + buf.readUIntBE(at + 1, 3) + 4;
}

function readTag(buf: Buffer, at: number): FlvTag {
  const size = buf.readUIntBE(at + 1, 3);
  return {
    type: TAG_TYPES[buf[at] & 0x1f],
    timestamp: readTimestamp(buf, at + 4),
    data: buf.subarray(at + TAG_HEADER_SIZE, at + TAG_HEADER_SIZE + size),
  };
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
