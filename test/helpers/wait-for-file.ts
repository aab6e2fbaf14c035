// Waits for a condition on files that a server writes (a marker, a log line), driven by
// inotify (fs.watch) rather than by sleeping, and bounded in time.
import fs from 'node:fs';

/**
 * Resolves with `check()`'s first non-undefined result, re-evaluated whenever something
 * changes in `watchPath` (a file or a directory); rejects after `timeoutMs`.
 */
export function waitForFile<T>(
  watchPath: string,
  check: () => T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const first = check();
  if (first !== undefined) return Promise.resolve(first);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | null, value?: T): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      watcher.close();
      if (err) reject(err);
      else resolve(value as T);
    };
    const recheck = (): void => {
      try {
        const value = check();
        if (value !== undefined) finish(null, value);
      } catch (err) {
        finish(err as Error);
      }
    };
    const watcher = fs.watch(watchPath, recheck);
    watcher.on('error', (err) => finish(err));
    const timer = setTimeout(
      () => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
    // The change may have happened between the first check and the watch.
    recheck();
  });
}
