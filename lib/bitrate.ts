// Bitrate over a sliding window, from a growing byte counter sampled whenever asked.
const WINDOW_MS = 3000;

export class BitrateMeter {
  readonly #samples: Array<{ at: number; bytes: number }> = [];

  /** kbit/s between the oldest sample inside the window and now. */
  kbps(totalBytes: number, now: number): number {
    this.#samples.push({ at: now, bytes: totalBytes });
    while (this.#samples.length > 2 && now - this.#samples[1].at >= WINDOW_MS) this.#samples.shift();
    const first = this.#samples[0];
    const elapsed = now - first.at;
    return elapsed > 0 ? ((totalBytes - first.bytes) * 8) / elapsed : 0;
  }
}
