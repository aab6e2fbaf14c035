// The soak's fault schedule: which faults, how long each lasts and how long the stream runs
// healthy after it. The full schedule has the durations; the short one (npm test)
// has every kind once, shortened. The seed orders the faults and spreads their starts.
export type FaultKind =
  | 'link-down'
  | 'nginx-kill'
  | 'tls-front-restart'
  | 'capacity-cut'
  | 'server-stops-reading'
  | 'dns-failure'
  | 'reconnect-request';

export interface Fault {
  kind: FaultKind;
  /** When it starts, ms from the stream's start, and how long it lasts (0: an event). */
  atMs: number;
  durationMs: number;
}

const FULL: [FaultKind, number][] = [
  ['link-down', 5_000],
  ['link-down', 30_000],
  ['link-down', 90_000],
  ['nginx-kill', 0],
  ['tls-front-restart', 0],
  ['capacity-cut', 60_000],
  ['server-stops-reading', 20_000],
  ['dns-failure', 60_000],
  ['reconnect-request', 0],
];

// npm test gives a test file 120 s: the short run (with its set-up) has to fit.
const SHORT: [FaultKind, number][] = [
  ['link-down', 5_000],
  ['nginx-kill', 0],
  ['tls-front-restart', 0],
  ['capacity-cut', 6_000],
  ['server-stops-reading', 5_000],
  ['dns-failure', 6_000],
  ['reconnect-request', 0],
];

const SETTLE_MS = { short: 7_000, full: 45_000 };

/** A small deterministic PRNG (mulberry32): the same seed, the same schedule. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Faults for a run of `durationMs`: the short list when `short`, else the full list repeated
 * while it fits. Each fault is followed by a healthy stretch (`settleMs`, at least), the rest
 * of the time spread at random between them.
 */
export function buildSchedule(durationMs: number, seed: number, short: boolean): Fault[] {
  const random = prng(seed);
  const settleMs = short ? SETTLE_MS.short : SETTLE_MS.full;
  const leadMs = short ? 6_000 : 30_000;
  const base = short ? SHORT : FULL;
  const round = (list: [FaultKind, number][]): [FaultKind, number][] => {
    const copy = [...list];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy;
  };
  // After a link outage TCP's retransmission backoff or the write timeout, then a reconnect
  // and a keyframe, come first: the short run gives it longer.
  const settle = (kind: FaultKind): number => (short && kind === 'link-down' ? 15_000 : settleMs);
  const cost = (list: [FaultKind, number][]): number => list.reduce((n, [kind, d]) => n + d + settle(kind), 0);
  const planned: [FaultKind, number][] = [];
  while (planned.length === 0 || (!short && leadMs + cost(planned) + cost(base) <= durationMs)) planned.push(...round(base));
  const spare = Math.max(0, durationMs - leadMs - cost(planned));
  const gaps = planned.map(() => random());
  const gapTotal = gaps.reduce((a, b) => a + b, 0) || 1;
  const faults: Fault[] = [];
  let at = leadMs;
  planned.forEach(([kind, durationMs], i) => {
    faults.push({ kind, atMs: Math.round(at), durationMs });
    at += durationMs + settle(kind) + (spare * gaps[i]) / gapTotal;
  });
  return faults;
}

/** How long a schedule needs: its last fault, then a settle time. */
export function scheduleEndMs(faults: Fault[], short: boolean): number {
  const last = faults[faults.length - 1];
  return last.atMs + last.durationMs + (short ? (last.kind === 'link-down' ? 15_000 : SETTLE_MS.short) : SETTLE_MS.full);
}
