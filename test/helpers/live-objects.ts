// The addon's live native objects (connection wrappers, sessions, threads, RTMP structs, SSL,
// SSL_CTX, librtmp's heap blocks), for tests that prove connections leave nothing behind.
import { setImmediate as tick } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { binding, type NativeLiveObjects } from '../../lib/native';

export type LiveObjects = NativeLiveObjects;

export function liveObjects(): LiveObjects {
  return binding.liveObjects();
}

let gc: (() => void) | undefined;

/** A full collection, so that wrappers nobody references are finalized (on a later turn). */
export function collectGarbage(): void {
  if (!gc) {
    // Test runs do not pass --expose-gc; the flag still takes effect for a new context.
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  gc();
}

/** The counts that are above `baseline`, as "name a -> b". */
function above(now: LiveObjects, baseline: LiveObjects): string[] {
  return (Object.keys(baseline) as (keyof LiveObjects)[]).filter((k) => now[k] > baseline[k]).map((k) => `${k} ${baseline[k]} -> ${now[k]}`);
}

/**
 * Waits (event-loop turns, bounded) until no count is above `baseline`. With `collect`, runs
 * the garbage collector on each turn: connection wrappers and the sessions they hold go
 * only when collected.
 */
export async function waitForLiveObjects(baseline: LiveObjects, options: { collect?: boolean; timeoutMs?: number } = {}): Promise<LiveObjects> {
  const deadline = Date.now() + (options.timeoutMs ?? 3000);
  for (;;) {
    if (options.collect) collectGarbage();
    const now = liveObjects();
    const left = above(now, baseline);
    if (left.length === 0) return now;
    if (Date.now() > deadline) throw new Error(`live native objects left behind: ${left.join(', ')}`);
    await tick();
  }
}

/** Every count at zero: what a process with no connection must show. */
export const NOTHING_LIVE: LiveObjects = {
  connections: 0,
  sessions: 0,
  threads: 0,
  rtmp: 0,
  ssl: 0,
  sslCtx: 0,
  librtmpBlocks: 0,
  librtmpBytes: 0,
};
