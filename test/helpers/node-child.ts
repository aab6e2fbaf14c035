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

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ChildRunOptions extends NodeChildOptions {
  cwd?: string;
  /** Ends the child at the timeout (default SIGKILL). */
  stopSignal?: NodeJS.Signals;
  /** Names the child in error messages (default: the command line). */
  name?: string;
  /** false: resolve with how it ended (a timeout shows as the stop signal) instead of rejecting. Default true. */
  requireSuccess?: boolean;
}

/**
 * The shared child runner: runs `argv`, tracked (killed if this process exits or `signal`
 * aborts), bounded by `timeoutMs`, and rejects unless it exits 0, with its output.
 */
export async function runChild(argv: string[], options: ChildRunOptions = {}): Promise<ChildRun> {
  const child = spawn(argv[0], argv.slice(1), {
    cwd: options.cwd,
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
    child.kill(options.stopSignal ?? 'SIGKILL');
  }, timeoutMs);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve({ code: c, signal: s }));
  }).finally(() => clearTimeout(timer));
  const stdout = Buffer.concat(out).toString('utf8');
  const stderr = Buffer.concat(err).toString('utf8');
  const name = options.name ?? argv.join(' ');
  if (options.requireSuccess === false) return { code, signal, stdout, stderr };
  if (timedOut) throw new Error(`${name} stopped after ${timeoutMs} ms: ${stderr}${stdout}`);
  if (code !== 0) throw new Error(`${name} failed (exit ${code ?? signal}): ${stderr}${stdout}`);
  return { code, signal, stdout, stderr };
}

/**
 * `prefix... node <script> <JSON of input>` (e.g. `unshare --net --`), through runChild.
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
  const name = `${script}${where}`;
  const { code, signal, stdout, stderr } = await runChild(argv, { ...options, stopSignal, name });
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    return { code, signal, result: JSON.parse(last) as T, stderr };
  } catch {
    throw new Error(`${name} printed no JSON: ${stdout}${stderr}`);
  }
}
