// Private network namespaces for peers that insist on a fixed port (rtmpsuck binds
// 0.0.0.0:1935): a Node child runs in a namespace of its own (`unshare --net`, as root),
// brings its loopback up, starts the peers it needs and prints one JSON line, like
// runNodeChild(). Nothing it binds is visible outside, and it all goes with the child.
import { spawn, spawnSync } from 'node:child_process';
import { trackChild } from './children';
import type { NodeChildOptions, NodeChildResult } from './node-child';

/** `unshare --net -- node <script> <JSON of input>`; rejects if it fails or prints no JSON. */
export async function runNodeChildInNetns<T>(script: string, input: unknown, options: NodeChildOptions = {}): Promise<NodeChildResult<T>> {
  const child = spawn('unshare', ['--net', '--', process.execPath, script, JSON.stringify(input)], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child, { signal: options.signal });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    // SIGTERM first: the child's exit handlers stop the peers it started.
    child.kill('SIGTERM');
  }, timeoutMs);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve({ code: c, signal: s }));
  }).finally(() => clearTimeout(timer));
  const stdout = Buffer.concat(out).toString('utf8');
  const stderr = Buffer.concat(err).toString('utf8');
  if (timedOut) throw new Error(`${script} (in a network namespace) stopped after ${timeoutMs} ms: ${stderr}${stdout}`);
  if (code !== 0) throw new Error(`${script} (in a network namespace) failed (exit ${code ?? signal}): ${stderr}${stdout}`);
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    return { code, signal, result: JSON.parse(last) as T, stderr };
  } catch {
    throw new Error(`${script} printed no JSON: ${stdout}${stderr}`);
  }
}

/** Inside the namespace: `ip link set lo up` (a new namespace's loopback is down). */
export function bringLoopbackUp(): void {
  const r = spawnSync('ip', ['link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`ip link set lo up failed: ${r.error?.message ?? r.stderr} (needs root and iproute2)`);
  }
}
