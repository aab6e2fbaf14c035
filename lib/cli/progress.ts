// Live progress on stderr: one line rewritten in place on a terminal, one JSON object per
// second for supervisors (--progress=json), nothing otherwise. stdout stays free for media.
import { usageError } from './exit-codes';

export type ProgressMode = 'auto' | 'tty' | 'json' | 'none';

/** Counters a command exposes; the reporter derives rates from successive samples. */
export interface ProgressCounters {
  /** Media time reached (the last tag's timestamp minus the first), ms. */
  mediaMs: number;
  /** Bytes on the wire (out for push, in for pull). */
  bytes: number;
  kbps: number;
  videoFrames: number;
  queuedBytes: number;
  dropped: number;
  reconnects: number;
}

/** What --progress=json prints: the documented shape, one object per line. */
export interface ProgressRecord {
  elapsed: number;
  media: number;
  bytes: number;
  kbps: number;
  fps: number;
  queuedBytes: number;
  dropped: number;
  reconnects: number;
  final: boolean;
}

export function parseProgressMode(value: string | undefined): ProgressMode {
  const mode = value ?? 'auto';
  if (mode === 'auto' || mode === 'tty' || mode === 'json' || mode === 'none') return mode;
  throw usageError('--progress takes auto, tty, json or none');
}

const TTY_INTERVAL_MS = 500;
const JSON_INTERVAL_MS = 1000;

function clock(ms: number, decimals: boolean): string {
  const total = Math.max(0, ms) / 1000;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const sec = decimals ? s.toFixed(1).padStart(4, '0') : String(Math.floor(s)).padStart(2, '0');
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${sec}`;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatProgressLine(r: ProgressRecord): string {
  return (
    `elapsed ${clock(r.elapsed * 1000, false)}  media ${clock(r.media * 1000, true)}  ${size(r.bytes)}` +
    `  ${Math.round(r.kbps)} kbit/s  ${r.fps.toFixed(1)} fps  queue ${size(r.queuedBytes)}` +
    `  dropped ${r.dropped}  reconnects ${r.reconnects}`
  );
}

export class ProgressReporter {
  readonly #mode: Exclude<ProgressMode, 'auto'>;
  readonly #out: NodeJS.WriteStream;
  readonly #counters: () => ProgressCounters;
  readonly #startedAt = performance.now();
  #timer: NodeJS.Timeout | undefined;
  #last = { at: performance.now(), frames: 0 };
  #fps = 0;

  constructor(mode: ProgressMode, out: NodeJS.WriteStream, counters: () => ProgressCounters) {
    this.#mode = mode === 'auto' ? (out.isTTY ? 'tty' : 'none') : mode;
    this.#out = out;
    this.#counters = counters;
  }

  start(): void {
    if (this.#mode === 'none' || this.#timer) return;
    const interval = this.#mode === 'tty' ? TTY_INTERVAL_MS : JSON_INTERVAL_MS;
    this.#timer = setInterval(() => this.#print(false), interval);
    this.#timer.unref();
  }

  /** Prints the final state (JSON: `final: true`; terminal: the line, then a newline). */
  stop(): void {
    if (this.#mode === 'none') return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#print(true);
    if (this.#mode === 'tty') this.#out.write('\n');
  }

  /** Clears the terminal line before another message is printed, so the two do not mix. */
  clearLine(): void {
    if (this.#mode === 'tty' && this.#timer) this.#out.write('\r\x1b[K');
  }

  #record(final: boolean): ProgressRecord {
    const now = performance.now();
    const c = this.#counters();
    const dt = now - this.#last.at;
    if (dt >= 200) {
      this.#fps = ((c.videoFrames - this.#last.frames) * 1000) / dt;
      this.#last = { at: now, frames: c.videoFrames };
    }
    const round = (n: number, d: number): number => Math.round(n * 10 ** d) / 10 ** d;
    return {
      elapsed: round((now - this.#startedAt) / 1000, 3),
      media: round(c.mediaMs / 1000, 3),
      bytes: c.bytes,
      kbps: round(c.kbps, 1),
      fps: round(this.#fps, 1),
      queuedBytes: c.queuedBytes,
      dropped: c.dropped,
      reconnects: c.reconnects,
      final,
    };
  }

  #print(final: boolean): void {
    const record = this.#record(final);
    if (this.#mode === 'json') this.#out.write(`${JSON.stringify(record)}\n`);
    else this.#out.write(`\r${formatProgressLine(record)}\x1b[K`);
  }
}
