// TLS client hardening: a server that asks to renegotiate (TLS 1.2) is refused with its own
// code; every name OpenSSL will not take for SNI or for the certificate check fails the
// connect with ERR_TLS_CONFIG before the server is contacted, instead of being skipped; and
// an engine id never makes OpenSSL load a shared object (only an explicit `engine.path` does).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { ErrorCodes, publish, type EngineOption, type ErrorCode } from '../lib/index';
import { makeTestPki, type TestPki } from './helpers/certs';
import type { EngineChildOutput, EngineChildStepResult } from './helpers/engine-child';
import { runNodeChild } from './helpers/node-child';
import { expectRtmpError } from './helpers/expect-error';
import { startNginx, type NginxServer } from './helpers/nginx';

const STREAM_KEY = 'sk-reneg-7Hq2Lw-secret';

let pki: TestPki;
let nginx: NginxServer;

before(async () => {
  pki = await makeTestPki();
  nginx = await startNginx({ tls: { cert: pki.server.certPath, key: pki.server.keyPath, protocols: ['TLSv1.2', 'TLSv1.3'] } });
});

after(async () => {
  await nginx?.stop();
  pki?.remove();
});

interface RenegotiatingFront {
  port: number;
  /** How the server's renegotiation request on the first TLS session ended. */
  outcome: Promise<string>;
  /** TLS sessions accepted so far. */
  sessions(): number;
  close(): Promise<void>;
}

/**
 * A TLS 1.2 front for the test nginx that asks its client to renegotiate right after the
 * handshake (a HelloRequest), then relays to nginx's RTMP port. A client that accepts goes on
 * to a working RTMP session; one that refuses makes the server end the connection.
 */
async function renegotiatingFront(): Promise<RenegotiatingFront> {
  let sessions = 0;
  let settle: (outcome: string) => void = () => {};
  const outcome = new Promise<string>((resolve) => (settle = resolve));
  const server = tls.createServer({ cert: pki.server.cert, key: pki.server.key, maxVersion: 'TLSv1.2' }, (socket) => {
    sessions++;
    const upstream = net.connect(nginx.port, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    upstream.on('error', () => socket.destroy());
    socket.on('error', (error: NodeJS.ErrnoException) => {
      upstream.destroy();
      settle(`refused: ${error.code ?? error.message}`);
    });
    socket.on('close', () => {
      upstream.destroy();
      settle('closed');
    });
    if (!socket.renegotiate({}, (error) => settle(error ? `error: ${error.message}` : 'renegotiated'))) settle('not asked');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    outcome,
    sessions: () => sessions,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('renegotiation', () => {
  test('the front really renegotiates: a client that allows it (Node) completes it', async () => {
    const front = await renegotiatingFront();
    const client = tls.connect({ port: front.port, host: '127.0.0.1', ca: pki.ca.cert, servername: 'localhost' });
    try {
      client.on('error', () => {});
      client.resume(); // the HelloRequest is handled by the client's reads
      assert.equal(await front.outcome, 'renegotiated');
    } finally {
      client.destroy();
      await front.close();
    }
  });

  test('a TLS 1.2 server asking to renegotiate is refused with ERR_TLS_RENEGOTIATION', async () => {
    const front = await renegotiatingFront();
    try {
      const url = `rtmps://localhost:${front.port}/live/${STREAM_KEY}`;
      const error = await expectRtmpError(publish(url, { tls: { ca: pki.ca.cert }, timeout: 10000 }), ErrorCodes.TLS_RENEGOTIATION);
      assert.match(error.message, /renegotiate/);
      assert.ok(!error.message.includes(STREAM_KEY) && !(error.stack ?? '').includes(STREAM_KEY));
      assert.equal(front.sessions(), 1);
      // The server got the refusal (OpenSSL's no_renegotiation alert), not a timeout or a reset.
      assert.match(await front.outcome, /refused: ERR_SSL_NO_RENEGOTIATION/);
    } finally {
      await front.close();
    }
  });

  test('without renegotiation, the same front and nginx take a publish (the refusal is the only difference)', async () => {
    // The front minus its HelloRequest is nginx's own TLS front: TLS 1.2 to it works.
    const connection = await publish(nginx.url('live', STREAM_KEY, 'rtmps', 'localhost'), {
      tls: { ca: pki.ca.cert, maxVersion: 'TLSv1.2' },
      timeout: 10000,
    });
    assert.equal(connection.tlsInfo()?.protocol, 'TLSv1.2');
    await connection.close();
  });
});

describe('names OpenSSL refuses fail the connect', () => {
  /** A listener that counts connections: a refused name must not cost the server one. */
  async function countingServer(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      port: (server.address() as net.AddressInfo).port,
      connections: () => connections,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }

  const cases: [string, string, ErrorCode, RegExp][] = [
    // X509_VERIFY_PARAM_set1_ip_asc: shaped like an address (digits and dots), not a valid one.
    ['an invalid IPv4 address', '10.0.0.256', ErrorCodes.TLS_CONFIG, /not a valid IP address/],
    // ...and an IPv6 one with two '::'.
    ['an invalid IPv6 address', '2001::db8::1', ErrorCodes.TLS_CONFIG, /not a valid IP address/],
    // SSL_set_tlsext_host_name: SNI carries at most 255 bytes.
    ['a name longer than SNI allows', `${'a'.repeat(63)}.`.repeat(4) + 'example', ErrorCodes.TLS_CONFIG, /SNI/],
    // X509_VERIFY_PARAM_set1_host, given the full length, refuses an embedded NUL (before, the
    // part up to the NUL was checked instead).
    ['a name with an embedded NUL', 'localhost\0.evil.example', ErrorCodes.TLS_CONFIG, /embedded NUL/],
  ];
  for (const [what, servername, code, reason] of cases) {
    test(`${what} as servername: ${code}, and no connection is made`, async () => {
      const server = await countingServer();
      try {
        const url = `rtmps://127.0.0.1:${server.port}/live/${STREAM_KEY}`;
        const error = await expectRtmpError(publish(url, { tls: { ca: pki.ca.cert, servername }, timeout: 5000 }), code);
        assert.match(error.message, reason);
        assert.ok(!error.message.includes(STREAM_KEY));
        assert.equal(server.connections(), 0);
      } finally {
        await server.close();
      }
    });
  }

  test('valid addresses as servername still verify against the IP SAN, and send no SNI', async () => {
    for (const servername of ['127.0.0.1', '::1', '0:0:0:0:0:0:0:1']) {
      const connection = await publish(nginx.url('live', STREAM_KEY, 'rtmps'), { tls: { ca: pki.ca.cert, servername }, timeout: 10000 });
      const info = connection.tlsInfo();
      await connection.close();
      assert.equal(info?.authorized, true, servername);
      assert.equal(info?.servername, '', servername);
    }
  });
});

describe('engines: code is loaded only from an explicit path', () => {
  const ENGINE_CHILD = path.join(__dirname, 'helpers', 'engine-child.js');
  // A shared object that only says it ran: dlopen runs its constructor before OpenSSL even
  // looks for bind_engine (which it lacks, so it never becomes an engine).
  const MARKER_SOURCE = `#include <stdio.h>
#include <stdlib.h>
__attribute__((constructor)) static void ran(void) {
  const char* file = getenv("LIBRTMP_TEST_ENGINE_MARKER");
  FILE* f = file ? fopen(file, "a") : NULL;
  if (f) { fputs("loaded\\n", f); fclose(f); }
}
`;
  let dir: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-engines-'));
    fs.writeFileSync(path.join(dir, 'marker.c'), MARKER_SOURCE);
    // OpenSSL's dynamic engine looks for "<id>.so" in $OPENSSL_ENGINES.
    for (const id of ['devcrypto', 'librtmptest']) {
      await promisify(execFile)('cc', ['-shared', '-fPIC', '-o', path.join(dir, `${id}.so`), path.join(dir, 'marker.c')]);
    }
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** One fresh process (the engine decision is process-wide) with $OPENSSL_ENGINES = dir. */
  async function connectWith(t: { signal: AbortSignal }, engine: EngineOption, label: string): Promise<{ step: EngineChildStepResult; loaded: boolean }> {
    const marker = path.join(dir, `${label}.marker`);
    const url = `rtmps://127.0.0.1:${nginx.tlsPort}/live/${STREAM_KEY}`;
    const { result } = await runNodeChild<EngineChildOutput>(
      ENGINE_CHILD,
      { steps: [{ label, url, options: { tls: { ca: pki.ca.cert }, engine, timeout: 10000 } }] },
      { env: { OPENSSL_ENGINES: dir, LIBRTMP_TEST_ENGINE_MARKER: marker }, signal: t.signal },
    );
    return { step: result.steps[0], loaded: fs.existsSync(marker) };
  }

  test('an engine id OpenSSL does not have built in is unavailable, and nothing is loaded from $OPENSSL_ENGINES', async (t) => {
    const { step, loaded } = await connectWith(t, { id: 'librtmptest', required: true }, 'by-id');
    assert.equal(step.error?.code, ErrorCodes.ENGINE_UNAVAILABLE);
    assert.match(step.error?.message ?? '', /engine 'librtmptest' is not available/);
    assert.equal(loaded, false, 'OpenSSL ran librtmptest.so from $OPENSSL_ENGINES');
  });

  test("'auto' on a machine without /dev/crypto falls back to software and loads nothing", async (t) => {
    // devcrypto is registered only when /dev/crypto opens; without it OpenSSL would look for
    // devcrypto.so. (With a device, devcrypto is built in and found: nothing to look for.)
    if (fs.existsSync('/dev/crypto')) return t.skip('this machine has /dev/crypto');
    const { step, loaded } = await connectWith(t, 'auto', 'auto');
    assert.equal(step.error, undefined, step.error?.message);
    assert.equal(step.tlsInfo?.engine, null);
    assert.equal(step.engine.id, null);
    assert.equal(loaded, false, 'OpenSSL ran devcrypto.so from $OPENSSL_ENGINES');
  });

  test('engine.path runs the shared object it names (documented: it executes that code)', async (t) => {
    const { step, loaded } = await connectWith(t, { path: path.join(dir, 'librtmptest.so') }, 'by-path');
    assert.equal(loaded, true);
    // Not an engine (no bind_engine): not required, so software serves the connection.
    assert.equal(step.error, undefined, step.error?.message);
  });
});
