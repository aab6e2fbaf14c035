// Real-time pacing by media timestamps (like ffmpeg -re). Every deadline is computed from one
// anchor on the monotonic clock, so timer lateness never accumulates: a late wake-up only
// shortens the next wait. A timestamp before the anchor's (a spliced input going back)
// re-anchors at it. The same concept, name and rule as the native Pacer that paces
// sendFile({ realtime }) and sendCamera() on the connection thread (native/src/pacer.h).

export class Pacer {
  #anchor: { wallMs: number; mediaMs: number } | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #now: () => number;

  /** `now`: the monotonic clock in ms (performance.now; tests pass their own). */
  constructor(signal?: AbortSignal, now: () => number = () => performance.now()) {
    this.#signal = signal;
    this.#now = now;
  }

  /** Milliseconds until `mediaMs` is due (0 or less: due now). The first call sets the anchor. */
  delayFor(mediaMs: number): number {
    const now = this.#now();
    if (this.#anchor === undefined || mediaMs < this.#anchor.mediaMs) this.#anchor = { wallMs: now, mediaMs };
    return this.#anchor.wallMs + (mediaMs - this.#anchor.mediaMs) - now;
  }

  /** Resolves when `mediaMs` is due, or at once when the signal (the pacer's, or this call's) aborts. */
  async waitFor(mediaMs: number, callSignal?: AbortSignal): Promise<void> {
    const signal = callSignal ?? this.#signal;
    for (;;) {
      const delay = this.delayFor(mediaMs);
      if (delay <= 0 || signal?.aborted) return;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.ceil(delay));
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }
}
