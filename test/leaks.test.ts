// Leaks: hundreds of connect/publish/close cycles over RTMP, RTMPS and RTMPE, and connects
// that fail (refused, TLS verification, a corrupted RTMPE handshake, a command reply cut
// short), must leave no native object behind: the addon's liveObjects() counts (connection
// wrappers, sessions, threads, RTMP structs, SSL, SSL_CTX, librtmp's heap blocks) come back
// to zero, and this process's fds and threads to where they were. Long runs and the
// sanitizer: scripts/leak-cycles.js.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { encodeAmf0 } from '../lib/amf0';
import { clearTlsSessions, ErrorCodes, publish, type ErrorCode, type FlvTag, type RtmpConnection, type RtmpOptions } from '../lib/index';
import { FlvParser } from '../lib/flv';
import { binding } from '../lib/native';
import { makeTestPki, type TestPki } from './helpers/certs';
import { expectRtmpError } from './helpers/expect-error';
import { AV_FLV } from './helpers/fixtures';
import { serveHostilePlan, type HostileServer } from './helpers/hostile-server';
import { liveObjects, NOTHING_LIVE, waitForLiveObjects, type LiveObjects } from './helpers/live-objects';
import { startNginx, type NginxServer } from './helpers/nginx';
import { freePort, LOOPBACK } from './helpers/ports';
import { openFds, threadCount, waitForBaseline } from './helpers/process-state';
import { startRtmpeProxy, type RtmpeProxy } from './helpers/rtmpe-proxy';
import { ChunkWriter } from './helpers/rtmp-chunks';

const CYCLES = Number(process.env.LEAK_CYCLES ?? 200);
const FAILURES = Number(process.env.LEAK_FAILURES ?? 100);
const TIMEOUT_MS = 5000;
// Connections at once: most of a cycle is waiting on loopback round trips.
const CONCURRENCY = 4;

const tags: FlvTag[] = new FlvParser().push(fs.readFileSync(AV_FLV)).slice(0, 5);

let pki: TestPki;
let nginx: NginxServer; // plain RTMP and a TLS front
let rtmpe: RtmpeProxy; // RTMPE in front of nginx
let corruptRtmpe: RtmpeProxy; // answers with a wrong S2 signature
let cutReply: HostileServer; // answers connect with a _result cut inside its object
let refusedPort: number;

/** connect's _result, cut in the middle of the number after `fmsVer` in its info object. */
function resultCutInsideObject(): Buffer {
  const whole = encodeAmf0('_result', 1, { fmsVer: 'FMS/3,0,1,123', capabilities: 31 });
  return whole.subarray(0, whole.length - 7);
}

before(async () => {
  pki = await makeTestPki();
  nginx = await startNginx({ tls: { cert: pki.server.certPath, key: pki.server.keyPath } });
  [rtmpe, corruptRtmpe] = await Promise.all([startRtmpeProxy({ port: nginx.port }), startRtmpeProxy({ port: nginx.port }, { corruptS2: true })]);
  const reply = new ChunkWriter().write({ csid: 3, type: 20, timestamp: 0, streamId: 0, payload: resultCutInsideObject() });
  cutReply = await serveHostilePlan({ handshake: 'plain', bursts: [reply], hang: false, reset: false, log: ['_result cut inside its object'] });
  refusedPort = await freePort();
});

after(async () => {
  await Promise.all([nginx, rtmpe, corruptRtmpe, cutReply].filter(Boolean).map((s) => s.stop()));
  pki?.remove();
});

const urls = {
  rtmp: (key: string): string => nginx.url('live', key),
  rtmps: (key: string): string => nginx.url('live', key, 'rtmps', 'localhost'),
  rtmpe: (key: string): string => `rtmpe://${LOOPBACK}:${rtmpe.port}/live/${key}`,
};
const tlsOptions = (): RtmpOptions => ({ tls: { ca: pki.ca.cert } });

async function publishCycle(url: string, options: RtmpOptions = {}): Promise<void> {
  const connection = await publish(url, { timeout: TIMEOUT_MS, ...options });
  try {
    await connection.writeTags(tags);
  } finally {
    await connection.close();
  }
}

/**
 * Runs `cycles`, `CONCURRENCY` at a time, after one warm-up (OpenSSL's tables and the libuv
 * pool are made once, not leaked), then checks that every live count is back at zero and
 * fds and threads are flat. Returns the largest counts seen after a cycle.
 */
async function leavesNothing(cycles: number, cycle: (i: number) => Promise<void>): Promise<LiveObjects> {
  await cycle(-1);
  // Once the warm-up's wrappers are collected and its thread is done; the rest is compared
  // after the cycles, so that a leak shows as growth per cycle.
  const unbounded = { rtmp: Infinity, ssl: Infinity, sslCtx: Infinity, librtmpBlocks: Infinity, librtmpBytes: Infinity };
  const start = await waitForLiveObjects({ ...NOTHING_LIVE, ...unbounded }, { collect: true });
  const baseline = { fds: openFds(), threads: threadCount() };
  const peak = { ...NOTHING_LIVE };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cycles) {
      await cycle(next++);
      const now = liveObjects();
      for (const key of Object.keys(peak) as (keyof LiveObjects)[]) peak[key] = Math.max(peak[key], now[key]);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await waitForLiveObjects(start, { collect: true, timeoutMs: 5000 });
  await waitForBaseline(baseline, 5000);
  assert.deepEqual(start, NOTHING_LIVE, 'the warm-up cycle left native objects behind');
  return peak;
}

describe('publish cycles leave no native object behind', () => {
  test(`${CYCLES} RTMP cycles`, async () => {
    const peak = await leavesNothing(CYCLES, (i) => publishCycle(urls.rtmp(`leaks-rtmp-${i}`)));
    assert.ok(peak.rtmp <= CONCURRENCY, `rtmp peak ${peak.rtmp}`);
    assert.equal(peak.ssl, 0);
  });

  test(`${CYCLES} RTMPS cycles: one SSL per connection, one SSL_CTX for them all, both freed`, async () => {
    const peak = await leavesNothing(CYCLES, (i) => publishCycle(urls.rtmps(`leaks-rtmps-${i}`), tlsOptions()));
    assert.ok(peak.ssl >= 1 && peak.ssl <= CONCURRENCY, `ssl peak ${peak.ssl}`);
    // The cache shares a context per configuration and keeps it only while a connection
    // uses it: never more than one here, none once all are closed.
    assert.equal(peak.sslCtx, 1);
    // The cycles resumed one another's sessions; the session cache holds the last one, and
    // once cleared no SSL_SESSION it took is left.
    assert.equal(binding.tlsSessionCache().entries, 1);
    clearTlsSessions();
    assert.equal(binding.tlsSessionCache().liveSessions, 0);
  });

  test(`${CYCLES} RTMPE cycles (Diffie-Hellman, RC4 keys)`, async () => {
    const peak = await leavesNothing(CYCLES, (i) => publishCycle(urls.rtmpe(`leaks-rtmpe-${i}`)));
    assert.ok(peak.rtmp <= CONCURRENCY, `rtmp peak ${peak.rtmp}`);
  });
});

describe('the counts are of real objects', () => {
  test('three open RTMPS connections: three of everything, one shared SSL_CTX; close frees them before any GC', async () => {
    await waitForLiveObjects(NOTHING_LIVE, { collect: true });
    let open: RtmpConnection[] = await Promise.all([1, 2, 3].map((n) => publish(urls.rtmps(`leaks-shared-${n}`), { timeout: TIMEOUT_MS, ...tlsOptions() })));
    const during = liveObjects();
    assert.deepEqual(
      { connections: during.connections, sessions: during.sessions, threads: during.threads, rtmp: during.rtmp, ssl: during.ssl, sslCtx: during.sslCtx },
      { connections: 3, sessions: 3, threads: 3, rtmp: 3, ssl: 3, sslCtx: 1 },
    );
    assert.ok(during.librtmpBlocks > 0, 'open connections hold librtmp blocks');
    await Promise.all(open.map((c) => c.close()));
    // Still referenced here, so nothing can have been collected: close() itself freed these.
    const closed = await waitForLiveObjects({ ...NOTHING_LIVE, connections: 3, sessions: 3 });
    assert.equal(closed.connections, 3);
    open = [];
    await waitForLiveObjects(NOTHING_LIVE, { collect: true });
  });
});

describe('failed connects leave no native object behind', () => {
  const failures: [string, (i: number) => Promise<unknown>, ErrorCode][] = [
    ['refused (librtmp had parsed the URL)', (i) => publish(`rtmp://${LOOPBACK}:${refusedPort}/live/refused-${i}`, { timeout: TIMEOUT_MS }), ErrorCodes.CONNECT_REFUSED],
    ['refused over RTMPS (the SSL_CTX was made)', (i) => publish(`rtmps://localhost:${refusedPort}/live/refused-${i}`, { timeout: TIMEOUT_MS, ...tlsOptions() }), ErrorCodes.CONNECT_REFUSED],
    ['TLS certificate verification', (i) => publish(urls.rtmps(`unverified-${i}`), { timeout: TIMEOUT_MS, tls: { ca: pki.selfSigned.cert } }), ErrorCodes.TLS_CERT_VERIFY],
    ['a corrupted RTMPE handshake', (i) => publish(`rtmpe://${LOOPBACK}:${corruptRtmpe.port}/live/corrupt-${i}`, { timeout: TIMEOUT_MS }), ErrorCodes.RTMP_HANDSHAKE],
    ['a connect reply cut inside an AMF object', (i) => publish(`rtmp://${LOOPBACK}:${cutReply.port}/live/cut-${i}`, { timeout: TIMEOUT_MS }), ErrorCodes.RTMP_CONNECT_REJECTED],
  ];
  for (const [what, attempt, code] of failures) {
    test(`${FAILURES} × ${what}: ${code}`, async () => {
      await leavesNothing(FAILURES, async (i) => {
        await expectRtmpError(attempt(i), code);
      });
    });
  }
});
