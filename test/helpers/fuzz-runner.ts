// Runs fuzz cases: node-librtmp publishing to or playing from the hostile server. A case
// passes when it ends, within its bound, in an RtmpError with a known code or a clean
// success (publish + writes + close; play to the end of the stream).
import { ErrorCodes, RtmpError } from '../../lib/errors';
import { FlvParser, type FlvTag } from '../../lib/flv';
import { publish, read } from '../../lib/index';
import { AV_FLV } from './fixtures';
import { Prng, startHostileServer, type FuzzMode } from './hostile-server';
import fs from 'node:fs';

export interface CaseResult {
  seed: number;
  mode: FuzzMode;
  outcome: 'ok' | string;
  ms: number;
  /** Set when the case failed: what went wrong and the mutations. */
  failure?: string;
}

/** Codes a hostile server may legitimately cause; ERR_INTERNAL and the rest are bugs. */
const EXPECTED_CODES = new Set<string>([
  ErrorCodes.RTMP_HANDSHAKE,
  ErrorCodes.RTMP_CONNECT_REJECTED,
  ErrorCodes.RTMP_STREAM_NOT_FOUND,
  ErrorCodes.RTMP_PUBLISH_REJECTED,
  ErrorCodes.RTMP_STATUS,
  ErrorCodes.TIMEOUT,
  ErrorCodes.CONNECTION_CLOSED,
  ErrorCodes.IO,
  ErrorCodes.MESSAGE_TOO_LARGE,
  ErrorCodes.FLV_PARSE,
]);

let tags: FlvTag[] | undefined;

/** Bound on a case: connect timeout, one read/write timeout, and scheduling slack. */
export function caseBoundMs(timeoutMs: number): number {
  return timeoutMs * 3 + 3000;
}

/** What the caller does besides the plain calls, drawn from the case's seed. */
interface CallerPlan {
  /** Abort the operation's signal after this many ms (any phase), or never. */
  abortAfterMs?: number;
  /** Publishing: close() while the write is still pending. */
  closeDuringWrite: boolean;
  /** Playing: leave the loop (closing) after this many tags. */
  tagsToRead: number;
  /** librtmp's debug logging on: its log lines format what the server sent. */
  debugLog: boolean;
}

function callerPlan(seed: number): CallerPlan {
  const rng = new Prng(seed ^ 0xc105e);
  return {
    ...(rng.chance(0.1) ? { abortAfterMs: rng.int(250) } : {}),
    closeDuringWrite: rng.chance(0.1),
    tagsToRead: rng.chance(0.2) ? 1 + rng.int(10) : 100,
    debugLog: rng.chance(0.15),
  };
}

async function client(url: string, mode: FuzzMode, timeout: number, plan: CallerPlan): Promise<void> {
  const controller = new AbortController();
  const logging = plan.debugLog ? { logger: ignoreLog, logLevel: 'debug' as const } : {};
  const timer = plan.abortAfterMs !== undefined ? setTimeout(() => controller.abort(), plan.abortAfterMs) : undefined;
  try {
    if (mode === 'publish') {
      tags ??= new FlvParser().push(fs.readFileSync(AV_FLV)).slice(0, 12);
      const pub = await publish(url, { timeout, signal: controller.signal, ...logging });
      try {
        const writing = pub.writeTags(tags);
        if (plan.closeDuringWrite) await Promise.all([writing.catch(closedWhileWriting), pub.close()]);
        else await writing;
      } finally {
        await pub.close();
      }
      return;
    }
    let n = 0;
    for await (const tag of read(url, { timeout, live: true, signal: controller.signal, ...logging })) {
      void tag;
      if (++n >= plan.tagsToRead) break;
    }
  } finally {
    clearTimeout(timer);
  }
}

function ignoreLog(): void {}

// A write cut short by close() may end either way; any other error is the case's result.
function closedWhileWriting(err: unknown): void {
  if (err instanceof RtmpError && (err.code === ErrorCodes.CLOSED || err.code === ErrorCodes.ABORTED)) return;
  throw err;
}

export async function runCase(seed: number, mode: FuzzMode, timeoutMs: number): Promise<CaseResult> {
  const server = await startHostileServer(seed, mode);
  const started = Date.now();
  const bound = caseBoundMs(timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), bound)));
  let outcome: string;
  let failure: string | undefined;
  const plan = callerPlan(seed);
  try {
    const result = await Promise.race([client(server.url(), mode, timeoutMs, plan).then(() => 'ok'), hung]);
    outcome = result;
    if (result === 'hung') failure = `no result within ${bound} ms`;
  } catch (err) {
    const aborted = err instanceof RtmpError && err.code === ErrorCodes.ABORTED && plan.abortAfterMs !== undefined;
    if (err instanceof RtmpError && (EXPECTED_CODES.has(err.code) || aborted)) outcome = err.code;
    else {
      outcome = err instanceof RtmpError ? err.code : 'non-RtmpError';
      failure = `unexpected error: ${err instanceof Error ? err.stack : String(err)}`;
    }
  } finally {
    clearTimeout(timer);
    await server.stop();
  }
  const ms = Date.now() - started;
  if (failure !== undefined) failure = `seed ${seed} (${mode}): ${failure}; mutations: ${server.plan.log.join(' ')}`;
  return { seed, mode, outcome, ms, ...(failure !== undefined ? { failure } : {}) };
}

/** Runs `count` cases from `firstSeed` on, `concurrency` at a time; mode alternates by seed. */
export async function runCases(firstSeed: number, count: number, options: { concurrency: number; timeoutMs: number; onResult?: (r: CaseResult) => void }): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const seed = (firstSeed + next++) >>> 0;
      const r = await runCase(seed, seed % 2 === 0 ? 'publish' : 'play', options.timeoutMs);
      results.push(r);
      options.onResult?.(r);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return results;
}
