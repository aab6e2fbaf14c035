// Node's CA conventions and TLS messages that say what to do. A private CA given only
// through the environment (NODE_EXTRA_CA_CERTS; SSL_CERT_FILE or SSL_CERT_DIR under
// --use-openssl-ca) is trusted as Node's own tls.connect trusts it; a host-name mismatch
// names the host asked for and the names the certificate holds.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ErrorCodes } from '../lib/errors';
import { publish } from '../lib/index';
import { makeTestPki, WRONG_HOST, type TestPki } from './helpers/certs';
import { trackChild } from './helpers/children';
import { expectRtmpError } from './helpers/expect-error';
import { AV_FLV, FIXTURES_DIR } from './helpers/fixtures';
import { startNginx, type NginxServer } from './helpers/nginx';
import { addonPreloadArgs, ON_OPENSSL_3 } from './helpers/openssl-line';

const ROOT = path.resolve(FIXTURES_DIR, '..', '..');
const BIN = path.join(ROOT, 'bin', 'librtmp.js');

/** `librtmp push` in a child with exactly these trust variables (the parent's removed). */
function push(url: string, env: NodeJS.ProcessEnv, signal: AbortSignal, options: string[] = []): Promise<{ code: number | null; stderr: string }> {
  const clean = { ...process.env };
  for (const name of ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS', 'SSL_CERT_FILE', 'SSL_CERT_DIR']) delete clean[name];
  const child = spawn(process.execPath, [...addonPreloadArgs(), BIN, 'push', '--no-realtime', ...options, AV_FLV, url], {
    env: { ...clean, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  trackChild(child, { signal });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

describe('TLS trust from the environment, and mismatch messages', () => {
  let pki: TestPki;
  let good: NginxServer;
  let wrongHost: NginxServer;
  let hashedDir: string;
  before(async () => {
    pki = await makeTestPki();
    [good, wrongHost] = await Promise.all([
      startNginx({ tls: { cert: pki.server.certPath, key: pki.server.keyPath } }),
      startNginx({ tls: { cert: pki.wrongHost.certPath, key: pki.wrongHost.keyPath } }),
    ]);
    // An OpenSSL hashed directory holding only the test CA: <subject hash>.0.
    hashedDir = path.join(pki.dir, 'hashed');
    fs.mkdirSync(hashedDir);
    const hash = execFileSync('openssl', ['x509', '-hash', '-noout', '-in', pki.ca.certPath], { encoding: 'utf8' }).trim();
    fs.copyFileSync(pki.ca.certPath, path.join(hashedDir, `${hash}.0`));
  });
  after(async () => {
    await Promise.all([good?.stop(), wrongHost?.stop()]);
    pki?.remove();
  });

  test('without the CA anywhere, the push is refused (exit 4, unable to get local issuer certificate)', async (t) => {
    const result = await push(good.url('live', 'untrusted', 'rtmps', 'localhost'), {}, t.signal);
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stderr, /ERR_TLS_CERT_VERIFY: .*unable to get local issuer certificate/);
  });

  test('NODE_EXTRA_CA_CERTS is trusted in addition to the root store', async (t) => {
    const result = await push(good.url('live', 'extra', 'rtmps', 'localhost'), { NODE_EXTRA_CA_CERTS: pki.ca.certPath }, t.signal);
    assert.equal(result.code, 0, result.stderr);
  });

  test('--use-openssl-ca: SSL_CERT_FILE, SSL_CERT_DIR and NODE_EXTRA_CA_CERTS are trusted; nothing else is', async (t) => {
    const url = good.url('live', 'openssl', 'rtmps', 'localhost');
    const options = { NODE_OPTIONS: '--use-openssl-ca' };
    const file = await push(url, { ...options, SSL_CERT_FILE: pki.ca.certPath }, t.signal);
    assert.equal(file.code, 0, file.stderr);
    const dir = await push(url, { ...options, SSL_CERT_FILE: path.join(pki.dir, 'none.pem'), SSL_CERT_DIR: hashedDir }, t.signal);
    assert.equal(dir.code, 0, dir.stderr);
    const extra = await push(url, { ...options, SSL_CERT_FILE: path.join(pki.dir, 'none.pem'), NODE_EXTRA_CA_CERTS: pki.ca.certPath }, t.signal);
    assert.equal(extra.code, 0, extra.stderr);
    // The system store does not hold the test CA: the root store is no longer in play either.
    const none = await push(url, options, t.signal);
    assert.equal(none.code, 4, none.stderr);
  });

  // NODE_EXTRA_CA_CERTS counts as Node reads it: once, at start-up (Node 22.15+ reports it
  // through tls.getCACertificates), so it is set for a child, never changed in this process.
  test('an explicit ca replaces the environment, as in Node', async (t) => {
    const url = good.url('live', 'explicit', 'rtmps', 'localhost');
    const env = { NODE_EXTRA_CA_CERTS: pki.ca.certPath };
    const trusted = await push(url, env, t.signal);
    assert.equal(trusted.code, 0, trusted.stderr);
    const replaced = await push(url, env, t.signal, ['--ca', pki.selfSigned.certPath]);
    assert.equal(replaced.code, 4, replaced.stderr);
    assert.match(replaced.stderr, /ERR_TLS_CERT_VERIFY: .*unable to get local issuer certificate/);
  });

  test('a host-name mismatch names the host asked for and the names the certificate holds', async () => {
    const byName = await expectRtmpError(
      publish(wrongHost.url('live', 'cam01', 'rtmps', 'localhost'), { tls: { ca: pki.ca.cert }, timeout: 5000 }),
      ErrorCodes.TLS_CERT_VERIFY,
    );
    // OpenSSL's own text: "Hostname mismatch" in 1.1.1, "hostname mismatch" in 3.x.
    const mismatch = ON_OPENSSL_3 ? 'hostname mismatch' : 'Hostname mismatch';
    assert.equal(byName.message, `TLS certificate verification failed: ${mismatch} (asked for 'localhost'; the certificate is for DNS:${WRONG_HOST})`);
    const byAddress = await expectRtmpError(
      publish(wrongHost.url('live', 'cam01', 'rtmps'), { tls: { ca: pki.ca.cert }, timeout: 5000 }),
      ErrorCodes.TLS_CERT_VERIFY,
    );
    assert.match(byAddress.message, new RegExp(`IP address mismatch \\(asked for '127\\.0\\.0\\.1'; the certificate is for DNS:${WRONG_HOST.replace(/\./g, '\\.')}\\)$`));
  });
});
