// AnnexBSplitter: an encoder's H.264 or HEVC Annex-B byte stream, sliced any way (a pipe, a
// socket, an SDK callback), in; whole access units out, each as the Annex-B bytes that
// MediaPublisher.writeVideo() takes.
//
// Where an access unit begins (H.264 7.4.1.2.3, HEVC 7.4.2.4.4): once the current unit has a
// slice (a VCL NAL unit), the next access unit delimiter, parameter set, prefix SEI (or the
// other NAL types the standards list there) or the first slice of a new picture opens the
// next one. The first slice of a picture is told by one bit: H.264's first_mb_in_slice is 0
// (its ue(v) code is a single '1' bit), HEVC's first_slice_segment_in_pic_flag is 1. So
// streams with or without AUDs split alike, and multi-slice pictures stay whole. Not
// covered: H.264 arbitrary slice order (Baseline ASO, where a picture's first slice need not
// be macroblock 0) and redundant pictures; no camera encoder emits them.
//
// A unit is only known to be complete when the next one begins, so each unit comes out when
// the first NAL unit of the next has arrived; flush() hands out the last at end of stream.
import { ByteWindow } from './byte-window';
import { mediaError } from './errors';
import { START_CODE } from './h264';

export type AnnexBCodec = 'h264' | 'hevc';

export interface AnnexBSplitterOptions {
  /** 'h264' (default) or 'hevc'. */
  codec?: AnnexBCodec;
  /**
   * An access unit growing past this many bytes is refused (ERR_MEDIA_INVALID): the input is
   * not an Annex-B stream, or not of this codec. Default 16 MiB.
   */
  maxAccessUnitBytes?: number;
}

export interface SplitterStats {
  bytesIn: number;
  /** Access units (or frames) handed out. */
  units: number;
  /** Bytes that could not belong to any unit: before the first start code (or ADTS sync). */
  droppedBytes: number;
}

// A NAL unit's part in access unit framing.
interface NalRole {
  /** A slice of the primary picture (H.264 VCL types 1–5, HEVC layer-0 types 0–31). */
  vcl: boolean;
  /** Opens a new access unit when the current one already has a slice. */
  opensUnit: boolean;
}

// Bytes after the start code needed to classify a NAL unit: its header and the first
// slice-header bit.
const HEADER_BYTES: Record<AnnexBCodec, number> = { h264: 2, hevc: 3 };

function h264Role(data: Buffer, at: number): NalRole {
  const type = data[at] & 0x1f;
  // Types 1, 2 and 5 start with first_mb_in_slice; partitions B and C (3, 4) never open a picture.
  const firstSlice = (type === 1 || type === 2 || type === 5) && (data[at + 1] & 0x80) !== 0;
  return { vcl: type >= 1 && type <= 5, opensUnit: firstSlice || (type >= 6 && type <= 9) || (type >= 14 && type <= 18) };
}

function hevcRole(data: Buffer, at: number): NalRole {
  const type = (data[at] >>> 1) & 0x3f;
  const layerId = ((data[at] & 0x01) << 5) | (data[at + 1] >>> 3);
  // Only the base layer frames access units.
  if (layerId !== 0) return { vcl: false, opensUnit: false };
  if (type < 32) return { vcl: true, opensUnit: (data[at + 2] & 0x80) !== 0 };
  const opensUnit = (type >= 32 && type <= 35) || type === 39 || (type >= 41 && type <= 44) || (type >= 48 && type <= 55);
  return { vcl: false, opensUnit };
}

export class AnnexBSplitter {
  readonly codec: AnnexBCodec;
  readonly #maxUnitBytes: number;
  readonly #role: (data: Buffer, at: number) => NalRole;
  readonly #window = new ByteWindow();
  // Where to look for the next start code.
  #scanAt = 0;
  // Where the current access unit begins; -1 before the first start code.
  #unitAt = -1;
  #unitHasSlice = false;
  readonly #stats: SplitterStats = { bytesIn: 0, units: 0, droppedBytes: 0 };

  constructor(options: AnnexBSplitterOptions = {}) {
    const codec = options.codec ?? 'h264';
    if (codec !== 'h264' && codec !== 'hevc') throw mediaError(`Annex-B codec must be 'h264' or 'hevc', not ${String(codec)}`);
    this.codec = codec;
    this.#role = codec === 'h264' ? h264Role : hevcRole;
    this.#maxUnitBytes = options.maxAccessUnitBytes ?? 16 * 1024 * 1024;
  }

  stats(): SplitterStats {
    return { ...this.#stats };
  }

  /** Takes the next bytes of the stream; returns the access units they completed (copies). */
  push(chunk: Uint8Array): Buffer[] {
    this.#stats.bytesIn += chunk.length;
    this.#window.append(chunk);
    const units: Buffer[] = [];
    this.#scan(units);
    this.#compact();
    if (this.#unitAt >= 0 && this.#window.length - this.#unitAt > this.#maxUnitBytes) {
      this.#reset();
      throw mediaError(`no access unit boundary in ${this.#maxUnitBytes} bytes: not an ${this.codec === 'h264' ? 'H.264' : 'HEVC'} Annex-B stream?`);
    }
    return units;
  }

  /** End of stream: the last access unit, if there is one. The splitter can then start over. */
  flush(): Buffer[] {
    const units: Buffer[] = [];
    if (this.#unitAt >= 0 && this.#window.length > this.#unitAt) {
      units.push(this.#window.copy(this.#unitAt, this.#window.length));
      this.#stats.units++;
    } else {
      this.#countDropped(0, this.#window.length);
    }
    this.#reset();
    return units;
  }

  #scan(units: Buffer[]): void {
    const data = this.#window.bytes;
    const need = HEADER_BYTES[this.codec];
    for (;;) {
      const at = data.indexOf(START_CODE, this.#scanAt);
      if (at < 0) {
        // The last two bytes may begin a start code that the next chunk completes.
        this.#scanAt = Math.max(this.#scanAt, data.length - 2);
        return;
      }
      const nalAt = at + 3;
      if (nalAt + need > data.length) {
        this.#scanAt = at; // classify once the NAL header is here
        return;
      }
      // A zero byte before 00 00 01 is the 4-byte start code's zero_byte: part of this NAL unit's prefix.
      const codeAt = at > 0 && data[at - 1] === 0 && at - 1 >= Math.max(this.#unitAt, 0) ? at - 1 : at;
      const role = this.#role(data, nalAt);
      if (this.#unitAt < 0) {
        this.#countDropped(0, codeAt);
        this.#unitAt = codeAt;
      } else if (this.#unitHasSlice && role.opensUnit) {
        units.push(this.#window.copy(this.#unitAt, codeAt));
        this.#stats.units++;
        this.#unitAt = codeAt;
        this.#unitHasSlice = false;
      }
      if (role.vcl) this.#unitHasSlice = true;
      this.#scanAt = nalAt;
    }
  }

  // Drops what is behind the current unit (or, before the first start code, all but the
  // bytes that may begin one).
  #compact(): void {
    let drop: number;
    if (this.#unitAt >= 0) {
      drop = this.#unitAt;
      this.#unitAt = 0;
    } else {
      // Keep a start code waiting for its NAL header, and the zero byte that may precede it.
      drop = Math.max(0, Math.min(this.#window.length - 3, this.#scanAt - 1));
      this.#countDropped(0, drop);
    }
    this.#window.consume(drop);
    this.#scanAt = Math.max(0, this.#scanAt - drop);
  }

  // Leading zero bytes are legal padding (leading_zero_8bits), not lost data.
  #countDropped(start: number, end: number): void {
    const data = this.#window.bytes;
    for (let i = start; i < end; i++) if (data[i] !== 0) this.#stats.droppedBytes++;
  }

  #reset(): void {
    this.#window.clear();
    this.#scanAt = 0;
    this.#unitAt = -1;
    this.#unitHasSlice = false;
  }
}

/** A chunk of a byte stream as a Readable or an async iterable gives it. */
export function asBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  throw mediaError(`a byte stream must yield Buffers or Uint8Arrays, not ${typeof chunk} (a Readable in object or string mode?)`);
}

/** The access units of a byte stream (a Readable, or any async iterable of Buffers), in order. */
export async function* readAccessUnits(source: AsyncIterable<unknown>, options: AnnexBSplitterOptions = {}): AsyncGenerator<Buffer, void, undefined> {
  const splitter = new AnnexBSplitter(options);
  for await (const chunk of source) yield* splitter.push(asBytes(chunk));
  yield* splitter.flush();
}
