// rtmpsuck (Debian's rtmpdump package, a GnuTLS/nettle build of librtmp, independent of
// ours): it completes the server side of an RTMP or RTMPE handshake on 0.0.0.0:1935 and
// relays plain RTMP to the server named by the client's tcUrl. It ignores arguments and
// reads commands from stdin (and spins at EOF), so stdin stays an open pipe; it writes what
// it relays for a player into its working directory. Only run it in a private network
// namespace (netns.ts).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { terminate, trackChild } from './children';

export const RTMPSUCK_PORT = 1935;

export interface Rtmpsuck {
  readonly pid: number;
  /** Everything it printed so far (stdout and stderr). */
  log(): string;
  /** Resolves with the log once `pattern` appeared in it. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

export async function startRtmpsuck(readyTimeoutMs = 5000): Promise<Rtmpsuck> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-rtmpsuck-'));
  const child = spawn('rtmpsuck', [], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  trackChild(child, { exitSignal: 'SIGKILL' });
  let text = '';
  const listeners = new Set<() => void>();
  const onOutput = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  const waitForLog = (pattern: RegExp, timeoutMs = 5000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (pattern.test(text)) done(() => resolve(text));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`${pattern} not in rtmpsuck's output: ${text}`))), timeoutMs);
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      void exited.then(() => done(() => (pattern.test(text) ? resolve(text) : reject(new Error(`rtmpsuck exited: ${text}`)))));
      check();
    });

  const stop = async (): Promise<void> => {
    // It polls its stop flag once a second; nothing of it needs a clean end.
    await terminate(child, 'SIGKILL', 2000);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // "Streaming on" is printed once the listening socket is bound.
  const ready = waitForLog(/Streaming on rtmp:/, readyTimeoutMs);
  const failed = spawnError.then((e) => {
    throw new Error(`rtmpsuck could not start (install Debian's rtmpdump package): ${e.message}`);
  });
  try {
    await Promise.race([ready, failed]);
  } catch (e) {
    await stop();
    throw e;
  }
  return { pid: child.pid as number, log: () => text, waitForLog, stop };
}
