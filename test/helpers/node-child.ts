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
export function runNodeChild<T>(script: string, input: unknown, options: NodeChildOptions = {}): Promise<NodeChildResult<T>> {
  return runJsonChild<T>(script, [], input, options, 'SIGKILL', '');
}

/**
 * `prefix... node <script> <JSON of input>` (e.g. `unshare --net --`): the shared runner.
 * `stopSignal` ends it at the timeout; `where` says where it ran, for error messages.
 */
export async function runJsonChild<T>(
  script: string,
  prefix: string[],
  input: unknown,
  options: NodeChildOptions,
  stopSignal: NodeJS.Signals,
  where: string,
): Promise<NodeChildResult<T>> {
  const argv = [...prefix, process.execPath, script, JSON.stringify(input)];
  const child = spawn(argv[0], argv.slice(1), {
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
    child.kill(stopSignal);
  }, timeoutMs);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve({ code: c, signal: s }));
  }).finally(() => clearTimeout(timer));
  const stdout = Buffer.concat(out).toString('utf8');
  const stderr = Buffer.concat(err).toString('utf8');
  const name = `${script}${where}`;
  if (timedOut) throw new Error(`${name} stopped after ${timeoutMs} ms: ${stderr}${stdout}`);
  if (code !== 0) throw new Error(`${name} failed (exit ${code ?? signal}): ${stderr}${stdout}`);
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    return { code, signal, result: JSON.parse(last) as T, stderr };
  } catch {
    throw new Error(`${name} printed no JSON: ${stdout}${stderr}`);
  }
}
