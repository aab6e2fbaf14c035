// Bookkeeping for the child processes the helpers start, so none outlives the test run.
import type { ChildProcess } from 'node:child_process';

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
}

// Children still running, with the signal that ends each one cleanly from an 'exit' handler
// (only synchronous work is possible there, so it is a signal and nothing more).
const running = new Map<ChildProcess, NodeJS.Signals>();

process.on('exit', () => {
  for (const [child, signal] of running) {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  }
});

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Registers a child to be killed with `exitSignal` if this process exits first, and
 * when `signal` aborts (node:test aborts `t.signal` when a test ends or is cancelled).
 */
export function trackChild(
  child: ChildProcess,
  options: { exitSignal?: NodeJS.Signals; signal?: AbortSignal } = {},
): void {
  const exitSignal = options.exitSignal ?? 'SIGKILL';
  if (hasExited(child)) return;
  running.set(child, exitSignal);
  const onAbort = (): void => {
    if (!hasExited(child)) child.kill(exitSignal);
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  child.once('exit', () => {
    running.delete(child);
    options.signal?.removeEventListener('abort', onAbort);
  });
}

/** Resolves when the child has exited (at once if it already has). */
export function waitForExit(child: ChildProcess): Promise<ExitResult> {
  if (hasExited(child)) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/**
 * Sends `signal`, waits up to `graceMs` for the exit, then SIGKILLs and waits again.
 */
export async function terminate(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 5000,
): Promise<ExitResult> {
  if (hasExited(child)) return waitForExit(child);
  const exited = waitForExit(child);
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const first = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  if (first !== 'timeout') return first;
  child.kill('SIGKILL');
  return exited;
}
