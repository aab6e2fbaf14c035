// A child process for the address-family tests, run in network and mount namespaces of its
// own (`unshare --net --mount`), as root. Not a test file itself. It builds:
//
//   this namespace ("client")                          a second one ("server", a sleeping
//                                                      `unshare --net` process)
//   vethA0 10.201.1.1/24, 2001:db8::1/64  ── link A ──  vethA1 10.201.1.2/24
//   vethB0 10.201.2.1/24                  ── link B ──  vethB1 10.201.2.2/24
//                                                      lo     10.201.9.9/32 (the "ingest")
//
// The main route to 10.201.9.9 is link A; a policy rule sends what comes from 10.201.2.1 over
// link B, as a multi-homed camera (Wi-Fi and LTE) is set up. 2001:db8::2 is a black hole: a
// permanent neighbour entry with a MAC nobody has, so a connect to it hears nothing at all.
// /etc/hosts is replaced (a bind mount, private to this mount namespace) with names that
// have A and AAAA records. nginx runs here on 127.0.0.1; small relays put it behind other
// addresses: [::1] and 127.0.0.1 on one port, 127.0.0.1 alone on another, and
// 10.201.9.9:1935, whose listening socket is made inside the server namespace (by a helper
// process there, handed over through Node's IPC) so that connections to it really cross a
// link. Each relay records the peer address of what it accepts. Prints one JSON line.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { publish, RtmpError, type RtmpOptions, type SocketInfo } from '../../lib/index';
import { FlvParser } from '../../lib/flv';
import { AV_FLV } from './fixtures';
import { bringLoopbackUp } from './netns';
import { startNginx } from './nginx';

export const INGEST = '10.201.9.9';
export const LINK_A_CLIENT = '10.201.1.1';
export const LINK_B_CLIENT = '10.201.2.1';
export const NOT_HERE = '10.201.3.1';
const BLACKHOLE_V6 = '2001:db8::2';
const INGEST_PORT = 1935;

export interface FamiliesStep {
  name: string;
  /** `host` and `port` are names for what this child set up: see STEP_TARGETS. */
  target: 'dual-blackholed' | 'dual-both' | 'dual-v6-refused' | 'ingest';
  options: Pick<RtmpOptions, 'family' | 'localAddress' | 'timeout'>;
  /** Publish the fixture's tags (to see the bytes on the links), else only connect. */
  publishFixture?: boolean;
}

export interface FamiliesStepResult {
  name: string;
  socketInfo?: SocketInfo | null;
  connectTimeMs?: number;
  error?: { code: string; message: string };
  /** Bytes and packets each link's client end sent during the step. */
  linkA: { bytes: number; packets: number };
  linkB: { bytes: number; packets: number };
  /** Peer addresses the relay of the step's target accepted, in order. */
  relayPeers: string[];
  /** Bytes the relay read from those connections (counted once they had closed). */
  relayBytes: number;
  /** TCP connects the client started (the relays' own connects to nginx left out). */
  connectAttempts: number;
  /** Of dual-both: connections accepted on ::1 and on 127.0.0.1. */
  acceptedV6?: number;
  acceptedV4?: number;
  bytesPublished?: number;
}

export interface FamiliesResult {
  steps: FamiliesStepResult[];
}

function run(command: string, ...args: string[]): string {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

function linkCounters(dev: string): { bytes: number; packets: number } {
  const [link] = JSON.parse(run('ip', '-s', '-j', 'link', 'show', 'dev', dev)) as [{ stats64: { tx: { bytes: number; packets: number } } }];
  return { bytes: link.stats64.tx.bytes, packets: link.stats64.tx.packets };
}

/** TCP connect attempts made in this namespace so far (SYNs sent: /proc/net/snmp ActiveOpens). */
function activeOpens(): number {
  const lines = fs.readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Tcp:'));
  const [names, values] = lines.map((l) => l.trim().split(/\s+/));
  return Number(values[names.indexOf('ActiveOpens')]);
}

function buildLinks(serverPid: number): void {
  const inServer = (...args: string[]): string => run('nsenter', '-t', String(serverPid), '-n', ...args);
  for (const link of ['A', 'B']) {
    run('ip', 'link', 'add', `veth${link}0`, 'type', 'veth', 'peer', 'name', `veth${link}1`);
    run('ip', 'link', 'set', `veth${link}1`, 'netns', String(serverPid));
  }
  run('ip', 'addr', 'add', `${LINK_A_CLIENT}/24`, 'dev', 'vethA0');
  run('ip', 'addr', 'add', `${LINK_B_CLIENT}/24`, 'dev', 'vethB0');
  run('ip', '-6', 'addr', 'add', '2001:db8::1/64', 'dev', 'vethA0', 'nodad');
  run('ip', 'link', 'set', 'vethA0', 'up');
  run('ip', 'link', 'set', 'vethB0', 'up');
  run('ip', '-6', 'neigh', 'replace', BLACKHOLE_V6, 'lladdr', '02:00:00:00:00:99', 'dev', 'vethA0', 'nud', 'permanent');
  inServer('ip', 'link', 'set', 'lo', 'up');
  inServer('ip', 'addr', 'add', '10.201.1.2/24', 'dev', 'vethA1');
  inServer('ip', 'addr', 'add', '10.201.2.2/24', 'dev', 'vethB1');
  inServer('ip', 'addr', 'add', `${INGEST}/32`, 'dev', 'lo');
  inServer('ip', 'link', 'set', 'vethA1', 'up');
  inServer('ip', 'link', 'set', 'vethB1', 'up');
  run('ip', 'route', 'add', `${INGEST}/32`, 'via', '10.201.1.2', 'dev', 'vethA0');
  run('ip', 'rule', 'add', 'from', LINK_B_CLIENT, 'table', '102');
  run('ip', 'route', 'add', `${INGEST}/32`, 'via', '10.201.2.2', 'dev', 'vethB0', 'table', '102');
}

/**
 * A listening socket made inside the server namespace, handed to this process; the helper
 * closes its own copy (else it would accept some connections itself) and exits.
 */
function listenInServerNamespace(serverPid: number): Promise<{ server: net.Server; helper: ChildProcess }> {
  const code = `const s = require('net').createServer();
s.listen(${INGEST_PORT}, '${INGEST}', () => process.send('listening', s, () => { s.close(); process.disconnect(); }));`;
  const helper = spawn('nsenter', ['-t', String(serverPid), '-n', process.execPath, '-e', code], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    helper.once('error', reject);
    helper.once('exit', (c) => reject(new Error(`the listener helper exited (${c})`)));
    helper.once('message', (_m, handle) => resolve({ server: handle as net.Server, helper }));
  });
}

interface Accepted {
  peer: string;
  /** Resolves with the bytes read from the client once its socket has closed. */
  done: Promise<number>;
}

/** Pipes each connection accepted by `server` to nginx, noting it in `accepted`. */
function relay(server: net.Server, nginxPort: number, accepted: Accepted[]): void {
  server.on('connection', (socket) => {
    accepted.push({ peer: socket.remoteAddress ?? '?', done: new Promise((resolve) => socket.once('close', () => resolve(socket.bytesRead))) });
    const upstream = net.connect(nginxPort, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    const end = (): void => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
}

function listen(host: string, port = 0): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

async function main(): Promise<void> {
  const steps = JSON.parse(process.argv[2]) as FamiliesStep[];
  bringLoopbackUp();
  const serverNs = spawn('unshare', ['--net', '--', 'sleep', '600'], { stdio: 'ignore' });
  const stops: (() => unknown)[] = [() => serverNs.kill('SIGKILL')];
  const results: FamiliesStepResult[] = [];
  try {
    // unshare execs sleep once the namespace is made: wait for that before moving links in.
    for (let i = 0; i < 200 && !fs.readlinkSync(`/proc/${serverNs.pid}/exe`).endsWith('/sleep'); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    buildLinks(serverNs.pid!);

    const nginx = await startNginx();
    stops.push(() => nginx.stop());
    const peers: Record<FamiliesStep['target'], Accepted[]> = { 'dual-blackholed': [], 'dual-both': [], 'dual-v6-refused': [], ingest: [] };
    // dual-blackholed: nginx itself on 127.0.0.1, the AAAA a black hole.
    // dual-both: relays on [::1]:P and 127.0.0.1:P. dual-v6-refused: 127.0.0.1:Q only.
    const v4 = await listen('127.0.0.1');
    const bothPort = (v4.address() as net.AddressInfo).port;
    const v6 = await listen('::1', bothPort);
    const v4Only = await listen('127.0.0.1');
    const accepted = { v6: 0, v4: 0 };
    v6.on('connection', () => accepted.v6++);
    v4.on('connection', () => accepted.v4++);
    relay(v6, nginx.port, peers['dual-both']);
    relay(v4, nginx.port, peers['dual-both']);
    relay(v4Only, nginx.port, peers['dual-v6-refused']);
    const { server: ingest, helper } = await listenInServerNamespace(serverNs.pid!);
    helper.removeAllListeners('exit');
    stops.push(() => ingest.close(), () => v4.close(), () => v6.close(), () => v4Only.close());
    relay(ingest, nginx.port, peers.ingest);

    const hosts = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-hosts-')), 'hosts');
    fs.writeFileSync(
      hosts,
      [
        '127.0.0.1 localhost',
        `127.0.0.1 dual-blackholed.test`,
        `${BLACKHOLE_V6} dual-blackholed.test`,
        '127.0.0.1 dual-both.test',
        '::1 dual-both.test',
        '127.0.0.1 dual-v6-refused.test',
        '::1 dual-v6-refused.test',
        '',
      ].join('\n'),
    );
    run('mount', '--bind', hosts, '/etc/hosts');

    const urls: Record<FamiliesStep['target'], (key: string) => string> = {
      'dual-blackholed': (key) => `rtmp://dual-blackholed.test:${nginx.port}/live/${key}`,
      'dual-both': (key) => `rtmp://dual-both.test:${bothPort}/live/${key}`,
      'dual-v6-refused': (key) => `rtmp://dual-v6-refused.test:${(v4Only.address() as net.AddressInfo).port}/live/${key}`,
      ingest: (key) => `rtmp://${INGEST}:${INGEST_PORT}/live/${key}`,
    };
    const tags = new FlvParser().push(fs.readFileSync(AV_FLV));

    for (const [i, step] of steps.entries()) {
      const before = { opens: activeOpens(), a: linkCounters('vethA0'), b: linkCounters('vethB0'), peers: peers[step.target].length, ...accepted };
      const result: Partial<FamiliesStepResult> = { name: step.name };
      try {
        const connection = await publish(urls[step.target](`families-${i}`), { timeout: 10_000, ...step.options });
        result.socketInfo = connection.socketInfo();
        result.connectTimeMs = connection.stats().connectTimeMs;
        if (step.publishFixture) {
          for (let t = 0; t < tags.length; t += 32) await connection.writeTags(tags.slice(t, t + 32));
          result.bytesPublished = connection.stats().bytesOut;
        }
        await connection.close();
      } catch (e) {
        const error = e as RtmpError;
        result.error = { code: error.code, message: error.message };
      }
      const stepAccepted = peers[step.target].slice(before.peers);
      // Once the relay has read all the client sent: then the links carried all of it.
      const relayBytes = (await Promise.all(stepAccepted.map((c) => c.done))).reduce((x, y) => x + y, 0);
      const a = linkCounters('vethA0');
      const b = linkCounters('vethB0');
      results.push({
        ...result,
        name: step.name,
        linkA: { bytes: a.bytes - before.a.bytes, packets: a.packets - before.a.packets },
        linkB: { bytes: b.bytes - before.b.bytes, packets: b.packets - before.b.packets },
        relayPeers: stepAccepted.map((c) => c.peer),
        relayBytes,
        connectAttempts: activeOpens() - before.opens - stepAccepted.length,
        acceptedV6: accepted.v6 - before.v6,
        acceptedV4: accepted.v4 - before.v4,
      });
    }
  } finally {
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => undefined);
  }
  process.stdout.write(`${JSON.stringify({ steps: results } satisfies FamiliesResult)}\n`);
}

// The test imports the addresses from here; only the child runs.
if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
