// Bitrate advice for a camera's encoder: from what the uplink actually drains, a target for
// the video encoder in kbit/s, lowered soon after congestion starts and raised slowly after a
// clear period. publishCamera({ bitrateAdvice }) samples its destinations and emits 'bitrate'.
//
// The algorithm, sampled every SAMPLE_MS:
// - drained: bytes the connection wrote to its socket over the last DRAIN_WINDOW_MS (with
//   small socket buffers that is what the link carried), as kbit/s; the window starts again
//   when congestion starts, so that while congested it measures the saturated link only.
// - congested: the send queue holds more than CONGESTION_QUEUE_MS of video, or frames were
//   dropped since the last sample.
// - down: while congested, at most every DOWN_INTERVAL_MS: when the target is above what the
//   link carried (drained × HEADROOM − the audio), it goes to that estimate; when it is not,
//   and the queue still grows or frames are dropped, it goes down by DOWN_STEP.
// - up: after CLEAR_MS without congestion, every UP_INTERVAL_MS, by UP_STEP of the maximum.
// - bounds: never above maxKbps (nor the profile's range for the stream's size, once known),
//   never below minKbps.
// OBS's dynamic bitrate (obs-outputs rtmp-stream.c) is the anchor: it triggers at 200 ms of
// congestion, estimates from 1–2 s of sent bytes minus the audio, and only raises after 30 s,
// by a tenth of the original bitrate. Here the estimate also covers the case where the encoder
// already sends less than the link carries but the queue still grows, and the clear period is
// 10 s, raising by a tenth of the maximum every 5 s.

export const SAMPLE_MS = 500;
export const DRAIN_WINDOW_MS = 2000;
export const CONGESTION_QUEUE_MS = 200;
export const DOWN_INTERVAL_MS = 1000;
export const HEADROOM = 0.9;
export const DOWN_STEP = 0.85;
export const CLEAR_MS = 10_000;
export const UP_INTERVAL_MS = 5000;
export const UP_STEP = 0.1;

export interface BitrateAdviceOptions {
  /** The encoder's configured bitrate: the advice never goes above it (kbit/s). */
  maxKbps: number;
  /** The advice never goes below this (default a tenth of maxKbps, at least 50). */
  minKbps?: number;
  /** The advice at the start (default maxKbps). */
  startKbps?: number;
  /** The audio's bitrate, taken off what the link carries (default 128). */
  audioKbps?: number;
}

/** 'bitrate': a new target for the video encoder. */
export interface BitrateEvent {
  /** The recommended video encoder target, kbit/s. */
  kbps: number;
  previousKbps: number;
  /** 'congestion': the link carries less than the stream; 'clear': it has carried it for a while. */
  reason: 'congestion' | 'clear';
  /** What the link carried over the last DRAIN_WINDOW_MS, kbit/s (audio and overhead included). */
  drainedKbps: number;
  /** Video queued when it was decided, ms of media. */
  queuedVideoMs: number;
}

/** One look at a destination's send path. */
export interface SendPathSample {
  /** Wall clock, ms (performance.now()). */
  at: number;
  /** Bytes written to the socket so far by the current connection (may restart at a reconnect). */
  bytesOut: number;
  queuedVideoMs: number;
  /** Frames dropped so far (a growing counter). */
  droppedFrames: number;
}

export function checkBitrateAdvice(options: unknown): BitrateAdviceOptions {
  const o = options as BitrateAdviceOptions;
  const positive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;
  if (typeof o !== 'object' || o === null || !positive(o.maxKbps)) throw new RangeError('bitrateAdvice needs maxKbps, a positive number of kbit/s');
  for (const key of ['minKbps', 'startKbps', 'audioKbps'] as const) {
    if (o[key] !== undefined && !(typeof o[key] === 'number' && Number.isFinite(o[key]) && (o[key] as number) >= 0)) {
      throw new RangeError(`bitrateAdvice.${key} must be a number ≥ 0`);
    }
  }
  if ((o.minKbps ?? 0) > o.maxKbps) throw new RangeError('bitrateAdvice.minKbps is above maxKbps');
  return o;
}

export class BitrateAdvisor {
  readonly #min: number;
  #max: number;
  readonly #audioKbps: number;
  #kbps: number;
  readonly #window: { at: number; bytes: number }[] = [];
  #total = 0;
  #last: SendPathSample | undefined;
  #lastCongestion = -Infinity;
  #lastDown = -Infinity;
  #lastUp = -Infinity;
  #started: number | undefined;

  constructor(options: BitrateAdviceOptions) {
    this.#max = options.maxKbps;
    this.#min = Math.min(options.minKbps ?? Math.max(50, options.maxKbps / 10), options.maxKbps);
    this.#audioKbps = options.audioKbps ?? 128;
    this.#kbps = clamp(options.startKbps ?? options.maxKbps, this.#min, this.#max);
  }

  /** The current advice, kbit/s. */
  get kbps(): number {
    return this.#kbps;
  }

  /** Lowers the ceiling (a profile's range for the stream's size); the advice follows at once. */
  capAt(maxKbps: number): BitrateEvent | undefined {
    if (!(maxKbps > 0) || maxKbps >= this.#max) return undefined;
    this.#max = Math.max(maxKbps, this.#min);
    if (this.#kbps <= this.#max) return undefined;
    return this.#set(this.#max, 'congestion', 0);
  }

  /** Takes one sample of the send path; returns a new advice when it changes. */
  sample(s: SendPathSample): BitrateEvent | undefined {
    const last = this.#last;
    this.#last = s;
    this.#started ??= s.at;
    // A reconnect restarts the connection's counter: count from its new start.
    const sent = last === undefined ? 0 : s.bytesOut >= last.bytesOut ? s.bytesOut - last.bytesOut : s.bytesOut;
    this.#total += sent;
    this.#window.push({ at: s.at, bytes: this.#total });
    while (this.#window.length > 2 && s.at - this.#window[1].at >= DRAIN_WINDOW_MS) this.#window.shift();
    const dropped = last !== undefined && s.droppedFrames > last.droppedFrames;
    const growing = last !== undefined && s.queuedVideoMs > last.queuedVideoMs;
    const congested = s.queuedVideoMs > CONGESTION_QUEUE_MS || dropped;
    // Congestion starts: what the link carried before (when it was not full) says nothing of its capacity.
    if (congested && s.at - this.#lastCongestion > SAMPLE_MS * 1.5) this.#window.splice(0, this.#window.length - 1);
    const first = this.#window[0];
    const span = s.at - first.at;
    const drainedKbps = span > 0 ? ((this.#total - first.bytes) * 8) / span : 0;
    if (congested) {
      this.#lastCongestion = s.at;
      if (s.at - this.#lastDown < DOWN_INTERVAL_MS || span < DRAIN_WINDOW_MS / 2) return undefined;
      const estimate = drainedKbps * HEADROOM - this.#audioKbps;
      let next: number;
      if (this.#kbps > estimate) next = estimate;
      else if (growing || dropped) next = this.#kbps * DOWN_STEP;
      else return undefined;
      this.#lastDown = s.at;
      return this.#set(next, 'congestion', drainedKbps, s.queuedVideoMs);
    }
    const clearSince = Math.max(this.#lastCongestion, this.#started);
    if (this.#kbps < this.#max && s.at - clearSince >= CLEAR_MS && s.at - this.#lastUp >= UP_INTERVAL_MS) {
      this.#lastUp = s.at;
      return this.#set(this.#kbps + this.#max * UP_STEP, 'clear', drainedKbps, s.queuedVideoMs);
    }
    return undefined;
  }

  #set(kbps: number, reason: BitrateEvent['reason'], drainedKbps: number, queuedVideoMs = 0): BitrateEvent | undefined {
    const next = Math.round(clamp(kbps, this.#min, this.#max));
    if (next === this.#kbps) return undefined;
    const previousKbps = this.#kbps;
    this.#kbps = next;
    return { kbps: next, previousKbps, reason, drainedKbps: Math.round(drainedKbps), queuedVideoMs };
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
