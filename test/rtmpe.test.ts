// RTMPE (librtmp's encrypted handshake: anonymous Diffie-Hellman, HMAC-SHA256 digests, RC4)
// on the addon's OpenSSL 1.1.1, against peers that are not our librtmp:
// - rtmpsuck from Debian's rtmpdump package (a GnuTLS/nettle librtmp) answers the RTMPE
//   handshake and relays to nginx-rtmp. It needs 0.0.0.0:1935, so it runs with nginx and
//   the node-librtmp client in a network namespace of their own (rtmpe-peers-child.ts).
// - rtmpsuck crashes on a publisher's connect, so publishing goes through an RTMPE proxy
//   written here from the protocol (node:crypto), itself checked with Debian's rtmpdump.
// What was played is written to an FLV and decoded with ffprobe; what was published is
// decoded from nginx's recording. Corrupted handshakes must fail with a code, in time.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ErrorCodes, publish, read, type ErrorCode, type FlvTag } from '../lib/index';
import { FlvParser } from '../lib/flv';
import { expectRtmpError } from './helpers/expect-error';
import { AV_FLV, avFacts } from './helpers/fixtures';
import { ffprobeFrames } from './helpers/media';
import { runNodeChildInNetns } from './helpers/netns';
import { startNginx, type NginxServer } from './helpers/nginx';
import { LOOPBACK } from './helpers/ports';
import {
  digestOffset,
  dhOffset,
  findDigestScheme,
  FMS_KEY_SHORT,
  FP_KEY_SHORT,
  handshakeDigest,
  CONNECT_HEAD,
  pickSecretLayout,
  rc4Keys,
  secretLayouts,
  startRtmpeProxy,
  type RtmpeProxy,
} from './helpers/rtmpe-proxy';
import { startRtmptGateway } from './helpers/rtmpt-gateway';
import type { RtmpePeersInput, RtmpePeersResult, RtmpePeerStepKind, RtmpePeerStepResult } from './helpers/rtmpe-peers-child';
import { RTMPDUMP_OK, runRtmpdump } from './helpers/rtmpdump';

const SIG = 1536;
const PEERS_CHILD = path.join(__dirname, 'helpers', 'rtmpe-peers-child.js');

let outDir: string;

async function assertDecodesFully(file: string | undefined): Promise<void> {
  assert.ok(file, 'an FLV was written');
  const probe = await ffprobeFrames(file);
  assert.equal(probe.video?.codecName, avFacts.video.codec);
  assert.equal(probe.audio?.codecName, avFacts.audio.codec);
  assert.equal(probe.video?.frames, avFacts.video.frames);
  assert.equal(probe.audio?.frames, avFacts.audio.frames);
}

/** For rtmpdump's files: it stops a VOD a few hundred bytes early ("may be incomplete"). */
async function assertDecodesNearlyFully(file: string): Promise<void> {
  const probe = await ffprobeFrames(file);
  assert.equal(probe.video?.codecName, avFacts.video.codec);
  assert.ok((probe.video?.frames ?? 0) >= avFacts.video.frames - 2, `video frames: ${probe.video?.frames}`);
  assert.ok((probe.audio?.frames ?? 0) >= avFacts.audio.frames - 4, `audio frames: ${probe.audio?.frames}`);
}

/** The RTMP bytes a client sent after C0, C1 and C2. */
function afterHandshake(client: Buffer): Buffer {
  return client.subarray(1 + 2 * SIG);
}

before(() => {
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-rtmpe-'));
  // nginx's workers (nobody) read the VOD files below it.
  fs.chmodSync(outDir, 0o755);
});

after(() => {
  if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
});

describe("through rtmpsuck (Debian's GnuTLS librtmp), in a network namespace", () => {
  const steps: RtmpePeerStepKind[] = ['rtmpdump-rtmpe', 'play-rtmpe', 'play-rtmp-plain', 'play-rtmpte'];
  let results: Map<RtmpePeerStepKind, RtmpePeerStepResult>;
  let rtmpsuckLog: string;

  before(async () => {
    const dir = fs.mkdtempSync(path.join(outDir, 'ns-'));
    const { result } = await runNodeChildInNetns<RtmpePeersResult>(PEERS_CHILD, { outDir: dir, steps } satisfies RtmpePeersInput, {
      timeoutMs: 30_000,
    });
    results = new Map(result.steps.map((s) => [s.kind, s]));
    rtmpsuckLog = result.rtmpsuckLog;
  });

  const step = (kind: RtmpePeerStepKind): RtmpePeerStepResult => {
    const found = results.get(kind);
    assert.ok(found, `no result for ${kind}`);
    assert.equal(found.error, undefined, `${kind}: ${JSON.stringify(found.error)}\nrtmpsuck: ${rtmpsuckLog}`);
    return found;
  };

  test('rtmpdump plays the fixture over RTMPE through rtmpsuck (the set-up works without us)', async () => {
    const result = step('rtmpdump-rtmpe');
    assert.ok(RTMPDUMP_OK.includes(result.exitCode ?? -1), `rtmpdump exit ${result.exitCode}: ${result.stderr}`);
    await assertDecodesNearlyFully(result.file as string);
  });

  test('node-librtmp plays rtmpe:// through rtmpsuck: every frame decodes', async () => {
    const result = step('play-rtmpe');
    assert.match(rtmpsuckLog, /Processing connect/);
    await assertDecodesFully(result.file);
  });

  test('the handshake is RTMPE: C0 0x06, Flash 128.0.3.2, digest in scheme 1, RC4 after it', () => {
    const capture = step('play-rtmpe').capture;
    assert.ok(capture, 'the relay saw the connection');
    const client = Buffer.from(capture.client, 'base64');
    const server = Buffer.from(capture.server, 'base64');
    assert.ok(client.length > 1 + 2 * SIG + 64 && server.length >= 1 + 2 * SIG, 'the handshake was captured');
    assert.equal(client[0], 0x06, 'C0: RTMPE');
    const c1 = client.subarray(1, 1 + SIG);
    assert.deepEqual([...c1.subarray(4, 8)], [128, 0, 3, 2], 'C1: the Flash version librtmp sends with RTMPE');
    assert.equal(findDigestScheme(c1, FP_KEY_SHORT), 1, 'C1 digest: scheme 1 (offset from bytes 772..775), Flash Player key');
    // rtmpsuck answers type 8 (RTMPE with the FP10 signature transform) to a client whose
    // version byte is 128; librtmp handles both.
    assert.ok([0x06, 0x08].includes(server[0]), `S0: ${server[0]}`);
    assert.notEqual(findDigestScheme(server.subarray(1, 1 + SIG), FMS_KEY_SHORT), undefined, 'S1 digest: Flash Media Server key');

    // Encrypted after the handshake: the command names are not on the wire (both sit inside
    // one 128-byte chunk in the clear, so no chunk header splits them)...
    const rtmp = afterHandshake(client);
    for (const word of ['connect', 'createStream']) assert.ok(!rtmp.includes(word), `"${word}" in clear text`);
    // ...while the same check finds them in a plain rtmp:// capture.
    const plain = step('play-rtmp-plain').capture;
    assert.ok(plain);
    const plainClient = Buffer.from(plain.client, 'base64');
    assert.equal(plainClient[0], 0x03);
    for (const word of ['connect', 'createStream']) assert.ok(afterHandshake(plainClient).includes(word), `"${word}" not in the plain capture`);
  });

  test('rtmpte:// (RTMPE inside the HTTP tunnel) plays through the gateway and rtmpsuck', async () => {
    const result = step('play-rtmpte');
    await assertDecodesFully(result.file);
    const commands = new Set((result.gatewayRequests ?? []).map((r) => r.command));
    for (const c of ['open', 'send', 'idle', 'close'] as const) assert.ok(commands.has(c), `no /${c}`);
    const capture = result.capture;
    assert.ok(capture, 'the tunnel reached rtmpsuck');
    const client = Buffer.from(capture.client, 'base64');
    assert.equal(client[0], 0x06, 'RTMPE inside the tunnel');
    assert.equal(findDigestScheme(client.subarray(1, 1 + SIG), FP_KEY_SHORT), 1);
  });
});

describe('through an RTMPE proxy written from the protocol', () => {
  let nginx: NginxServer;
  let proxy: RtmpeProxy;
  let vodDir: string;

  before(async () => {
    vodDir = fs.mkdtempSync(path.join(outDir, 'vod-'));
    fs.chmodSync(vodDir, 0o755);
    fs.copyFileSync(AV_FLV, path.join(vodDir, 'av.flv'));
    fs.chmodSync(path.join(vodDir, 'av.flv'), 0o644);
    nginx = await startNginx({ record: true, applications: [{ name: 'live' }, { name: 'vod', directives: [`play ${vodDir}`] }] });
    proxy = await startRtmpeProxy({ port: nginx.port });
  });

  after(async () => {
    await Promise.all([proxy?.stop(), nginx?.stop()]);
  });

  test('rtmpdump (GnuTLS librtmp) plays through it: the proxy is a working RTMPE server', async () => {
    const from = proxy.sessions.length;
    const file = path.join(outDir, 'rtmpdump-proxy.flv');
    const exit = await runRtmpdump(`rtmpe://${LOOPBACK}:${proxy.port}/vod/av.flv`, file);
    assert.ok(RTMPDUMP_OK.includes(exit.code ?? -1), `rtmpdump exit ${exit.code}: ${exit.stderr} proxy: ${JSON.stringify(proxy.sessions[from])}`);
    await assertDecodesNearlyFully(file);
    assert.equal(proxy.sessions[from]?.c2Verified, true, JSON.stringify(proxy.sessions[from]));
  });

  test('node-librtmp publishes rtmpe:// through it: every frame arrives', async () => {
    const from = proxy.sessions.length;
    const tags: FlvTag[] = new FlvParser().push(fs.readFileSync(AV_FLV));
    const connection = await publish(`rtmpe://${LOOPBACK}:${proxy.port}/live/rtmpe-publish`, { timeout: 5000 });
    try {
      for (let i = 0; i < tags.length; i += 16) await connection.writeTags(tags.slice(i, i + 16));
    } finally {
      await connection.close();
    }
    await assertDecodesFully(await nginx.waitForRecording('rtmpe-publish'));
    const session = proxy.sessions[from];
    assert.deepEqual(session, { clientType: 0x06, clientVersion: [128, 0, 3, 2], clientDigestScheme: 1, c2Verified: true });
  });

  test('node-librtmp publishes rtmpte:// (RTMPE in the HTTP tunnel) through the gateway and it', async () => {
    const gateway = await startRtmptGateway({ target: { port: proxy.port } });
    try {
      const from = proxy.sessions.length;
      const tags: FlvTag[] = new FlvParser().push(fs.readFileSync(AV_FLV));
      const connection = await publish(gateway.url('live', 'rtmpte-publish', 'rtmpte'), { timeout: 5000 });
      try {
        for (let i = 0; i < tags.length; i += 16) await connection.writeTags(tags.slice(i, i + 16));
      } finally {
        await connection.close();
      }
      await assertDecodesFully(await nginx.waitForRecording('rtmpte-publish'));
      assert.equal(proxy.sessions[from]?.c2Verified, true, 'an RTMPE handshake inside the tunnel');
      const commands = gateway.requests.map((r) => r.command);
      assert.equal(commands[0], 'open');
      assert.equal(commands[commands.length - 1], 'close');
      assert.deepEqual(gateway.sequenceErrors, []);
    } finally {
      await gateway.stop();
    }
  });

  test('a shared secret that starts with a zero byte: the proxy follows the client, stock OpenSSL or GnuTLS librtmp', () => {
    // 1 handshake in 256 has such a secret; librtmp's two builds then key RC4 differently,
    // which made rtmpdump's play through the proxy fail now and then.
    const clientPub = randomBytes(128);
    const serverPub = randomBytes(128);
    const connect = Buffer.alloc(CONNECT_HEAD);
    connect[0] = 0x03;
    Buffer.from([0x14, 0, 0, 0, 0, 0x02, 0x00, 0x07, ...Buffer.from('connect')]).copy(connect, 7);
    // The client's sending stream is keyed as the proxy's receiving one.
    const encryptedBy = (key: Buffer): Buffer => rc4Keys(key, clientPub, serverPub).fromClient.apply(connect);

    const plain = Buffer.concat([Buffer.from([0x7f]), randomBytes(127)]);
    assert.equal(secretLayouts(plain).length, 1, 'no leading zero: one layout');

    const zeroFirst = Buffer.concat([Buffer.from([0x00, 0x00]), randomBytes(126)]);
    zeroFirst[2] |= 0x01;
    const layouts = secretLayouts(zeroFirst);
    assert.equal(layouts.length, 2);
    const [stripped, padded] = layouts;
    assert.deepEqual(stripped.subarray(0, 126), zeroFirst.subarray(2), 'OpenSSL: the secret without its zeros first');
    assert.deepEqual(stripped.subarray(126), Buffer.alloc(2), '…then zeros');
    assert.deepEqual(padded, zeroFirst, 'GnuTLS: the secret left-padded');
    assert.equal(pickSecretLayout(layouts, clientPub, serverPub, encryptedBy(stripped)), stripped);
    assert.equal(pickSecretLayout(layouts, clientPub, serverPub, encryptedBy(padded)), padded);
    assert.equal(pickSecretLayout(layouts, clientPub, serverPub, randomBytes(CONNECT_HEAD)), undefined, 'no connect command: no layout');
  });

  test('an S2 with a wrong signature fails with ERR_RTMP_HANDSHAKE', async () => {
    const corrupt = await startRtmpeProxy({ port: nginx.port }, { corruptS2: true });
    try {
      await expectRtmpError(read(`rtmpe://${LOOPBACK}:${corrupt.port}/vod/av.flv`, { timeout: 3000 }).next(), ErrorCodes.RTMP_HANDSHAKE, 3000);
      assert.equal(corrupt.sessions[0]?.clientDigestScheme, 1, 'the handshake got as far as S2');
    } finally {
      await corrupt.stop();
    }
  });
});

/** A server that answers each client's C0+C1 with `answer(c1)` (undefined: stays silent). */
async function fakeRtmpeServer(answer: (c1: Buffer) => Buffer | 'close' | undefined): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let got = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      got = Buffer.concat([got, d]);
      if (got.length < 1 + SIG) return;
      socket.off('data', onData);
      const reply = answer(got.subarray(1, 1 + SIG));
      if (reply === 'close') socket.end();
      else if (reply) socket.write(reply);
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen({ host: LOOPBACK, port: 0 }, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** S0+S1+S2 whose S1 carries a digest made with `key` at its scheme-1 place, the DH key zero. */
function signedAnswer(key: Buffer): Buffer {
  const s1 = Buffer.alloc(SIG); // zeros: the DH public key at its scheme-1 place is 0
  s1.set([3, 5, 1, 1], 4);
  const at = digestOffset(s1, 1);
  assert.equal(dhOffset(s1, 1), 8);
  handshakeDigest(s1, at, key).copy(s1, at);
  return Buffer.concat([Buffer.from([0x06]), s1, Buffer.alloc(SIG)]);
}

describe('a corrupted RTMPE handshake', () => {
  const cases: [string, (c1: Buffer) => Buffer | 'close' | undefined, ErrorCode][] = [
    ['random bytes as S0+S1+S2', () => Buffer.concat([Buffer.from([0x06]), Buffer.alloc(2 * SIG, 0x5a)]), ErrorCodes.RTMP_HANDSHAKE],
    ['an S1 digest made with the wrong key', () => signedAnswer(Buffer.from('Genuine Adobe Flash Media Server 002')), ErrorCodes.RTMP_HANDSHAKE],
    ['a correctly signed S1 with an invalid Diffie-Hellman key (0)', () => signedAnswer(FMS_KEY_SHORT), ErrorCodes.RTMP_HANDSHAKE],
    ['a hang-up after C1', () => 'close', ErrorCodes.RTMP_HANDSHAKE],
    ['no answer at all', () => undefined, ErrorCodes.TIMEOUT],
  ];
  for (const [name, answer, code] of cases) {
    test(`${name}: ${code} within the timeout`, { timeout: 10_000 }, async () => {
      const server = await fakeRtmpeServer(answer);
      try {
        await expectRtmpError(publish(`rtmpe://${LOOPBACK}:${server.port}/live/x`, { timeout: 1500 }), code, 2500);
      } finally {
        await server.stop();
      }
    });
  }
});
