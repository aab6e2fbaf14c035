// Runs a compiled Node script in a child process and takes back the JSON it prints: for
// process-wide state (the OpenSSL engine decision) that each scenario needs fresh.
import { spawn } from 'node:child_process';
import { trackChild } from './children';

export interface NodeChildResult<T> {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last stdout line, parsed as JSON. */
  result: T;
  stderr: string;
}

export interface NodeChildOptions {
  /** Added to (not replacing) this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Kill the child after this long (default 30 s). */
  timeoutMs?: number;
  /** Kill the child when this aborts (pass a test's `t.signal`). */
  signal?: AbortSignal;
}

/** `node <script> <JSON of input>`; rejects if it fails or prints no JSON. */
export async function runNodeChild<T>(script: string, input: unknown, options: NodeChildOptions = {}): Promise<NodeChildResult<T>> {
  const child = spawn(process.execPath, [script, JSON.stringify(input)], {
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
    child.kill('SIGKILL');
  }, timeoutMs);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve({ code: c, signal: s }));
  }).finally(() => clearTimeout(timer));
  const stdout = Buffer.concat(out).toString('utf8');
  const stderr = Buffer.concat(err).toString('utf8');
  if (timedOut) throw new Error(`${script} killed after ${timeoutMs} ms: ${stderr}`);
  if (code !== 0) throw new Error(`${script} failed (exit ${code ?? signal}): ${stderr}${stdout}`);
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    return { code, signal, result: JSON.parse(last) as T, stderr };
  } catch {
    throw new Error(`${script} printed no JSON: ${stdout}${stderr}`);
  }
}
