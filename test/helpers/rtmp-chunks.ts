// RTMP chunk streams as messages: a parser for what a server sent (to keep captured nginx
// replies as messages) and a writer that can lie in every header field (for the fuzzer).

export interface RtmpMessage {
  csid: number;
  type: number;
  timestamp: number;
  streamId: number;
  payload: Buffer;
}

interface ChunkState {
  timestamp: number;
  delta: number;
  length: number;
  type: number;
  streamId: number;
  extended: boolean;
  parts: Buffer[];
  received: number;
}

/**
 * Parses a server's chunk stream (the bytes after the handshake) into messages, following
 * its Set Chunk Size. Incomplete trailing data is left out. Only for well-formed input.
 */
export class ChunkParser {
  #chunkSize = 128;
  #states = new Map<number, ChunkState>();
  #pending = Buffer.alloc(0);

  /** Feeds bytes; returns the messages completed by them. */
  push(data: Buffer): RtmpMessage[] {
    this.#pending = Buffer.concat([this.#pending, data]);
    const out: RtmpMessage[] = [];
    for (;;) {
      const consumed = this.#oneChunk(out);
      if (consumed === 0) return out;
      this.#pending = this.#pending.subarray(consumed);
    }
  }

  // Parses one chunk at the start of #pending; 0 when it is not all there yet.
  #oneChunk(out: RtmpMessage[]): number {
    const b = this.#pending;
    if (b.length < 1) return 0;
    const fmt = b[0] >> 6;
    let csid = b[0] & 0x3f;
    let pos = 1;
    if (csid === 0) {
      if (b.length < 2) return 0;
      csid = 64 + b[1];
      pos = 2;
    } else if (csid === 1) {
      if (b.length < 3) return 0;
      csid = 64 + b[1] + b[2] * 256;
      pos = 3;
    }
    const headerSizes = [11, 7, 3, 0];
    if (b.length < pos + headerSizes[fmt]) return 0;
    const prev = this.#states.get(csid);
    const state: ChunkState = prev ?? { timestamp: 0, delta: 0, length: 0, type: 0, streamId: 0, extended: false, parts: [], received: 0 };
    let tsField = -1;
    if (fmt <= 2) tsField = b.readUIntBE(pos, 3);
    if (fmt <= 1) {
      state.length = b.readUIntBE(pos + 3, 3);
      state.type = b[pos + 6];
    }
    if (fmt === 0) state.streamId = b.readUInt32LE(pos + 7);
    pos += headerSizes[fmt];
    const extended = tsField === 0xffffff || (fmt === 3 && state.extended);
    if (extended) {
      if (b.length < pos + 4) return 0;
      if (tsField !== -1) tsField = b.readUInt32BE(pos);
      pos += 4;
    }
    if (tsField !== -1) state.extended = extended;
    const take = Math.min(this.#chunkSize, state.length - state.received);
    if (b.length < pos + take) return 0;
    if (state.received === 0 && tsField !== -1) {
      if (fmt === 0) state.timestamp = tsField;
      else {
        state.delta = tsField;
        state.timestamp += tsField;
      }
    } else if (state.received === 0 && fmt === 3) {
      state.timestamp += state.delta;
    }
    state.parts.push(b.subarray(pos, pos + take));
    state.received += take;
    this.#states.set(csid, state);
    if (state.received === state.length) {
      const payload = Buffer.concat(state.parts);
      out.push({ csid, type: state.type, timestamp: state.timestamp, streamId: state.streamId, payload });
      state.parts = [];
      state.received = 0;
      if (state.type === 1 && payload.length >= 4) this.#chunkSize = payload.readUInt32BE(0) & 0x7fffffff;
    }
    return pos + take;
  }
}

/** How one message is written; every field may lie. */
export interface ChunkWriteOptions {
  /** Header format of the first chunk (0 unless the fuzzer says otherwise). */
  fmt?: number;
  /** Basic-header form for the chunk stream id: 1, 2 or 3 bytes (the id is adjusted to fit). */
  csidForm?: 1 | 2 | 3;
  /** The length the header claims (default: the payload's). */
  claimedLength?: number;
  /** Force an extended timestamp field even for small values. */
  forceExtended?: boolean;
  /** Header format of continuation chunks (3 when not set). */
  continuationFmt?: number;
}

/** Writes messages as chunks; `chunkSize` follows the Set Chunk Size messages it writes. */
export class ChunkWriter {
  chunkSize = 128;

  #basicHeader(fmt: number, csid: number, form: 1 | 2 | 3 | undefined): Buffer {
    const f = form ?? (csid < 64 ? 1 : csid < 320 ? 2 : 3);
    if (f === 1) return Buffer.from([(fmt << 6) | (csid < 2 ? csid + 2 : csid & 0x3f)]);
    if (f === 2) return Buffer.from([fmt << 6, (csid - 64) & 0xff]);
    const id = (csid - 64) & 0xffff;
    return Buffer.from([(fmt << 6) | 1, id & 0xff, id >> 8]);
  }

  write(message: RtmpMessage, options: ChunkWriteOptions = {}): Buffer {
    const fmt = options.fmt ?? 0;
    const length = options.claimedLength ?? message.payload.length;
    const ts = message.timestamp >>> 0;
    const extended = options.forceExtended === true || ts >= 0xffffff;
    const header: Buffer[] = [this.#basicHeader(fmt, message.csid, options.csidForm)];
    if (fmt <= 2) {
      const h = Buffer.alloc(fmt === 0 ? 11 : fmt === 1 ? 7 : 3);
      h.writeUIntBE(extended ? 0xffffff : ts, 0, 3);
      if (fmt <= 1) {
        h.writeUIntBE(length & 0xffffff, 3, 3);
        h[6] = message.type & 0xff;
      }
      if (fmt === 0) h.writeUInt32LE(message.streamId >>> 0, 7);
      header.push(h);
    }
    const extendedField = Buffer.alloc(4);
    extendedField.writeUInt32BE(ts, 0);
    if (extended) header.push(extendedField);
    const out: Buffer[] = [...header];
    // A chunk size the writer cannot honour (0, huge) is only claimed, never used.
    const size = this.chunkSize >= 1 && this.chunkSize <= 1 << 20 ? this.chunkSize : 128;
    for (let pos = 0; pos < message.payload.length; pos += size) {
      if (pos > 0) {
        out.push(this.#basicHeader(options.continuationFmt ?? 3, message.csid, options.csidForm));
        if (extended) out.push(extendedField);
      }
      out.push(message.payload.subarray(pos, pos + size));
    }
    if (message.type === 1 && message.payload.length >= 4) this.chunkSize = message.payload.readUInt32BE(0) & 0x7fffffff;
    return Buffer.concat(out);
  }
}
