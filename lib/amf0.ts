// AMF0 (Action Message Format 0), the encoding of RTMP commands and FLV script data such as
// onMetaData. Decoding is bounds-checked: malformed bytes give ERR_FLV_PARSE, never a
// RangeError from a Buffer read.
import { ErrorCodes, invalidArg, RtmpError } from './errors';

export const Amf0Marker = {
  NUMBER: 0x00,
  BOOLEAN: 0x01,
  STRING: 0x02,
  OBJECT: 0x03,
  NULL: 0x05,
  UNDEFINED: 0x06,
  REFERENCE: 0x07,
  ECMA_ARRAY: 0x08,
  OBJECT_END: 0x09,
  STRICT_ARRAY: 0x0a,
  DATE: 0x0b,
  LONG_STRING: 0x0c,
  UNSUPPORTED: 0x0d,
  XML_DOCUMENT: 0x0f,
  TYPED_OBJECT: 0x10,
} as const;

export type Amf0Value =
  | number
  | boolean
  | string
  | null
  | undefined
  | Date
  | Amf0Value[]
  | Amf0EcmaArray
  | { [key: string]: Amf0Value };

/**
 * Marks properties to be encoded as an ECMA array (what onMetaData uses) rather than an
 * object. Decoding gives plain objects for both.
 */
export class Amf0EcmaArray {
  constructor(readonly properties: { [key: string]: Amf0Value }) {}
}

// Nesting bound: hostile input must not exhaust the stack.
const MAX_DEPTH = 64;
const MAX_SHORT_STRING = 0xffff;

// --- Encoding ------------------------------------------------------------------------------------

/** Encodes values one after the other (e.g. a command name, a transaction id, an object). */
export function encodeAmf0(...values: Amf0Value[]): Buffer {
  const parts: Buffer[] = [];
  for (const value of values) encodeValue(value, parts, 0);
  return Buffer.concat(parts);
}

/**
 * Encodes an object's properties without the object's own markers: what goes inside an
 * object someone else opens and closes (librtmp's connect command object).
 */
export function encodeAmf0Properties(properties: { [key: string]: Amf0Value }): Buffer {
  const parts: Buffer[] = [];
  encodeProperties(Object.entries(properties), parts, 0);
  parts.pop(); // the end marker: the object's owner writes it
  return Buffer.concat(parts);
}

function marker(type: number): Buffer {
  return Buffer.of(type);
}

function encodeValue(value: Amf0Value, parts: Buffer[], depth: number): void {
  if (depth > MAX_DEPTH) throw invalidArg('AMF0 value nested too deeply');
  if (value === null) return void parts.push(marker(Amf0Marker.NULL));
  if (value === undefined) return void parts.push(marker(Amf0Marker.UNDEFINED));
  switch (typeof value) {
    case 'number': {
      const out = Buffer.alloc(9);
      out[0] = Amf0Marker.NUMBER;
      out.writeDoubleBE(value, 1);
      return void parts.push(out);
    }
    case 'boolean':
      return void parts.push(Buffer.of(Amf0Marker.BOOLEAN, value ? 1 : 0));
    case 'string':
      return void parts.push(encodeString(value));
    case 'object':
      break;
    default:
      throw invalidArg(`AMF0 cannot encode a ${typeof value}`);
  }
  if (value instanceof Date) {
    const out = Buffer.alloc(11);
    out[0] = Amf0Marker.DATE;
    out.writeDoubleBE(value.getTime(), 1);
    out.writeInt16BE(0, 9); // time zone: reserved, should be 0
    return void parts.push(out);
  }
  if (Array.isArray(value)) {
    const head = Buffer.alloc(5);
    head[0] = Amf0Marker.STRICT_ARRAY;
    head.writeUInt32BE(value.length, 1);
    parts.push(head);
    for (const item of value) encodeValue(item, parts, depth + 1);
    return;
  }
  if (value instanceof Amf0EcmaArray) {
    const entries = Object.entries(value.properties);
    const head = Buffer.alloc(5);
    head[0] = Amf0Marker.ECMA_ARRAY;
    // Only a hint for readers; the end marker is what terminates the list.
    head.writeUInt32BE(entries.length, 1);
    parts.push(head);
    encodeProperties(entries, parts, depth);
    return;
  }
  parts.push(marker(Amf0Marker.OBJECT));
  encodeProperties(Object.entries(value), parts, depth);
}

function encodeProperties(entries: [string, Amf0Value][], parts: Buffer[], depth: number): void {
  for (const [key, item] of entries) {
    parts.push(encodeKey(key));
    encodeValue(item, parts, depth + 1);
  }
  parts.push(Buffer.of(0, 0, Amf0Marker.OBJECT_END));
}

function encodeKey(key: string): Buffer {
  const bytes = Buffer.from(key, 'utf8');
  if (bytes.length > MAX_SHORT_STRING) throw invalidArg('AMF0 property names are at most 65535 bytes');
  const out = Buffer.alloc(2 + bytes.length);
  out.writeUInt16BE(bytes.length, 0);
  bytes.copy(out, 2);
  return out;
}

// A string too long for the 16-bit length becomes a long string.
function encodeString(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length <= MAX_SHORT_STRING) {
    const out = Buffer.alloc(3 + bytes.length);
    out[0] = Amf0Marker.STRING;
    out.writeUInt16BE(bytes.length, 1);
    bytes.copy(out, 3);
    return out;
  }
  const out = Buffer.alloc(5 + bytes.length);
  out[0] = Amf0Marker.LONG_STRING;
  out.writeUInt32BE(bytes.length, 1);
  bytes.copy(out, 5);
  return out;
}

// --- Decoding ------------------------------------------------------------------------------------

function parseError(message: string): RtmpError {
  return new RtmpError(ErrorCodes.FLV_PARSE, `AMF0: ${message}`);
}

class Reader {
  at = 0;
  // Objects, ECMA arrays and strict arrays in order of appearance, for reference markers.
  readonly complex: Amf0Value[] = [];

  constructor(readonly buf: Buffer) {}

  need(bytes: number, what: string): void {
    if (this.buf.length - this.at < bytes) throw parseError(`truncated ${what} at byte ${this.at}`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.at++];
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }

  double(what: string): number {
    this.need(8, what);
    const v = this.buf.readDoubleBE(this.at);
    this.at += 8;
    return v;
  }

  utf8(length: number, what: string): string {
    this.need(length, what);
    const s = this.buf.toString('utf8', this.at, this.at + length);
    this.at += length;
    return s;
  }
}

/** Decodes every value in `buf` (e.g. a script tag: 'onMetaData', then its properties). */
export function decodeAmf0(buf: Buffer): Amf0Value[] {
  const reader = new Reader(buf);
  const values: Amf0Value[] = [];
  while (reader.at < buf.length) values.push(decodeValue(reader, 0));
  return values;
}

/** Decodes one value at `offset`; also returns where the next value starts. */
export function decodeAmf0Value(buf: Buffer, offset = 0): { value: Amf0Value; next: number } {
  const reader = new Reader(buf);
  reader.at = offset;
  const value = decodeValue(reader, 0);
  return { value, next: reader.at };
}

function decodeValue(r: Reader, depth: number): Amf0Value {
  if (depth > MAX_DEPTH) throw parseError('values nested too deeply');
  const type = r.u8('type marker');
  switch (type) {
    case Amf0Marker.NUMBER:
      return r.double('number');
    case Amf0Marker.BOOLEAN:
      return r.u8('boolean') !== 0;
    case Amf0Marker.STRING:
      return r.utf8(r.u16('string length'), 'string');
    case Amf0Marker.LONG_STRING:
    case Amf0Marker.XML_DOCUMENT:
      return r.utf8(r.u32('long string length'), 'long string');
    case Amf0Marker.NULL:
      return null;
    case Amf0Marker.UNDEFINED:
    case Amf0Marker.UNSUPPORTED:
      return undefined;
    case Amf0Marker.DATE: {
      const ms = r.double('date');
      r.u16('date time zone');
      return new Date(ms);
    }
    case Amf0Marker.OBJECT:
      return decodeProperties(r, depth);
    case Amf0Marker.TYPED_OBJECT:
      r.utf8(r.u16('class name length'), 'class name'); // the class name has no JS meaning here
      return decodeProperties(r, depth);
    case Amf0Marker.ECMA_ARRAY:
      r.u32('ECMA array count'); // a hint only: writers are known to get it wrong
      return decodeProperties(r, depth);
    case Amf0Marker.STRICT_ARRAY: {
      const count = r.u32('strict array count');
      // Each item takes at least one byte: reject counts the input cannot hold before looping.
      r.need(count, 'strict array');
      const items: Amf0Value[] = [];
      r.complex.push(items);
      for (let i = 0; i < count; i++) items.push(decodeValue(r, depth + 1));
      return items;
    }
    case Amf0Marker.REFERENCE: {
      const index = r.u16('reference');
      if (index >= r.complex.length) throw parseError(`reference ${index} to no earlier object`);
      return r.complex[index];
    }
    case Amf0Marker.OBJECT_END:
      throw parseError(`object end marker outside an object at byte ${r.at - 1}`);
    default:
      throw parseError(`unknown type marker 0x${type.toString(16)} at byte ${r.at - 1}`);
  }
}

function decodeProperties(r: Reader, depth: number): { [key: string]: Amf0Value } {
  const object: { [key: string]: Amf0Value } = {};
  r.complex.push(object);
  for (;;) {
    const key = r.utf8(r.u16('property name length'), 'property name');
    if (key === '') {
      // An empty name is followed by the end marker; a few writers end with a bare 00 00.
      if (r.at === r.buf.length) return object;
      const end = r.u8('object end marker');
      if (end !== Amf0Marker.OBJECT_END) throw parseError(`empty property name without object end at byte ${r.at - 1}`);
      return object;
    }
    // defineProperty: a '__proto__' key from the wire must stay data, not set the prototype.
    Object.defineProperty(object, key, {
      value: decodeValue(r, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
}
