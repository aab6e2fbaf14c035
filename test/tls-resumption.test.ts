// TLS session resumption on reconnect, against nginx's TLS front: the second connect to the
// same server with the same TLS configuration resumes (TLS 1.2 ticket, TLS 1.2 session id,
// TLS 1.3 PSK ticket), as both tlsInfo() and the server's own `$ssl_session_reused` say;
// another CA, servername or verification setting never resumes; a ticket the server no
// longer knows falls back to a full handshake without an error; the cache is bounded and
// gives every SSL_SESSION reference back.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { clearTlsSessions, ErrorCodes, publish, RtmpError, type TlsOptions } from '../lib/index';
import { binding } from '../lib/native';
import { makeTestPki, type TestPki } from './helpers/certs';
import { startNginx, type NginxServer, type NginxTlsOptions } from './helpers/nginx';
import { TlsSessions } from './helpers/tls-sessions';

const STREAM_KEY = 'sk-resume-7Hq2-secret';

let pki: TestPki;
let tickets12: NginxServer; // TLS 1.2 only, session tickets
let ids12: NginxServer; // TLS 1.2 only, tickets off, server-side session cache (session ids)
let tls13: NginxServer; // TLS 1.3 only, tickets (PSK)
const sessions = new Map<NginxServer, TlsSessions>();

interface Outcome {
  resumed: boolean;
  serverSawResumed: boolean;
  protocol: string;
}

/** Publishes once, closes, and returns what the client and the server said of the handshake. */
async function connectOnce(server: NginxServer, tls: TlsOptions, host = 'localhost'): Promise<Outcome> {
  const connection = await publish(server.url('live', STREAM_KEY, 'rtmps', host), { tls, timeout: 5000 });
  const info = connection.tlsInfo();
  await connection.close();
  assert.ok(info);
  const seen = await sessions.get(server)!.next();
  assert.equal(seen.protocol, info.protocol);
  return { resumed: info.resumed, serverSawResumed: seen.sessionReused, protocol: info.protocol };
}

function front(more: Partial<NginxTlsOptions>): NginxTlsOptions {
  return { cert: pki.server.certPath, key: pki.server.keyPath, ...more };
}

before(async () => {
  pki = await makeTestPki();
  [tickets12, ids12, tls13] = await Promise.all([
    startNginx({ tls: front({ protocols: ['TLSv1.2'], sessionTickets: true }) }),
    startNginx({ tls: front({ protocols: ['TLSv1.2'], sessionTickets: false, sessionCache: true }) }),
    startNginx({ tls: front({ protocols: ['TLSv1.3'], sessionTickets: true }) }),
  ]);
  for (const server of [tickets12, ids12, tls13]) sessions.set(server, new TlsSessions(server));
});

after(async () => {
  await Promise.all([tickets12, ids12, tls13].filter(Boolean).map((s) => s.stop()));
  pki?.remove();
});

// Each test starts from an empty cache, so that what it sees is its own doing.
beforeEach(() => clearTlsSessions());

describe('the second connect resumes', () => {
  const cases: [string, () => NginxServer, string][] = [
    ['TLS 1.2 with a session ticket', () => tickets12, 'TLSv1.2'],
    ['TLS 1.2 with a session id (server cache, no tickets)', () => ids12, 'TLSv1.2'],
    ['TLS 1.3 with a PSK ticket', () => tls13, 'TLSv1.3'],
  ];
  for (const [what, server, protocol] of cases) {
    test(what, async () => {
      const tls: TlsOptions = { ca: pki.ca.cert };
      const first = await connectOnce(server(), tls);
      assert.deepEqual(first, { resumed: false, serverSawResumed: false, protocol });
      const second = await connectOnce(server(), tls);
      assert.deepEqual(second, { resumed: true, serverSawResumed: true, protocol });
      // And the one after: a TLS 1.3 ticket is used once, the resumed connection brings
      // the next; a TLS 1.2 session stays valid.
      const third = await connectOnce(server(), tls);
      assert.deepEqual(third, { resumed: true, serverSawResumed: true, protocol });
    });
  }

  test('a resumed session still reports the verified peer', async () => {
    const tls: TlsOptions = { ca: pki.ca.cert };
    await connectOnce(tls13, tls);
    const connection = await publish(tls13.url('live', STREAM_KEY, 'rtmps', 'localhost'), { tls, timeout: 5000 });
    const info = connection.tlsInfo();
    await connection.close();
    await sessions.get(tls13)!.next();
    assert.equal(info?.resumed, true);
    assert.equal(info?.authorized, true);
    assert.equal(info?.peerSubject, 'CN = localhost');
    assert.equal(info?.servername, 'localhost');
    // What the handshake cost the connection thread, and how long it took (the bench's figures).
    assert.ok(info!.handshakeCpuMs > 0 && Number.isFinite(info!.handshakeCpuMs), String(info?.handshakeCpuMs));
    assert.ok(info!.handshakeMs > 0 && Number.isFinite(info!.handshakeMs), String(info?.handshakeMs));
  });
});

describe('never across configurations', () => {
  // What changes from { ca: the test CA } on localhost.
  const changes: [string, () => TlsOptions, string?][] = [
    ['another CA list (one more certificate)', () => ({ ca: [pki.ca.cert, pki.selfSigned.cert] })],
    ['verification off', () => ({ rejectUnauthorized: false })],
    ['another cipher list', () => ({ ciphers: 'ECDHE-RSA-AES128-SHA' })],
    ['another TLS 1.3 suite list', () => ({ ciphersuites: 'TLS_AES_128_GCM_SHA256' })],
    ['another host (127.0.0.1 instead of localhost)', () => ({}), '127.0.0.1'],
  ];
  for (const [what, change, host] of changes) {
    test(`${what}: a full handshake`, async () => {
      const base: TlsOptions = { ca: pki.ca.cert };
      for (const server of [tickets12, tls13]) {
        assert.equal((await connectOnce(server, base)).resumed, false);
        const other = await connectOnce(server, { ...base, ...change() }, host);
        assert.deepEqual([other.resumed, other.serverSawResumed], [false, false], `${what} on ${server.tlsPort}`);
        // The first configuration's session is still there for it.
        assert.equal((await connectOnce(server, base)).resumed, true);
      }
    });
  }

  test('another servername: a full handshake', async () => {
    // The certificate names localhost; servername 'localhost' on a 127.0.0.1 URL is a
    // different key from the bare 127.0.0.1 (no SNI, IP checked).
    await connectOnce(tickets12, { ca: pki.ca.cert }, '127.0.0.1');
    const other = await connectOnce(tickets12, { ca: pki.ca.cert, servername: 'localhost' }, '127.0.0.1');
    assert.equal(other.resumed, false);
  });

  test('resumeSessions: false neither offers nor keeps sessions', async () => {
    const off: TlsOptions = { ca: pki.ca.cert, resumeSessions: false };
    await connectOnce(tickets12, off);
    assert.equal(binding.tlsSessionCache().entries, 0);
    assert.equal((await connectOnce(tickets12, off)).resumed, false);
    await connectOnce(tickets12, { ca: pki.ca.cert });
    assert.equal((await connectOnce(tickets12, off)).resumed, false, 'a cached session is not offered either');
  });

  test('resumeSessions must be a boolean', async () => {
    await assert.rejects(
      publish(tickets12.url('live', STREAM_KEY, 'rtmps', 'localhost'), { tls: { resumeSessions: 'yes' as unknown as boolean } }),
      (e: unknown) => e instanceof RtmpError && e.code === ErrorCodes.INVALID_ARG && /resumeSessions/.test(e.message),
    );
  });
});

describe('tickets the server no longer knows', () => {
  test('after a server restart (new ticket keys) the handshake is full, silently, and the next resumes', async () => {
    const tls: TlsOptions = { ca: pki.ca.cert };
    for (const server of [tickets12, tls13]) {
      await connectOnce(server, tls);
      await server.restart();
      const afterRestart = await connectOnce(server, tls);
      assert.deepEqual([afterRestart.resumed, afterRestart.serverSawResumed], [false, false]);
      assert.equal((await connectOnce(server, tls)).resumed, true);
    }
  });
});

describe('expired sessions', () => {
  test('a session past its lifetime (1 s here) is not resumed: a full handshake, no error', async () => {
    const servers = await Promise.all(
      (['TLSv1.2', 'TLSv1.3'] as const).map((protocol) => startNginx({ tls: front({ protocols: [protocol], sessionTimeout: '1s' }) })),
    );
    try {
      for (const server of servers) {
        const log = new TlsSessions(server);
        sessions.set(server, log);
        const tls: TlsOptions = { ca: pki.ca.cert };
        await connectOnce(server, tls);
        assert.equal((await connectOnce(server, tls)).resumed, true, 'within its lifetime it resumes');
        // The lifetime is what this test is about: waiting it out is the point, not a
        // synchronisation (2.5 s against 1 s: whole seconds, as both sides count them).
        await new Promise((resolve) => setTimeout(resolve, 2500));
        const late = await connectOnce(server, tls);
        assert.deepEqual([late.resumed, late.serverSawResumed], [false, false]);
      }
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });
});

describe('the cache itself', () => {
  test('bounded: more servers than its capacity keep at most capacity sessions', async () => {
    const { capacity } = binding.tlsSessionCache();
    // A distinct key per connect: the servername (sent as SNI, not checked).
    for (let i = 0; i < capacity + 6; i++) {
      await connectOnce(tickets12, { ca: pki.ca.cert, rejectUnauthorized: false, servername: `n${i}.localhost` });
    }
    const state = binding.tlsSessionCache();
    assert.equal(state.entries, capacity);
    // No connection is open: every counted session is one the cache holds.
    assert.equal(state.liveSessions, capacity);
    // The oldest went, the newest is there.
    assert.equal((await connectOnce(tickets12, { ca: pki.ca.cert, rejectUnauthorized: false, servername: 'n0.localhost' })).resumed, false);
    assert.equal((await connectOnce(tickets12, { ca: pki.ca.cert, rejectUnauthorized: false, servername: `n${capacity + 5}.localhost` })).resumed, true);
  });

  test('many connections at once on one key: every one connects, the counts stay right', async () => {
    const tls: TlsOptions = { ca: pki.ca.cert };
    for (const server of [tickets12, tls13]) {
      await connectOnce(server, tls);
      const open = await Promise.all(
        Array.from({ length: 12 }, (_, n) => publish(server.url('live', `${STREAM_KEY}-many-${n}`, 'rtmps', 'localhost'), { tls, timeout: 10_000 })),
      );
      const resumed = open.filter((c) => c.tlsInfo()?.resumed).length;
      // TLS 1.2: the one session serves them all; TLS 1.3: a ticket is used once.
      assert.ok(server === tickets12 ? resumed === 12 : resumed >= 1, `${resumed} resumed`);
      await Promise.all(open.map((c) => c.close()));
      for (let n = 0; n < 12; n++) await sessions.get(server)!.next();
    }
    assert.deepEqual({ ...binding.tlsSessionCache(), capacity: 0 }, { entries: 2, liveSessions: 2, capacity: 0 });
  });

  test('every SSL_SESSION reference is given back: none alive once cleared', async () => {
    const tls: TlsOptions = { ca: pki.ca.cert };
    // Full and resumed handshakes on both protocols, some connections open at once.
    for (const server of [tickets12, ids12, tls13]) {
      await connectOnce(server, tls);
      const open = await Promise.all([1, 2, 3].map((n) => publish(server.url('live', `${STREAM_KEY}-${n}`, 'rtmps', 'localhost'), { tls, timeout: 5000 })));
      assert.ok(open.every((c) => c.tlsInfo()?.resumed === true || server === tls13));
      await Promise.all(open.map((c) => c.close()));
      for (let n = 0; n < 3; n++) await sessions.get(server)!.next();
    }
    const held = binding.tlsSessionCache();
    assert.equal(held.entries, 3);
    assert.equal(held.liveSessions, 3);
    clearTlsSessions();
    assert.deepEqual(binding.tlsSessionCache(), { entries: 0, liveSessions: 0, capacity: held.capacity });
  });
});
