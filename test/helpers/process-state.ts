// What this process holds (fds, threads) and where its addon is: for tests that prove
// nothing is left behind and that inspect the binary.
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';

export function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

export function threadCount(): number {
  return fs.readdirSync('/proc/self/task').length;
}

/** The ids of this process's threads that carry `name` (/proc/self/task/N/comm). */
export function threadIdsNamed(name: string): string[] {
  return fs.readdirSync('/proc/self/task').filter((tid) => {
    try {
      return fs.readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === name;
    } catch {
      return false; // the thread ended while we looked
    }
  });
}

/** How many of this process's threads carry `name`. */
export function threadsNamed(name: string): number {
  return threadIdsNamed(name).length;
}

/** A thread's scheduling policy (field 41 of /proc/self/task/N/stat): 0 normal, 3 batch, 5 idle. */
export function threadPolicy(tid: string): number {
  const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[41 - 3]);
}

/** Waits (event-loop turns, bounded) for a thread named `name`; returns its id. */
export async function waitForThreadNamed(name: string, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [tid] = threadIdsNamed(name);
    if (tid !== undefined) return tid;
    if (Date.now() > deadline) throw new Error(`no thread named ${name} within ${timeoutMs} ms`);
    await tick();
  }
}

/** write()-family system calls a thread has made (`syscw` in /proc/self/task/N/io). */
export function threadWriteCalls(tid: string): number {
  const line = fs.readFileSync(`/proc/self/task/${tid}/io`, 'utf8').split('\n').find((l) => l.startsWith('syscw:'));
  if (!line) throw new Error(`no syscw in /proc/self/task/${tid}/io`);
  return Number(line.split(/\s+/)[1]);
}

/** Waits (event-loop turns, bounded) until fds and threads are back at a baseline. */
export async function waitForBaseline(baseline: { fds: number; threads: number }, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = { fds: openFds(), threads: threadCount() };
    if (now.fds <= baseline.fds && now.threads <= baseline.threads) return;
    if (Date.now() > deadline) {
      throw new Error(`left behind: fds ${baseline.fds} -> ${now.fds}, threads ${baseline.threads} -> ${now.threads}`);
    }
    await tick();
  }
}

/** The addon node-gyp-build loads for this package. */
export function addonPath(): string {
  const root = path.resolve(__dirname, '..', '..', '..');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = require('node-gyp-build') as { path(dir: string): string };
  return load.path(root);
}
