// A real nginx-rtmp server per test: own temp prefix, config, logs and loopback ports.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { trackChild, terminate } from './children';
import {
  renderNginxConfig,
  TLS_LOG_FIELDS,
  type NginxTlsOptions,
  type RtmpApplication,
} from './nginx-config';
import { freePorts, LOOPBACK, tryConnect } from './ports';
import { childPids, waitForProcessGone } from './processes';
import { waitForFile } from './wait-for-file';

export type { NginxTlsOptions, RtmpApplication } from './nginx-config';

const MODULES_DIR = process.env.NGINX_MODULES_DIR ?? '/usr/lib/nginx/modules';
const START_ATTEMPTS = 5;
const TOUCH = '/usr/bin/touch';

export interface NginxOptions {
  /** Default: one application `live` with `live on;`. */
  applications?: RtmpApplication[];
  /** Record everything published; see `recordedFile()` and `waitForRecording()`. */
  record?: boolean;
  /** false → `idle_streams off;` (playing a missing stream fails instead of waiting). */
  idleStreams?: boolean;
  chunkSize?: number;
  /** Bytes, or an nginx size such as '1M'. */
  maxMessage?: number | string;
  /** More directives for the rtmp `server { }` block (e.g. `ping 1s`). */
  serverDirectives?: string[];
  /** A TLS-terminating front (nginx stream module) that forwards to the RTMP port. */
  tls?: NginxTlsOptions;
  /** Bound on the wait for the ports to accept connections. */
  readyTimeoutMs?: number;
}

export interface TlsLogEntry {
  clientPort: number;
  /** null when no handshake completed. */
  protocol: string | null;
  cipher: string | null;
  /** The SNI name the client sent, null without SNI. */
  serverName: string | null;
  /** nginx stream status: 200 for a session that was proxied. */
  status: number;
  bytesFromClient: number;
  bytesToClient: number;
  /** The handshake resumed a session (nginx's `$ssl_session_reused` is 'r'). */
  sessionReused: boolean;
}

export interface NginxServer {
  readonly port: number;
  readonly tlsPort?: number;
  /** The temp prefix directory (config, logs, recordings). */
  readonly prefix: string;
  readonly recordDir?: string;
  /** Master process id while running. */
  readonly pid: number | undefined;
  /** rtmp://127.0.0.1:port/app/name, or rtmps:// on the TLS port; `host` replaces 127.0.0.1. */
  url(app: string, name: string, scheme?: 'rtmp' | 'rtmps', host?: string): string;
  /** `<recordDir>/<name>.flv` (needs `record: true`). */
  recordedFile(name: string): string;
  /** Resolves with recordedFile(name) once nginx has closed that recording. */
  waitForRecording(name: string, timeoutMs?: number): Promise<string>;
  /** Sessions the TLS front has finished (logged at session end, not at handshake). */
  tlsLog(): TlsLogEntry[];
  /** Resolves once at least `count` sessions are in tlsLog(). */
  waitForTlsLog(count?: number, timeoutMs?: number): Promise<TlsLogEntry[]>;
  errorLog(): string;
  /** Resolves with the first error_log line (info level) matching `pattern`, e.g. /play: name='x'/. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Stops and starts nginx again on the same ports, keeping logs and recordings. */
  restart(): Promise<void>;
  /** SIGTERM, wait for exit, remove the prefix directory. */
  stop(): Promise<void>;
}

// Closing recordings makes nginx spawn `touch` for their .done markers as it stops; such an
// orphan can still create a file while the folder is being removed (rmSync's own retries
// cover only the top folder, not record/ inside it). Bounded: 50 tries, 20 ms apart.
async function removeTree(dir: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY' || attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

function findNginx(): string {
  if (process.env.NGINX_BIN) return process.env.NGINX_BIN;
  // Non-root PATHs often lack the sbin directories.
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    const candidate = path.join(dir, 'nginx');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // Try the next one.
    }
  }
  throw new Error('nginx not found (install nginx libnginx-mod-rtmp libnginx-mod-stream)');
}

// Running as root, nginx's workers must drop to an unprivileged user.
function workerIdentity(): { user: string; group: string; uid: number; gid: number } {
  const passwd = fs.readFileSync('/etc/passwd', 'utf8').split('\n');
  const entry = passwd.map((l) => l.split(':')).find((f) => f[0] === 'nobody');
  if (!entry) throw new Error('no user "nobody" for the nginx workers');
  const uid = Number(entry[2]);
  const gid = Number(entry[3]);
  const groups = fs.readFileSync('/etc/group', 'utf8').split('\n');
  const group = groups.map((l) => l.split(':')).find((f) => Number(f[2]) === gid && f[0]);
  return { user: 'nobody', group: group ? group[0] : String(gid), uid, gid };
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function parseTlsLog(text: string, ignoredPorts: Set<number>): TlsLogEntry[] {
  const orNull = (v: string | undefined): string | null => (v === undefined || v === '-' ? null : v);
  const entries: TlsLogEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const values = line.trim().split(' ');
    const field = (name: (typeof TLS_LOG_FIELDS)[number]): string | undefined =>
      values[TLS_LOG_FIELDS.indexOf(name)];
    const clientPort = Number(field('remote_port'));
    if (ignoredPorts.has(clientPort)) continue;
    entries.push({
      clientPort,
      protocol: orNull(field('ssl_protocol')),
      cipher: orNull(field('ssl_cipher')),
      serverName: orNull(field('ssl_server_name')),
      status: Number(field('status')),
      bytesFromClient: Number(field('bytes_received')),
      bytesToClient: Number(field('bytes_sent')),
      sessionReused: field('ssl_session_reused') === 'r',
    });
  }
  return entries;
}

class BindRace extends Error {}

/**
 * Sends an RTMP C0+C1 and resolves true once the server answers: the kernel accepts TCP
 * connections as soon as the master listens, but only a running worker answers. Resolves
 * false on refusal, on a close without an answer, or after `timeoutMs` of silence (another
 * program may hold the port while nginx still retries its bind).
 */
function answersRtmpHandshake(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: LOOPBACK, port });
    const timer = setTimeout(() => done(false), timeoutMs);
    const done = (answered: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answered);
    };
    socket.once('connect', () => {
      const c0c1 = Buffer.alloc(1 + 1536);
      c0c1[0] = 3; // RTMP version; C1's time and random bytes may all be zero.
      socket.write(c0c1);
    });
    socket.once('data', () => done(true));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

// Servers not stopped by their test: SIGTERM (sent by children.ts) and temp dirs removed.
const unstopped = new Set<NginxInstance>();
process.on('exit', () => {
  for (const server of unstopped) fs.rmSync(server.prefix, { recursive: true, force: true });
});

class NginxInstance implements NginxServer {
  port = 0;
  tlsPort?: number;
  readonly recordDir?: string;
  private child?: ChildProcess;
  // Local ports of our own readiness probes, left out of tlsLog().
  private readonly probePorts = new Set<number>();
  private readonly confFile: string;
  private readonly errorLogFile: string;
  private readonly stderrFile: string;
  private readonly tlsLogFile: string;
  // Where this start's output begins in the (appended) logs, to judge this start alone.
  private logOffsets = { stderr: 0, errorLog: 0 };

  constructor(
    readonly prefix: string,
    private readonly options: NginxOptions,
  ) {
    this.confFile = path.join(prefix, 'nginx.conf');
    this.errorLogFile = path.join(prefix, 'logs', 'error.log');
    this.stderrFile = path.join(prefix, 'logs', 'stderr.log');
    this.tlsLogFile = path.join(prefix, 'logs', 'tls.log');
    if (options.record) this.recordDir = path.join(prefix, 'record');
  }

  get pid(): number | undefined {
    return this.child && this.child.exitCode === null && this.child.signalCode === null
      ? this.child.pid
      : undefined;
  }

  prepareDirs(): void {
    fs.mkdirSync(path.join(this.prefix, 'logs'));
    if (this.recordDir) fs.mkdirSync(this.recordDir);
    if (isRoot()) {
      const worker = workerIdentity();
      // The worker user must reach (not list) the prefix and write the recordings.
      fs.chmodSync(this.prefix, 0o711);
      if (this.recordDir) fs.chownSync(this.recordDir, worker.uid, worker.gid);
    }
  }

  writeConfig(): void {
    const worker = isRoot() ? workerIdentity() : undefined;
    const config = renderNginxConfig({
      modulesDir: MODULES_DIR,
      prefix: this.prefix,
      errorLog: this.errorLogFile,
      pidFile: path.join(this.prefix, 'nginx.pid'),
      workerUser: worker && { user: worker.user, group: worker.group },
      port: this.port,
      applications: this.options.applications ?? [{ name: 'live' }],
      record: this.recordDir
        ? { dir: this.recordDir, doneCommand: `${TOUCH} $path.done` }
        : undefined,
      idleStreams: this.options.idleStreams,
      chunkSize: this.options.chunkSize,
      maxMessage: this.options.maxMessage,
      serverDirectives: this.options.serverDirectives,
      tls:
        this.options.tls && this.tlsPort !== undefined
          ? { ...this.options.tls, port: this.tlsPort, log: this.tlsLogFile }
          : undefined,
    });
    fs.writeFileSync(this.confFile, config);
  }

  async startProcess(): Promise<void> {
    const size = (f: string): number => (fs.existsSync(f) ? fs.statSync(f).size : 0);
    this.logOffsets = { stderr: size(this.stderrFile), errorLog: size(this.errorLogFile) };
    const stderr = fs.openSync(this.stderrFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(
        findNginx(),
        ['-p', `${this.prefix}/`, '-c', this.confFile, '-e', this.errorLogFile],
        { stdio: ['ignore', stderr, stderr] },
      );
    } finally {
      fs.closeSync(stderr);
    }
    this.child = child;
    // SIGTERM, not SIGKILL: the master then stops its worker too.
    trackChild(child, { exitSignal: 'SIGTERM' });
    // A server a test forgot to stop must not keep the test process alive.
    child.unref();
    const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
    await Promise.race([this.waitUntilAccepting(child), spawnError]);
  }

  private async waitUntilAccepting(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 10000);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // The RTMP port must answer a handshake (the worker runs); the TLS port, opened by the
    // same master and served by the same worker, must accept.
    const probes: [number, () => Promise<boolean>][] = [
      [this.port, () => answersRtmpHandshake(this.port)],
    ];
    const tlsPort = this.tlsPort;
    if (tlsPort !== undefined) {
      probes.push([
        tlsPort,
        async () => {
          const localPort = await tryConnect(tlsPort, LOOPBACK);
          // Our probe shows up in the TLS log: remember its port to leave it out.
          if (localPort !== null) this.probePorts.add(localPort);
          return localPort !== null;
        },
      ]);
    }
    for (const [port, probe] of probes) {
      let delay = 2;
      for (;;) {
        if (child.exitCode !== null || child.signalCode !== null) throw this.earlyExitError();
        if (await probe()) break;
        if (Date.now() > deadline) {
          throw new Error(`nginx did not answer on port ${port}: ${this.logsForError()}`);
        }
        // Back off, but wake at once if nginx exits.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          exited,
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, delay);
          }),
        ]);
        clearTimeout(timer);
        delay = Math.min(delay * 2, 50);
      }
    }
  }

  // What nginx wrote since this start, for error messages.
  private logsForError(): string {
    const read = (f: string, from: number): string => {
      try {
        return fs.readFileSync(f).subarray(from).toString('utf8');
      } catch {
        return '';
      }
    };
    const stderr = read(this.stderrFile, this.logOffsets.stderr);
    return `${stderr}${read(this.errorLogFile, this.logOffsets.errorLog)}`.trim();
  }

  private earlyExitError(): Error {
    const logs = this.logsForError();
    const message = `nginx exited early (${this.child?.exitCode ?? this.child?.signalCode}): ${logs}`;
    return /Address already in use/.test(logs) ? new BindRace(message) : new Error(message);
  }

  async stopProcess(): Promise<void> {
    const child = this.child;
    if (!child) return;
    // Keep the event loop alive while we wait for the exit.
    child.ref();
    // Workers can outlive the master while they finish writing a recording: wait for them
    // too, so nothing writes into the prefix once stop() returns.
    const workers = child.pid !== undefined ? childPids(child.pid) : [];
    await terminate(child, 'SIGTERM', 5000);
    for (const pid of workers) await waitForProcessGone(pid, 5000);
    this.child = undefined;
  }

  url(app: string, name: string, scheme: 'rtmp' | 'rtmps' = 'rtmp', host = LOOPBACK): string {
    if (scheme === 'rtmps' && this.tlsPort === undefined) {
      throw new Error('this server has no TLS front (start it with the tls option)');
    }
    const port = scheme === 'rtmps' ? this.tlsPort : this.port;
    return `${scheme}://${host}:${port}/${app}/${name}`;
  }

  recordedFile(name: string): string {
    if (!this.recordDir) throw new Error('this server does not record (start it with record: true)');
    return path.join(this.recordDir, `${name}.flv`);
  }

  async waitForRecording(name: string, timeoutMs = 10000): Promise<string> {
    const file = this.recordedFile(name);
    const marker = `${file}.done`;
    await waitForFile(
      this.recordDir as string,
      () => (fs.existsSync(marker) ? true : undefined),
      timeoutMs,
      `nginx to close the recording ${file}`,
    );
    // Consumed, so that a later recording under the same name can be waited for.
    fs.rmSync(marker, { force: true });
    return file;
  }

  tlsLog(): TlsLogEntry[] {
    if (this.tlsPort === undefined) throw new Error('this server has no TLS front');
    let text = '';
    try {
      text = fs.readFileSync(this.tlsLogFile, 'utf8');
    } catch {
      // Not written yet.
    }
    return parseTlsLog(text, this.probePorts);
  }

  // nginx logs a TLS session when it ends, after the client has closed: on a loaded CI machine
  // dozens of them can take well over 5 s to reach the log. The wait ends as soon as they do.
  waitForTlsLog(count = 1, timeoutMs = 30_000): Promise<TlsLogEntry[]> {
    // nginx creates the log file at start, so it can be watched.
    return waitForFile(
      this.tlsLogFile,
      () => {
        const entries = this.tlsLog();
        return entries.length >= count ? entries : undefined;
      },
      timeoutMs,
      `${count} TLS session(s) in ${this.tlsLogFile}`,
    );
  }

  errorLog(): string {
    try {
      return fs.readFileSync(this.errorLogFile, 'utf8');
    } catch {
      return '';
    }
  }

  waitForLog(pattern: RegExp, timeoutMs = 5000): Promise<string> {
    return waitForFile(
      this.errorLogFile,
      () => this.errorLog().split('\n').find((line) => pattern.test(line)),
      timeoutMs,
      `${pattern} in nginx's error log`,
    );
  }

  async restart(): Promise<void> {
    await this.stopProcess();
    await this.startProcess();
  }

  async stop(): Promise<void> {
    try {
      await this.stopProcess();
    } finally {
      await removeTree(this.prefix);
      unstopped.delete(this);
    }
  }
}

/** Starts nginx-rtmp on free loopback ports and resolves once they accept connections. */
export async function startNginx(options: NginxOptions = {}): Promise<NginxServer> {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-nginx-'));
  const server = new NginxInstance(prefix, options);
  unstopped.add(server);
  try {
    server.prepareDirs();
    for (let attempt = 1; ; attempt++) {
      const ports = await freePorts(options.tls ? 2 : 1);
      server.port = ports[0];
      server.tlsPort = options.tls ? ports[1] : undefined;
      server.writeConfig();
      try {
        await server.startProcess();
        return server;
      } catch (err) {
        await server.stopProcess();
        // Someone took a port between freePorts() and nginx's bind: try other ports.
        if (!(err instanceof BindRace) || attempt >= START_ATTEMPTS) throw err;
      }
    }
  } catch (err) {
    await server.stop();
    throw err;
  }
}
