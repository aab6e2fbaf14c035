// Node-Media-Server (npm `node-media-server`, 4.x): a second RTMP/RTMPS server, written
// independently of nginx-rtmp, run as a child process on free loopback ports with its own
// config and data folder. It behaves differently where it matters to a client: a player
// stays attached after the publisher leaves and is never told the stream ended.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { trackChild, terminate, waitForExit } from './children';
import { freePorts, LOOPBACK } from './ports';

export interface NodeMediaServer {
  readonly port: number;
  readonly tlsPort?: number;
  readonly pid: number | undefined;
  /** rtmp://127.0.0.1:port/app/name, or rtmps:// on the TLS port; `host` replaces 127.0.0.1. */
  url(app: string, name: string, scheme?: 'rtmp' | 'rtmps', host?: string): string;
  /** Everything the server logged so far. */
  log(): string;
  /** Resolves with the first log line matching `pattern`. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGKILL: the server dies mid-stream, sockets reset or closed by the kernel. */
  kill(): Promise<void>;
  /** SIGTERM (SIGKILL after 5 s), then the folder is removed. */
  stop(): Promise<void>;
}

export interface NodeMediaServerOptions {
  tls?: { cert: string; key: string };
}

function serverScript(): string {
  return path.join(path.dirname(require.resolve('node-media-server/package.json')), 'bin', 'app.js');
}

export async function startNodeMediaServer(options: NodeMediaServerOptions = {}): Promise<NodeMediaServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nms-'));
  const [port, httpPort, tlsPort] = await freePorts(options.tls ? 3 : 2);
  const config = {
    bind: LOOPBACK,
    notify: { url: '' },
    store: { path: path.join(dir, 'data') },
    auth: { play: false, publish: false, secret: '', jwt: { secret: 'test-only', expiresIn: '1h', refreshExpiresIn: '1h', algorithm: 'HS256', users: [] } },
    rtmp: { port },
    ...(options.tls ? { rtmps: { port: tlsPort, key: options.tls.key, cert: options.tls.cert } } : {}),
    http: { port: httpPort },
    webadmin: { enable: false },
    record: { auto: false, path: path.join(dir, 'record') },
  };
  const configPath = path.join(dir, 'config.json');
  fs.writeFileSync(configPath, JSON.stringify(config));
  const child: ChildProcess = spawn(process.execPath, [serverScript(), '-c', configPath, '--no-admin'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  let output = '';
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  const onData = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    for (const w of [...waiters]) {
      const line = output.split('\n').find((l) => w.pattern.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = waitForExit(child);

  const waitForLog = (pattern: RegExp, timeoutMs = 10_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const line = output.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) return resolve(line);
      const timer = setTimeout(() => reject(new Error(`Node-Media-Server logged no line matching ${String(pattern)}:\n${output}`)), timeoutMs);
      waiters.push({
        pattern,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
      void exited.then(() => reject(new Error(`Node-Media-Server exited:\n${output}`)));
    });

  const remove = (): void => fs.rmSync(dir, { recursive: true, force: true });
  try {
    await waitForLog(new RegExp(`Rtmp Server listening on port ${LOOPBACK.replace(/\./g, '\\.')}:${port}`));
    if (options.tls) await waitForLog(new RegExp(`Rtmps Server listening on port .*:${tlsPort}`));
  } catch (error) {
    await terminate(child, 'SIGKILL');
    remove();
    throw error;
  }
  return {
    port,
    tlsPort: options.tls ? tlsPort : undefined,
    get pid() {
      return child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    url(app, name, scheme = 'rtmp', host = LOOPBACK) {
      return `${scheme}://${host}:${scheme === 'rtmps' ? tlsPort : port}/${app}/${name}`;
    },
    log: () => output,
    waitForLog,
    async kill() {
      await terminate(child, 'SIGKILL');
    },
    async stop() {
      await terminate(child, 'SIGTERM');
      remove();
    },
  };
}
