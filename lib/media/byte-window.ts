// The unconsumed bytes of a streaming splitter: chunks of any size are appended, whole units
// are taken from the front. Each byte is copied in once and out once (the units handed out
// are copies, so they stay valid), which keeps splitting linear however the input is sliced.
export class ByteWindow {
  #buf: Buffer;
  #length = 0;

  constructor(initialCapacity = 64 * 1024) {
    this.#buf = Buffer.allocUnsafe(initialCapacity);
  }

  /** The bytes held, valid until the next append() or consume(). */
  get bytes(): Buffer {
    return this.#buf.subarray(0, this.#length);
  }

  get length(): number {
    return this.#length;
  }

  append(chunk: Uint8Array): void {
    const needed = this.#length + chunk.length;
    if (needed > this.#buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.#buf.length * 2));
      this.#buf.copy(grown, 0, 0, this.#length);
      this.#buf = grown;
    }
    this.#buf.set(chunk, this.#length);
    this.#length = needed;
  }

  /** A copy of bytes [start, end). */
  copy(start: number, end: number): Buffer {
    return Buffer.from(this.#buf.subarray(start, end));
  }

  /** Forgets the first `count` bytes; positions after them move down by `count`. */
  consume(count: number): void {
    if (count <= 0) return;
    this.#buf.copyWithin(0, count, this.#length);
    this.#length -= count;
  }

  clear(): void {
    this.#length = 0;
  }
}
