// Clock-aware TLS (issue 15): a camera's clock reads 1970 until NTP has run. Under
// libfaketime (its clock alone set to 1970) a connection to the nginx TLS front fails with
// ERR_TLS_CERT_VERIFY, reason CERT_NOT_YET_VALID, the device's time and the certificate's
// validity window; the reconnecting publisher keeps retrying and says why. With the clock
// right the same child connects; an expired certificate gives CERT_EXPIRED.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ErrorCodes, publish, RtmpError, TlsClockReasons } from '../lib/index';
import { makeTestPki, type TestPki } from './helpers/certs';
import type { ClockInput, ClockResult } from './helpers/clock-child';
import { runJsonChild } from './helpers/node-child';
import { startNginx, type NginxServer } from './helpers/nginx';

const CHILD = path.join(__dirname, 'helpers', 'clock-child.js');

// The child's clock only: monotonic time stays real so that its timers run.
function runAt(date: string | undefined, input: ClockInput): Promise<ClockResult> {
  const prefix = date === undefined ? [] : ['faketime', '-f', `@${date}`];
  return runJsonChild<ClockResult>(CHILD, prefix, input, { env: { FAKETIME_DONT_FAKE_MONOTONIC: '1' }, timeoutMs: 60_000 }, 'SIGKILL', ' (under faketime)').then((r) => r.result);
}

let pki: TestPki;
let good: NginxServer;
let expired: NginxServer;

before(async () => {
  pki = await makeTestPki();
  [good, expired] = await Promise.all([
    startNginx({ tls: { cert: pki.server.certPath, key: pki.server.keyPath } }),
    startNginx({ tls: { cert: pki.expired.certPath, key: pki.expired.keyPath } }),
  ]);
});

after(async () => {
  await Promise.all([good, expired].filter(Boolean).map((s) => s.stop()));
  pki?.remove();
});

describe('TLS and the device clock', () => {
  test('clock at 1970: ERR_TLS_CERT_VERIFY, reason CERT_NOT_YET_VALID, with the clock and the validity window; the publisher retries saying why', { timeout: 90_000 }, async () => {
    const result = await runAt('1970-01-02 00:00:00', { url: good.url('live', 'clock', 'rtmps', 'localhost'), ca: pki.ca.cert });
    assert.match(result.now, /^1970-01-0[12]/, 'faketime set the child clock');
    assert.equal(result.connect.ok, false);
    const error = (result.connect as { error: NonNullable<ClockResult['connect'] & { ok: false }>['error'] }).error;
    assert.equal(error.code, ErrorCodes.TLS_CERT_VERIFY);
    assert.equal(error.reason, TlsClockReasons.CERT_NOT_YET_VALID);
    assert.match(error.deviceTime ?? '', /^1970-01-0[12]T/);
    assert.ok(error.validFrom && error.validTo, 'the certificate window is given');
    assert.ok(Date.parse(error.validFrom) > Date.parse(error.deviceTime as string));
    assert.ok(Date.parse(error.validFrom) <= Date.now() && Date.now() < Date.parse(error.validTo));
    assert.match(error.message, /not yet valid by this device's clock, which reads 1970-01-0[12]T.*valid from .* to .*NTP/);
    assert.ok(result.reconnecting.length >= 2, 'retried with the usual backoff');
    for (const event of result.reconnecting) {
      assert.equal(event.code, ErrorCodes.TLS_CERT_VERIFY);
      assert.equal(event.reason, TlsClockReasons.CERT_NOT_YET_VALID);
      assert.match(event.note ?? '', /clock \(1970-.*retrying/);
    }
  });

  test('clock set: the same child connects', { timeout: 60_000 }, async () => {
    const result = await runAt(undefined, { url: good.url('live', 'clock', 'rtmps', 'localhost'), ca: pki.ca.cert });
    assert.deepEqual(result.connect, { ok: true });
    assert.deepEqual(result.reconnecting, []);
  });

  test('an expired certificate: reason CERT_EXPIRED with its window', async () => {
    await assert.rejects(publish(expired.url('live', 'clock', 'rtmps', 'localhost'), { tls: { ca: pki.ca.cert }, timeout: 10_000 }), (e: unknown) => {
      assert.ok(e instanceof RtmpError);
      assert.equal(e.code, ErrorCodes.TLS_CERT_VERIFY);
      assert.equal(e.reason, TlsClockReasons.CERT_EXPIRED);
      assert.ok(e.validTo && e.deviceTime && e.validTo < e.deviceTime);
      assert.match(e.message, /certificate has expired by this device's clock/);
      return true;
    });
  });
});
