// RTMPS with the binding's own TLS, against nginx's stream TLS front and a PKI made for this
// run: certificate and host verification, SNI, protocol versions and ciphers as the server
// saw them, media through TLS both ways, and failures that carry a code and OpenSSL's reason
// but never the stream key.
import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ErrorCodes, publish, read, RtmpError, type ErrorCode, type FlvTag, type RtmpConnection, type TlsOptions } from '../lib/index';
import { encodeFlvHeader, encodeTag, FlvParser } from '../lib/flv';
import { makeTestPki, WRONG_HOST, type CertFiles, type TestPki } from './helpers/certs';
import { expectRtmpError } from './helpers/expect-error';
import { AV_FLV, avFacts } from './helpers/fixtures';
import { ffprobeFrames } from './helpers/media';
import { openFds, threadCount, threadIdsNamed, threadWriteCalls, waitForBaseline } from './helpers/process-state';
import { startNginx, type NginxServer, type NginxTlsOptions } from './helpers/nginx';
import { TlsSessions } from './helpers/tls-sessions';

// Distinctive, so that any leak into an error is found by a plain substring search.
const STREAM_KEY = 'sk-tls-9f3Kq27ZxWv-secret';

// OpenSSL's X509_verify_cert_error_string texts (1.1.1: "self signed certificate", "Hostname
// mismatch"; 3.x: "self-signed certificate", "hostname mismatch").
const SELF_SIGNED = /self[ -]signed certificate/;
const EXPIRED = /certificate has expired/;
const HOSTNAME_MISMATCH = /[Hh]ostname mismatch/;
const UNKNOWN_ISSUER = /unable to get local issuer certificate/;

function fixtureTags(): FlvTag[] {
  return new FlvParser().push(fs.readFileSync(AV_FLV));
}

async function publishAll(connection: RtmpConnection, tags: FlvTag[]): Promise<void> {
  for (let i = 0; i < tags.length; i += 16) await connection.writeTags(tags.slice(i, i + 16));
}

/** Connects, returns tlsInfo(), closes. */
async function connectInfo(url: string, tls: TlsOptions): Promise<NonNullable<ReturnType<RtmpConnection['tlsInfo']>>> {
  const connection = await publish(url, { tls, timeout: 5000 });
  try {
    const info = connection.tlsInfo();
    assert.ok(info, 'an rtmps connection has tlsInfo()');
    return info;
  } finally {
    await connection.close();
  }
}

/** The promise fails with `code` and `reason`; the error names neither the key nor a mask of it. */
async function expectTlsFailure(promise: Promise<unknown>, code: ErrorCode, reason?: RegExp): Promise<RtmpError> {
  const error = await expectRtmpError(promise, code);
  if (reason) assert.match(error.message, reason);
  for (const text of [error.message, error.stack ?? '', JSON.stringify(error)]) {
    assert.ok(!text.includes(STREAM_KEY), `the stream key leaked: ${text}`);
  }
  // Not even masked: the native message never had it.
  assert.ok(!error.message.includes('****'), error.message);
  return error;
}

function tlsFront(cert: CertFiles, more: Partial<NginxTlsOptions> = {}): NginxTlsOptions {
  return { cert: cert.certPath, key: cert.keyPath, ...more };
}

let pki: TestPki;
let good: NginxServer; // CA-signed localhost certificate, TLS 1.2 and 1.3, records, serves VOD
let goodSessions: TlsSessions;
let selfSigned: NginxServer;
let expired: NginxServer;
let wrongHost: NginxServer;
let wrongHostSessions: TlsSessions;
let tls13Only: NginxServer;
let tls12Only: NginxServer;
let vodDir: string;

before(async () => {
  pki = await makeTestPki();
  // nginx's workers run as nobody: the VOD directory must be readable by them.
  vodDir = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-vod-'));
  fs.chmodSync(vodDir, 0o755);
  [good, selfSigned, expired, wrongHost, tls13Only, tls12Only] = await Promise.all([
    startNginx({
      tls: tlsFront(pki.server),
      record: true,
      applications: [{ name: 'live' }, { name: 'vod', directives: [`play ${vodDir}`] }],
    }),
    startNginx({ tls: tlsFront(pki.selfSigned) }),
    startNginx({ tls: tlsFront(pki.expired) }),
    startNginx({ tls: tlsFront(pki.wrongHost) }),
    startNginx({ tls: tlsFront(pki.server, { protocols: ['TLSv1.3'] }) }),
    startNginx({ tls: tlsFront(pki.server, { protocols: ['TLSv1.2'] }) }),
  ]);
  goodSessions = new TlsSessions(good);
  wrongHostSessions = new TlsSessions(wrongHost);
});

after(async () => {
  await Promise.all([good, selfSigned, expired, wrongHost, tls13Only, tls12Only].filter(Boolean).map((s) => s.stop()));
  pki?.remove();
  if (vodDir) fs.rmSync(vodDir, { recursive: true, force: true });
});

describe('certificate verification', () => {
  test('a chain to the given CA verifies, and the server sees the host name as SNI', async () => {
    const info = await connectInfo(good.url('live', STREAM_KEY, 'rtmps', 'localhost'), { ca: pki.ca.cert });
    assert.equal(info.authorized, true);
    assert.equal(info.authorizationError, undefined);
    assert.equal(info.servername, 'localhost');
    assert.equal(info.peerSubject, 'CN = localhost');
    assert.equal(info.peerIssuer, 'CN = node-librtmp test CA');
    assert.equal(info.peerFingerprint256, new X509Certificate(pki.server.cert).fingerprint256);
    const seen = await goodSessions.next();
    assert.equal(seen.serverName, 'localhost');
    assert.equal(seen.protocol, info.protocol);
  });

  test('an IP address is sent as no SNI and checked against the IP SAN', async () => {
    const info = await connectInfo(good.url('live', STREAM_KEY, 'rtmps', '127.0.0.1'), { ca: pki.ca.cert });
    assert.equal(info.authorized, true);
    assert.equal(info.servername, '');
    const seen = await goodSessions.next();
    assert.equal(seen.serverName, null);
  });

  test('servername replaces the URL host, both as SNI and as the name checked', async () => {
    const url = wrongHost.url('live', STREAM_KEY, 'rtmps', '127.0.0.1');
    const info = await connectInfo(url, { ca: pki.ca.cert, servername: WRONG_HOST });
    assert.equal(info.authorized, true);
    assert.equal(info.servername, WRONG_HOST);
    assert.equal((await wrongHostSessions.next()).serverName, WRONG_HOST);
  });

  const refusals: [string, () => NginxServer, RegExp][] = [
    ['a self-signed certificate', () => selfSigned, SELF_SIGNED],
    ['an expired certificate', () => expired, EXPIRED],
    ['a certificate for another host', () => wrongHost, HOSTNAME_MISMATCH],
  ];
  for (const [what, server, reason] of refusals) {
    test(`${what} is refused with ERR_TLS_CERT_VERIFY and the reason`, async () => {
      const url = server().url('live', STREAM_KEY, 'rtmps', 'localhost');
      await expectTlsFailure(publish(url, { tls: { ca: pki.ca.cert }, timeout: 5000 }), ErrorCodes.TLS_CERT_VERIFY, reason);
    });

    test(`${what} is accepted with rejectUnauthorized: false, reported as unauthorized`, async () => {
      const url = server().url('live', STREAM_KEY, 'rtmps', 'localhost');
      const info = await connectInfo(url, { ca: pki.ca.cert, rejectUnauthorized: false });
      assert.equal(info.authorized, false);
      assert.match(info.authorizationError ?? '', reason);
      if (server() === wrongHost) await wrongHostSessions.next();
    });
  }

  test('ca takes several certificates, as an array or as one bundle', async () => {
    const url = good.url('live', STREAM_KEY, 'rtmps', 'localhost');
    const asArray = await connectInfo(url, { ca: [pki.selfSigned.cert, Buffer.from(pki.ca.cert)] });
    assert.equal(asArray.authorized, true);
    await goodSessions.next();
    const asBundle = await connectInfo(url, { ca: pki.selfSigned.cert + pki.ca.cert });
    assert.equal(asBundle.authorized, true);
    await goodSessions.next();
  });

  test('without ca, the default trust store (Node’s root list) refuses the test CA', async () => {
    const url = good.url('live', STREAM_KEY, 'rtmps', 'localhost');
    await expectTlsFailure(publish(url, { timeout: 5000 }), ErrorCodes.TLS_CERT_VERIFY, UNKNOWN_ISSUER);
  });

  test('a ca option with no certificate in it is a configuration error', async () => {
    const url = good.url('live', STREAM_KEY, 'rtmps', 'localhost');
    await expectTlsFailure(publish(url, { tls: { ca: 'not a certificate' }, timeout: 5000 }), ErrorCodes.TLS_CONFIG, /CA certificate/);
  });
});

describe('protocol versions and ciphers, as the server saw them', () => {
  const localhostUrl = (server: NginxServer): string => server.url('live', STREAM_KEY, 'rtmps', 'localhost');

  test('by default TLS 1.3 is negotiated', async () => {
    const info = await connectInfo(localhostUrl(good), { ca: pki.ca.cert });
    assert.equal(info.protocol, 'TLSv1.3');
    assert.equal((await goodSessions.next()).protocol, 'TLSv1.3');
  });

  test('maxVersion TLSv1.2 caps the protocol', async () => {
    const info = await connectInfo(localhostUrl(good), { ca: pki.ca.cert, maxVersion: 'TLSv1.2' });
    assert.equal(info.protocol, 'TLSv1.2');
    assert.equal((await goodSessions.next()).protocol, 'TLSv1.2');
  });

  test('ciphers picks the TLS 1.2 suite', async () => {
    const tls: TlsOptions = { ca: pki.ca.cert, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-SHA' };
    const info = await connectInfo(localhostUrl(good), tls);
    assert.equal(info.cipher, 'ECDHE-RSA-AES128-SHA');
    assert.equal(info.cipherStandardName, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA');
    const seen = await goodSessions.next();
    assert.equal(seen.protocol, 'TLSv1.2');
    assert.equal(seen.cipher, 'ECDHE-RSA-AES128-SHA');
  });

  test('ciphersuites picks the TLS 1.3 suite', async () => {
    const info = await connectInfo(localhostUrl(good), { ca: pki.ca.cert, ciphersuites: 'TLS_CHACHA20_POLY1305_SHA256' });
    assert.equal(info.cipher, 'TLS_CHACHA20_POLY1305_SHA256');
    assert.equal((await goodSessions.next()).cipher, 'TLS_CHACHA20_POLY1305_SHA256');
  });

  test('an invalid cipher string is refused with ERR_TLS_INVALID_CIPHERS naming it', async () => {
    await expectTlsFailure(
      publish(localhostUrl(good), { tls: { ca: pki.ca.cert, ciphers: 'NO-SUCH-CIPHER-XYZ' }, timeout: 5000 }),
      ErrorCodes.TLS_INVALID_CIPHERS,
      /'NO-SUCH-CIPHER-XYZ'/,
    );
    await expectTlsFailure(
      publish(localhostUrl(good), { tls: { ca: pki.ca.cert, ciphersuites: 'TLS_NO_SUCH_SUITE' }, timeout: 5000 }),
      ErrorCodes.TLS_INVALID_CIPHERS,
      /'TLS_NO_SUCH_SUITE'/,
    );
  });

  test('a TLS 1.3-only server and maxVersion TLSv1.2 fail the handshake', async () => {
    await expectTlsFailure(
      publish(localhostUrl(tls13Only), { tls: { ca: pki.ca.cert, maxVersion: 'TLSv1.2' }, timeout: 5000 }),
      ErrorCodes.TLS_HANDSHAKE,
      /protocol version/,
    );
  });

  test('a TLS 1.2-only server and minVersion TLSv1.3 fail the handshake', async () => {
    await expectTlsFailure(
      publish(localhostUrl(tls12Only), { tls: { ca: pki.ca.cert, minVersion: 'TLSv1.3' }, timeout: 5000 }),
      ErrorCodes.TLS_HANDSHAKE,
      /protocol version/,
    );
  });
});

describe('TLS options are checked before anything connects', () => {
  const cases: [string, Parameters<typeof publish>[1]][] = [
    ['an unknown minVersion', { tls: { minVersion: 'TLSv1.1' as 'TLSv1.2' } }],
    ['minVersion above maxVersion', { tls: { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.2' } }],
    ['an empty cipher list', { tls: { ciphers: '' } }],
    ['a ca that is not PEM text', { tls: { ca: [42 as unknown as string] } }],
    ['a non-boolean rejectUnauthorized', { tls: { rejectUnauthorized: 'no' as unknown as boolean } }],
    ['an empty engine id', { engine: '' }],
    ['engine methods that do not exist', { engine: { id: 'devcrypto', methods: ['pkey' as 'ciphers'] } }],
  ];
  for (const [what, options] of cases) {
    test(`${what} is ERR_INVALID_ARG`, async () => {
      await expectTlsFailure(publish(good.url('live', STREAM_KEY, 'rtmps', 'localhost'), options), ErrorCodes.INVALID_ARG);
    });
  }

  test('a plain rtmp:// connection has no tlsInfo()', async () => {
    const connection = await publish(good.url('live', STREAM_KEY), { tls: { ca: pki.ca.cert } });
    try {
      assert.equal(connection.tlsInfo(), null);
    } finally {
      await connection.close();
    }
  });
});

describe('handshakes that cannot finish', () => {
  // A TCP server that accepts and then either says nothing or hangs up at once.
  async function rawServer(onConnection: (socket: net.Socket) => void): Promise<{ url: string; close(): Promise<void> }> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      onConnection(socket);
    });
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const { port } = server.address() as net.AddressInfo;
    return {
      url: `rtmps://localhost:${port}/live/${STREAM_KEY}`,
      close: () => {
        for (const socket of sockets) socket.destroy();
        return new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  test('a server that never answers the ClientHello times out with ERR_TIMEOUT', async () => {
    const silent = await rawServer(() => undefined);
    try {
      const started = Date.now();
      await expectTlsFailure(publish(silent.url, { tls: { ca: pki.ca.cert }, timeout: 300 }), ErrorCodes.TIMEOUT, /TLS handshake/);
      assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    } finally {
      await silent.close();
    }
  });

  test('a server that hangs up during the handshake is ERR_TLS_HANDSHAKE', async () => {
    const rude = await rawServer((socket) => socket.destroy());
    try {
      await expectTlsFailure(publish(rude.url, { tls: { ca: pki.ca.cert }, timeout: 5000 }), ErrorCodes.TLS_HANDSHAKE, /TLS handshake failed/);
    } finally {
      await rude.close();
    }
  });

  test('a server that answers in something other than TLS is ERR_TLS_HANDSHAKE with the reason', async () => {
    const plain = await rawServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    try {
      await expectTlsFailure(publish(plain.url, { tls: { ca: pki.ca.cert }, timeout: 5000 }), ErrorCodes.TLS_HANDSHAKE, /wrong version number/);
    } finally {
      await plain.close();
    }
  });

  test('an abort during the handshake ends it at once with ERR_ABORTED', async () => {
    const silent = await rawServer(() => undefined);
    try {
      const controller = new AbortController();
      const attempt = publish(silent.url, { tls: { ca: pki.ca.cert }, timeout: 30_000, signal: controller.signal });
      const started = Date.now();
      setImmediate(() => controller.abort());
      await expectTlsFailure(attempt, ErrorCodes.ABORTED);
      assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    } finally {
      await silent.close();
    }
  });
});

describe('media over RTMPS', () => {
  const NAME = 'roundtrip';

  test('what is published through TLS is recorded whole, and reads back through TLS', async () => {
    const tags = fixtureTags();
    const pub = await publish(good.url('live', NAME, 'rtmps', 'localhost'), { tls: { ca: pki.ca.cert } });
    try {
      await publishAll(pub, tags);
    } finally {
      await pub.close();
    }
    await goodSessions.next();
    const recording = await good.waitForRecording(NAME);
    const recorded = await ffprobeFrames(recording);
    assert.equal(recorded.video?.codecName, 'h264');
    assert.equal(recorded.video?.frames, avFacts.video.frames);
    assert.equal(recorded.audio?.codecName, 'aac');
    assert.equal(recorded.audio?.frames, avFacts.audio.frames);

    // Back through TLS: nginx serves the recording as VOD; what we read is decoded again.
    const vodFile = path.join(vodDir, `${NAME}.flv`);
    fs.copyFileSync(recording, vodFile);
    fs.chmodSync(vodFile, 0o644);
    const readBack: FlvTag[] = [];
    for await (const tag of read(good.url('vod', `${NAME}.flv`, 'rtmps', 'localhost'), { tls: { ca: pki.ca.cert }, timeout: 10_000 })) {
      readBack.push(tag);
    }
    await goodSessions.next();
    // Coded frames only (AVC/AAC packet type 1): nginx re-sends the sequence headers itself.
    const frames = (list: FlvTag[]): Buffer[] => list.filter((t) => t.type !== 'script' && t.data[1] === 1).map((t) => t.data);
    const [got, sent] = [frames(readBack), frames(tags)];
    assert.equal(got.length, sent.length, 'as many coded frames as were published');
    const changed = got.findIndex((data, i) => !data.equals(sent[i]));
    assert.equal(changed, -1, `frame ${changed} came back different`);

    const readFile = path.join(vodDir, 'read-back.flv');
    fs.writeFileSync(readFile, Buffer.concat([encodeFlvHeader(), ...readBack.map(encodeTag)]));
    const decoded = await ffprobeFrames(readFile);
    assert.equal(decoded.video?.frames, avFacts.video.frames);
    assert.equal(decoded.audio?.frames, avFacts.audio.frames);
  });
});

describe('the send path over TLS', () => {
  test('the records of one write leave in one send(): about 16 socket writes per MB', async () => {
    const others = new Set(threadIdsNamed('librtmp-conn'));
    const pub = await publish(good.url('live', 'records', 'rtmps', 'localhost'), { tls: { ca: pki.ca.cert } });
    try {
      const [tid] = threadIdsNamed('librtmp-conn').filter((id) => !others.has(id));
      // 4 MB in 64 KB video messages: corked into 64 KB writes of four full records each.
      const body = Buffer.concat([Buffer.of(0x17, 1, 0, 0, 0), randomBytes(64 * 1024)]);
      const tags: FlvTag[] = Array.from({ length: 64 }, (_, i) => ({ type: 'video', timestamp: i * 40, data: body }));
      const before = threadWriteCalls(tid);
      await pub.writeTags(tags);
      const perMb = (threadWriteCalls(tid) - before) / 4;
      // One record per write would be 66 per MB; 16 is the floor, the rest wake the JS thread.
      assert.ok(perMb <= 24, `${perMb} socket writes per MB`);
    } finally {
      await pub.close();
    }
    await goodSessions.next();
  });
});

describe('the stream key', () => {
  test('appears in no TLS failure of any kind', async () => {
    const url = (server: NginxServer): string => server.url('live', STREAM_KEY, 'rtmps', 'localhost');
    const failures: [() => Promise<unknown>, ErrorCode][] = [
      [() => publish(url(selfSigned), { tls: { ca: pki.ca.cert }, timeout: 5000 }), ErrorCodes.TLS_CERT_VERIFY],
      [() => publish(url(wrongHost), { tls: { ca: pki.ca.cert }, timeout: 5000 }), ErrorCodes.TLS_CERT_VERIFY],
      [() => publish(url(tls13Only), { tls: { ca: pki.ca.cert, maxVersion: 'TLSv1.2' }, timeout: 5000 }), ErrorCodes.TLS_HANDSHAKE],
      [() => publish(url(good), { tls: { ca: pki.ca.cert, ciphers: 'BAD:CIPHERS' }, timeout: 5000 }), ErrorCodes.TLS_INVALID_CIPHERS],
      [() => publish(url(good), { tls: { ca: 'no pem here' }, timeout: 5000 }), ErrorCodes.TLS_CONFIG],
    ];
    for (const [attempt, code] of failures) await expectTlsFailure(attempt(), code);
  });
});

describe('resources', () => {
  test('TLS failures and closed TLS connections leave no descriptor or thread behind', async () => {
    const url = (server: NginxServer): string => server.url('live', STREAM_KEY, 'rtmps', 'localhost');
    // One connection first, so that lazily created process-wide state is not counted.
    await connectInfo(url(good), { ca: pki.ca.cert });
    await goodSessions.next();
    const baseline = { fds: openFds(), threads: threadCount() };
    for (let round = 0; round < 3; round++) {
      await expectTlsFailure(publish(url(expired), { tls: { ca: pki.ca.cert }, timeout: 5000 }), ErrorCodes.TLS_CERT_VERIFY);
      await expectTlsFailure(publish(url(tls13Only), { tls: { ca: pki.ca.cert, maxVersion: 'TLSv1.2' }, timeout: 5000 }), ErrorCodes.TLS_HANDSHAKE);
      await expectTlsFailure(publish(url(good), { tls: { ca: pki.ca.cert, ciphers: 'NOT-A-CIPHER' }, timeout: 5000 }), ErrorCodes.TLS_INVALID_CIPHERS);
      await connectInfo(url(good), { ca: pki.ca.cert, maxVersion: 'TLSv1.2' });
      await goodSessions.next();
    }
    await waitForBaseline(baseline);
  });
});
