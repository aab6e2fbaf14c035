// A big-endian bit reader for codec headers (H.264 SPS, AAC AudioSpecificConfig), with the
// Exp-Golomb codes of H.264. Reading past the end is a coded error, not garbage.
import { mediaError } from './errors';

export class BitReader {
  #bit = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  get bitsLeft(): number {
    return this.buf.length * 8 - this.#bit;
  }

  bits(count: number): number {
    if (count > this.bitsLeft) throw mediaError(`${this.what} is truncated`);
    let value = 0;
    for (let i = 0; i < count; i++) {
      const byte = this.buf[this.#bit >>> 3];
      value = value * 2 + ((byte >>> (7 - (this.#bit & 7))) & 1);
      this.#bit++;
    }
    return value;
  }

  flag(): boolean {
    return this.bits(1) === 1;
  }

  skip(count: number): void {
    if (count > this.bitsLeft) throw mediaError(`${this.what} is truncated`);
    this.#bit += count;
  }

  /** ue(v): unsigned Exp-Golomb. */
  ue(): number {
    let zeros = 0;
    while (this.bits(1) === 0) {
      // 32 leading zeros would exceed every field H.264 codes this way.
      if (++zeros > 31) throw mediaError(`${this.what} has an invalid Exp-Golomb code`);
    }
    return 2 ** zeros - 1 + this.bits(zeros);
  }

  /** se(v): signed Exp-Golomb. */
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }
}
