// RTMP tunnelled through HTTP (rtmpt://) and HTTPS (rtmpts://). nginx-rtmp does not speak
// RTMPT, so a test gateway (helpers/rtmpt-gateway.ts) plays its server side and bridges each
// session to nginx; FFmpeg's rtmpt client checks the gateway first. What was published is
// decoded from nginx's recording, what was played is written to an FLV and decoded, both
// with ffprobe; the gateway's request log shows that the bytes went through the tunnel.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, ErrorCodes, publish, read, RtmpError, type FlvTag, type RtmpOptions } from '../lib/index';
import { encodeFlvHeader, encodeTag, FlvParser } from '../lib/flv';
import { makeTestPki, type TestPki } from './helpers/certs';
import { expectRtmpError } from './helpers/expect-error';
import { AV_FLV, avFacts } from './helpers/fixtures';
import { ffmpegPublish, ffprobeFrames } from './helpers/media';
import { startNginx, type NginxServer } from './helpers/nginx';
import { LOOPBACK } from './helpers/ports';
import { startRtmptGateway, type RtmptGateway, type RtmptRequest } from './helpers/rtmpt-gateway';

let pki: TestPki;
let nginx: NginxServer;
let vodDir: string;
let outDir: string;
let rtmpt: RtmptGateway;
let rtmpts: RtmptGateway;
let selfSignedRtmpts: RtmptGateway;

function fixtureTags(): FlvTag[] {
  return new FlvParser().push(fs.readFileSync(AV_FLV));
}

// RTMP bytes that must have crossed the tunnel: the fixture's tag bodies (its FLV framing
// is not sent).
const MEDIA_BYTES = avFacts.bytes * 0.95;

const sum = (list: RtmptRequest[], pick: (r: RtmptRequest) => number): number => list.reduce((n, r) => n + pick(r), 0);

/** The requests of one tunnel session (the one opened at or after `from`). */
function sessionRequests(gateway: RtmptGateway, from: number): RtmptRequest[] {
  const open = gateway.requests.slice(from).find((r) => r.command === 'open' && r.status === 200);
  assert.ok(open, 'a tunnel session was opened');
  return gateway.requests.filter((r) => r.session === open.session);
}

async function publishFixture(url: string, options: RtmpOptions = {}): Promise<void> {
  const tags = fixtureTags();
  const connection = await publish(url, { timeout: 5000, ...options });
  try {
    for (let i = 0; i < tags.length; i += 16) await connection.writeTags(tags.slice(i, i + 16));
  } finally {
    await connection.close();
  }
}

async function assertRecordingComplete(name: string): Promise<void> {
  const probe = await ffprobeFrames(await nginx.waitForRecording(name));
  assert.equal(probe.video?.codecName, avFacts.video.codec);
  assert.equal(probe.audio?.codecName, avFacts.audio.codec);
  assert.equal(probe.video?.frames, avFacts.video.frames);
  assert.equal(probe.audio?.frames, avFacts.audio.frames);
}

/** Plays the fixture from nginx's VOD application and decodes what arrived. */
async function playFixture(url: string, options: RtmpOptions = {}): Promise<void> {
  const tags: FlvTag[] = [];
  for await (const tag of read(url, { timeout: 5000, ...options })) tags.push(tag);
  const file = path.join(outDir, `played-${Date.now()}.flv`);
  fs.writeFileSync(file, Buffer.concat([encodeFlvHeader(), ...tags.map(encodeTag)]));
  const probe = await ffprobeFrames(file);
  assert.equal(probe.video?.frames, avFacts.video.frames);
  assert.equal(probe.audio?.frames, avFacts.audio.frames);
}

/** A TCP server that does `onConnection` to each client; resolves with it listening. */
async function fakeServer(onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  fakeSockets.set(server, sockets);
  await new Promise<void>((resolve) => server.listen({ host: LOOPBACK, port: 0 }, resolve));
  return server;
}
const fakeSockets = new Map<net.Server, Set<net.Socket>>();

async function closeServer(server: net.Server): Promise<void> {
  for (const socket of fakeSockets.get(server) ?? []) socket.destroy();
  fakeSockets.delete(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

before(async () => {
  pki = await makeTestPki();
  vodDir = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-vod-'));
  fs.chmodSync(vodDir, 0o755);
  fs.copyFileSync(AV_FLV, path.join(vodDir, 'av.flv'));
  fs.chmodSync(path.join(vodDir, 'av.flv'), 0o644);
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-tunnel-'));
  nginx = await startNginx({
    record: true,
    applications: [{ name: 'live' }, { name: 'vod', directives: [`play ${vodDir}`] }],
  });
  const target = { port: nginx.port };
  [rtmpt, rtmpts, selfSignedRtmpts] = await Promise.all([
    startRtmptGateway({ target }),
    startRtmptGateway({ target, tls: { cert: pki.server.cert, key: pki.server.key } }),
    startRtmptGateway({ target, tls: { cert: pki.selfSigned.cert, key: pki.selfSigned.key } }),
  ]);
});

after(async () => {
  await Promise.all([rtmpt, rtmpts, selfSignedRtmpts, nginx].filter(Boolean).map((s) => s.stop()));
  pki?.remove();
  for (const dir of [vodDir, outDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the test gateway', () => {
  test("carries FFmpeg's rtmpt publishing to nginx", async (t) => {
    const from = rtmpt.requests.length;
    const result = await ffmpegPublish(AV_FLV, rtmpt.url('live', 'ffmpeg-rtmpt'), { signal: t.signal }).done;
    assert.equal(result.code, 0, result.stderr);
    const probe = await ffprobeFrames(await nginx.waitForRecording('ffmpeg-rtmpt'));
    assert.equal(probe.video?.codecName, avFacts.video.codec);
    assert.equal(probe.audio?.codecName, avFacts.audio.codec);
    // FFmpeg's own tunnel client may leave the last frames of its buffer behind at close.
    assert.ok((probe.video?.frames ?? 0) >= avFacts.video.frames * 0.95, `video frames: ${probe.video?.frames}`);
    assert.ok((probe.audio?.frames ?? 0) >= avFacts.audio.frames * 0.95, `audio frames: ${probe.audio?.frames}`);
    const session = sessionRequests(rtmpt, from);
    assert.ok(sum(session, (r) => r.bytesIn) > MEDIA_BYTES * 0.95, 'the media went through the tunnel');
    assert.deepEqual(rtmpt.sequenceErrors, []);
  });
});

describe('rtmpt://', () => {
  test('publishes every frame through the tunnel, and closes it with /close', async () => {
    const from = rtmpt.requests.length;
    await publishFixture(rtmpt.url('live', 'node-rtmpt'));
    await assertRecordingComplete('node-rtmpt');
    const session = sessionRequests(rtmpt, from);
    const commands = new Set(session.map((r) => r.command));
    for (const c of ['open', 'send', 'idle', 'close'] as const) assert.ok(commands.has(c), `no /${c}`);
    assert.ok(sum(session, (r) => r.bytesIn) > MEDIA_BYTES, 'the media went through the tunnel');
    assert.equal(session[session.length - 1].command, 'close');
    assert.ok(session.every((r) => r.status === 200), JSON.stringify(session.filter((r) => r.status !== 200)));
    assert.deepEqual(rtmpt.sequenceErrors, []);
  });

  test('a player waiting on a quiet stream paces its polls and times out', { timeout: 15_000 }, async () => {
    // A gateway that answers an idle poll at once: librtmp used to poll again without pause
    // (1,328 requests in 2 s) and never time out (native/patches/0010).
    const eager = await startRtmptGateway({ target: { port: nginx.port }, idleHoldMs: 0 });
    try {
      const timeout = 2000;
      const player = await connect(eager.url('live', 'quiet'), { live: true, timeout });
      const started = performance.now();
      const error = await player.readTags().then(
        () => assert.fail('expected a timeout'),
        (e: unknown) => e,
      );
      const waited = performance.now() - started;
      assert.ok(error instanceof RtmpError, String(error));
      assert.equal(error.code, ErrorCodes.TIMEOUT);
      assert.ok(waited >= timeout * 0.9 && waited < timeout * 2.5, `timed out after ${Math.round(waited)} ms`);
      const idles = eager.requests.filter((r) => r.command === 'idle').length;
      assert.ok(idles < 100, `${idles} idle polls in ${Math.round(waited)} ms`);
      await player.close();
    } finally {
      await eager.stop();
    }
  });

  test('plays every frame through the tunnel', async () => {
    const from = rtmpt.requests.length;
    await playFixture(rtmpt.url('vod', 'av.flv'));
    const session = sessionRequests(rtmpt, from);
    assert.ok(sum(session, (r) => r.bytesOut) > MEDIA_BYTES, 'the media came through the tunnel');
    assert.deepEqual(rtmpt.sequenceErrors, []);
  });

  // Stock librtmp waited for this answer for ever (native/patches/0005): bounded here.
  test('a server that never answers /open fails with ERR_TIMEOUT within the timeout', { timeout: 10_000 }, async () => {
    const silent = await fakeServer(() => undefined);
    try {
      const port = (silent.address() as net.AddressInfo).port;
      await expectRtmpError(publish(`rtmpt://${LOOPBACK}:${port}/live/x`, { timeout: 1000 }), ErrorCodes.TIMEOUT, 3000);
    } finally {
      await closeServer(silent);
    }
  });

  test('a server that hangs up on /open, or answers it with something else than HTTP, fails with ERR_RTMP_HANDSHAKE', { timeout: 10_000 }, async () => {
    const answers: ((socket: net.Socket) => void)[] = [
      (socket) => socket.once('data', () => socket.end()),
      (socket) => socket.once('data', () => socket.end('SSH-2.0-OpenSSH_9.2\r\n'.repeat(4))),
      (socket) => socket.once('data', () => socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')),
    ];
    for (const answer of answers) {
      const server = await fakeServer(answer);
      try {
        const port = (server.address() as net.AddressInfo).port;
        await expectRtmpError(publish(`rtmpt://${LOOPBACK}:${port}/live/x`, { timeout: 3000 }), ErrorCodes.RTMP_HANDSHAKE, 2500);
      } finally {
        await closeServer(server);
      }
    }
  });
});

describe('rtmpts://', () => {
  test('publishes and plays through the tunnel over verified TLS', async () => {
    const tls = { ca: pki.ca.cert };
    const from = rtmpts.requests.length;
    const connection = await publish(rtmpts.url('live', 'node-rtmpts', 'rtmpts', 'localhost'), { tls, timeout: 5000 });
    try {
      const info = connection.tlsInfo();
      assert.ok(info, 'an rtmpts connection has tlsInfo()');
      assert.equal(info.authorized, true);
      const tags = fixtureTags();
      for (let i = 0; i < tags.length; i += 16) await connection.writeTags(tags.slice(i, i + 16));
    } finally {
      await connection.close();
    }
    await assertRecordingComplete('node-rtmpts');
    const session = sessionRequests(rtmpts, from);
    assert.ok(sum(session, (r) => r.bytesIn) > MEDIA_BYTES, 'the media went through the tunnel');
    assert.equal(session[session.length - 1].command, 'close');
    assert.ok(session.every((r) => r.serverName === 'localhost'), 'SNI: the URL host');

    await playFixture(rtmpts.url('vod', 'av.flv', 'rtmpts', 'localhost'), { tls });
    assert.deepEqual(rtmpts.sequenceErrors, []);
  });

  test('an unverifiable gateway certificate fails with ERR_TLS_CERT_VERIFY before any request', async () => {
    const before = selfSignedRtmpts.requests.length;
    await expectRtmpError(
      publish(selfSignedRtmpts.url('live', 'x', 'rtmpts', 'localhost'), { tls: { ca: pki.ca.cert }, timeout: 5000 }),
      ErrorCodes.TLS_CERT_VERIFY,
      5000,
    );
    assert.equal(selfSignedRtmpts.requests.length, before, 'no HTTP request was sent');
  });
});
