// The devcrypto engine, proven through a fake /dev/crypto (test/fixtures/fake-cryptodev)
// preloaded into child Node processes: which ciphers it serves, that it really encrypts the
// TLS records of an RTMPS publish, and how the process-wide engine decision answers later
// requests. Each scenario runs in its own child because that decision is per process.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { ErrorCodes, type EngineOption, type TlsOptions } from '../lib/index';
import { makeTestPki, type TestPki } from './helpers/certs';
import type { EngineChildOutput, EngineChildStep, EngineChildStepResult } from './helpers/engine-child';
import { fakeCryptodevEnv, fakeCryptodevLibrary, readDeviceStats, type FakeCryptodevOptions } from './helpers/fake-cryptodev';
import { avFacts } from './helpers/fixtures';
import { ffprobeFrames } from './helpers/media';
import { startNginx, type NginxServer, type TlsLogEntry } from './helpers/nginx';
import { runNodeChild } from './helpers/node-child';
import { TlsSessions } from './helpers/tls-sessions';

const CHILD = path.join(__dirname, 'helpers', 'engine-child.js');
const STREAM_KEY_MARK = 'sk-engine-Xr81';
const RTMP_HANDSHAKE_BYTES = 1537 + 1536; // C0+C1, C2: sent through TLS like everything else
const CAMERA_TLS = { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-SHA' } as const;
const DEVICE_REQUIRED: EngineOption = { id: 'devcrypto', required: true };

let library: string;
let pki: TestPki;
let front: NginxServer; // TLS 1.2 + 1.3, records what is published
let frontSessions: TlsSessions;
let noEtm: NginxServer; // refuses Encrypt-then-MAC: where x86 libssl would use stitched ciphers
let noEtmSessions: TlsSessions;
let statsDir: string;
let scenarios = 0;

before(async () => {
  [library, pki] = await Promise.all([fakeCryptodevLibrary(), makeTestPki()]);
  const cert = { cert: pki.server.certPath, key: pki.server.keyPath };
  [front, noEtm] = await Promise.all([
    startNginx({ tls: cert, record: true }),
    startNginx({ tls: { ...cert, confCommands: { Options: '-EncryptThenMac' } } }),
  ]);
  frontSessions = new TlsSessions(front);
  noEtmSessions = new TlsSessions(noEtm);
  // tmpfs: the fake rewrites its counters after every device call (see its README).
  statsDir = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : '/tmp', 'librtmp-cryptodev-'));
});

after(async () => {
  await Promise.all([front, noEtm].filter(Boolean).map((s) => s.stop()));
  pki?.remove();
  if (statsDir) fs.rmSync(statsDir, { recursive: true, force: true });
});

function step(label: string, server: NginxServer, tls: TlsOptions, engine: EngineOption | undefined, publishFixture = false): EngineChildStep {
  return {
    label,
    url: server.url('live', `${STREAM_KEY_MARK}-${label}`, 'rtmps', 'localhost'),
    options: { tls: { ca: pki.ca.cert, ...tls }, engine, timeout: 10_000 },
    publishFixture,
  };
}

function lastScenarioStatsFile(): string {
  return path.join(statsDir, `scenario-${scenarios}.json`);
}

/** Runs the steps in one fresh child with the fake device (or without it: `absent`). */
async function scenario(t: TestContext, steps: EngineChildStep[], options: FakeCryptodevOptions = {}): Promise<EngineChildStepResult[]> {
  scenarios += 1;
  const statsFile = lastScenarioStatsFile();
  const { result } = await runNodeChild<EngineChildOutput>(
    CHILD,
    { steps, deviceStatsFile: statsFile },
    { env: fakeCryptodevEnv(library, statsFile, options), signal: t.signal },
  );
  for (const s of result.steps) {
    if (s.error) assert.ok(!`${s.error.message}${s.error.stack}`.includes(STREAM_KEY_MARK), s.error.message);
  }
  return result.steps;
}

function succeeded(s: EngineChildStepResult): asserts s is EngineChildStepResult & { tlsInfo: NonNullable<EngineChildStepResult['tlsInfo']> } {
  assert.equal(s.error, undefined, `${s.label}: ${s.error?.code} ${s.error?.message}`);
  assert.ok(s.tlsInfo, `${s.label}: tlsInfo()`);
}

function infoOf(s: EngineChildStepResult): NonNullable<EngineChildStepResult['tlsInfo']> {
  succeeded(s);
  return s.tlsInfo;
}

function failedWith(s: EngineChildStepResult, code: string, reason?: RegExp): void {
  assert.equal(s.error?.code, code, `${s.label}: ${s.error?.code} ${s.error?.message}`);
  if (reason) assert.match(s.error?.message ?? '', reason);
}

/**
 * The device encrypted (nearly) every byte the client wrote into TLS for this session.
 *
 * Application bytes W: nginx's stream $bytes_received, which counts what the proxy read from
 * the client *after* TLS decryption, i.e. exactly the plaintext the client handed to
 * SSL_write (RTMP handshake, commands, chunk headers, media) with no handshake or record
 * overhead. Checked below against what we know we wrote: media bodies (stats().bytesOut)
 * plus the 3073-byte RTMP handshake, plus at most 12 bytes of chunk header per message and a
 * few hundred bytes of commands.
 *
 * Device bytes D: what the fake processed in CIOCCRYPT encrypt calls. For a TLS 1.2 CBC
 * record that is the whole CBC input: explicit IV (16) + plaintext + padding (1..16), and the
 * MAC too when Encrypt-then-MAC is off. So D >= W when every record goes through the device,
 * and a record that bypassed it (software AES, or a stitched AES-CBC-HMAC cipher) is missing
 * from D in full. Required: D >= 0.99 W. Independently, a TLS record carries at most 16 KB
 * of plaintext, so the device must have done at least ceil(W / 16384) encryptions.
 */
const TLS_MAX_PLAINTEXT = 16384;

function assertOffloaded(s: EngineChildStepResult, seen: TlsLogEntry): void {
  const stats = s.stats;
  assert.ok(stats, `${s.label}: stats()`);
  const written = seen.bytesFromClient;
  const known = stats.bytesOut + RTMP_HANDSHAKE_BYTES;
  assert.ok(written >= known && written <= known + stats.messagesOut * 12 + 4096, `${s.label}: W=${written}, bodies+handshake=${known}`);
  const device = s.device.encrypt;
  assert.ok(device.bytes >= 0.99 * written, `${s.label}: device encrypted ${device.bytes} of ${written} application bytes`);
  const records = Math.ceil(written / TLS_MAX_PLAINTEXT);
  assert.ok(device.ops >= records, `${s.label}: ${device.ops} device encryptions; ${written} bytes need ${records} records`);
}

describe('devcrypto serves TLS 1.2 AES-CBC: an RTMPS publish goes through the device', () => {
  for (const cipher of ['ECDHE-RSA-AES128-SHA', 'ECDHE-RSA-AES128-SHA256']) {
    test(`${cipher}: engine-served, ≥ 99 % of the bytes through the device, every frame recorded`, async (t) => {
      const [s] = await scenario(t, [step(cipher, front, { ...CAMERA_TLS, ciphers: cipher }, DEVICE_REQUIRED, true)]);
      succeeded(s);
      assert.equal(s.tlsInfo.protocol, 'TLSv1.2');
      assert.equal(s.tlsInfo.cipher, cipher);
      assert.equal(s.tlsInfo.engine, 'devcrypto');
      assert.equal(s.tlsInfo.engineServed, true);
      assert.equal(s.engine.id, 'devcrypto');
      assert.deepEqual([...s.engine.ciphers].sort(), ['AES-128-CBC', 'AES-256-CBC'], 'what the fake offers');
      assert.deepEqual([...s.engine.digests].sort(), ['SHA1', 'SHA256'], 'offered by the fake');
      assert.equal(s.tlsInfo.macEngineServed, false, 'digests stay in software by default');
      assert.equal(s.device.digest.ops, 0);

      const seen = await frontSessions.next();
      assert.equal(seen.cipher, cipher);
      assertOffloaded(s, seen);

      const probe = await ffprobeFrames(await front.waitForRecording(`${STREAM_KEY_MARK}-${cipher}`), { signal: t.signal });
      assert.equal(probe.video?.frames, avFacts.video.frames);
      assert.equal(probe.audio?.frames, avFacts.audio.frames);
    });
  }

  test('without Encrypt-then-MAC too: the stitched AES-CBC-HMAC ciphers do not bypass the device', async (t) => {
    const ciphers = ['ECDHE-RSA-AES128-SHA', 'ECDHE-RSA-AES128-SHA256'];
    const steps = await scenario(
      t,
      ciphers.map((cipher) => step(`no-etm-${cipher}`, noEtm, { ...CAMERA_TLS, ciphers: cipher }, DEVICE_REQUIRED, true)),
    );
    for (const [i, s] of steps.entries()) {
      succeeded(s);
      assert.equal(s.tlsInfo.engineServed, true);
      const seen = await noEtmSessions.next();
      assert.equal(seen.cipher, ciphers[i]);
      assertOffloaded(s, seen);
    }
  });
});

/**
 * The device hashed (nearly) every byte of the records' MAC input. With the engine's digests
 * on, TLS 1.2 HMAC runs its inner and outer SHA on the device: per record the inner hash takes
 * the 13-byte pseudo-header and the plaintext (or, with Encrypt-then-MAC, the IV and the
 * ciphertext, which is longer), so hashed bytes H >= W when every record's MAC went through
 * the device. The handshake's transcript and PRF hashing add a few KB (under 1 % here), so
 * H >= 0.99 W cannot be met by the handshake alone, and each record needs at least a digest.
 */
function assertMacOffloaded(s: EngineChildStepResult, seen: TlsLogEntry): void {
  const written = seen.bytesFromClient;
  const hashed = s.device.digest;
  assert.ok(hashed.bytes >= 0.99 * written, `${s.label}: device hashed ${hashed.bytes} of ${written} application bytes`);
  const records = Math.ceil(written / TLS_MAX_PLAINTEXT);
  assert.ok(hashed.ops >= 2 * records, `${s.label}: ${hashed.ops} device hash ops; ${records} records need two (inner, outer) each`);
}

const FULL_OFFLOAD: EngineOption = { id: 'devcrypto', required: true, methods: ['ciphers', 'digests'] };

describe("methods ['ciphers', 'digests']: the MAC of a CBC suite goes through the device too", () => {
  for (const [label, server, sessions] of [
    ['Encrypt-then-MAC', () => front, () => frontSessions],
    ['without Encrypt-then-MAC', () => noEtm, () => noEtmSessions],
  ] as const) {
    test(`ECDHE-RSA-AES128-SHA256, ${label}: ≥ 99 % of the bytes through the device for the cipher and for the MAC`, async (t) => {
      const cipher = 'ECDHE-RSA-AES128-SHA256';
      const [s] = await scenario(t, [step(`mac-${label.replace(/ /g, '-')}`, server(), { ...CAMERA_TLS, ciphers: cipher }, FULL_OFFLOAD, true)]);
      succeeded(s);
      assert.equal(s.tlsInfo.cipher, cipher);
      assert.equal(s.tlsInfo.engineServed, true, 'cipher offloaded');
      assert.equal(s.tlsInfo.macEngineServed, true, 'MAC offloaded');
      const seen = await sessions().next();
      assert.equal(seen.cipher, cipher);
      assertOffloaded(s, seen);
      assertMacOffloaded(s, seen);
    });
  }

  test('GCM and TLS 1.3 offload nothing, and tlsInfo() says so for the cipher and the MAC', async (t) => {
    const [gcm, tls13] = await scenario(t, [
      step('full-gcm', front, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }, FULL_OFFLOAD, true),
      step('full-tls13', front, { minVersion: 'TLSv1.3', ciphersuites: 'TLS_AES_128_GCM_SHA256' }, FULL_OFFLOAD, true),
    ]);
    for (const s of [gcm, tls13]) {
      succeeded(s);
      assert.equal(s.tlsInfo.engineServed, false, `${s.label}: cipher`);
      assert.equal(s.tlsInfo.macEngineServed, false, `${s.label}: no separate MAC`);
      assert.equal(s.device.encrypt.ops, 0, `${s.label}: no record reached the device`);
      const seen = await frontSessions.next();
      // Only the handshake's transcript hashing can use the device's SHA-256: not the records.
      assert.ok(s.device.digest.bytes < 0.05 * seen.bytesFromClient, `${s.label}: ${s.device.digest.bytes} bytes hashed on the device`);
    }
  });

  test('a cipher-only device (no digests) keeps the MAC in software and says so', async (t) => {
    const [s] = await scenario(
      t,
      [step('cipher-only', front, { ...CAMERA_TLS, ciphers: 'ECDHE-RSA-AES128-SHA256' }, { id: 'devcrypto', required: true, methods: ['ciphers', 'digests'] }, true)],
      { noDigests: true },
    );
    succeeded(s);
    assert.deepEqual(s.engine.digests, []);
    assert.equal(s.tlsInfo.engineServed, true);
    assert.equal(s.tlsInfo.macEngineServed, false);
    assert.equal(s.device.digest.ops, 0);
    await frontSessions.next();
  });
});

describe("engine: 'auto' offloads digests only where it pays", () => {
  const SUITE = { ...CAMERA_TLS, ciphers: 'ECDHE-RSA-AES128-SHA256' };
  // Step 1 takes the engine decision (and its measurement); step 2's device counts are then
  // the publish's alone.
  const autoSteps = (label: string): EngineChildStep[] => [step(`${label}-decide`, front, SUITE, 'auto'), step(label, front, SUITE, 'auto', true)];
  const costAt = (call: number, perByte: number, bytes: number): number => call + perByte * bytes;

  test('it measures each MAC digest on the device and in software, decides by that, and the MAC goes where it decided', async (t) => {
    const [decide, s] = await scenario(t, autoSteps('auto-digests'));
    succeeded(decide);
    succeeded(s);
    const calibration = s.engine.digestCalibration ?? [];
    assert.deepEqual(calibration.map((c) => c.digest).sort(), ['SHA1', 'SHA256'], 'the MAC digests the fake offers');
    for (const c of calibration) {
      assert.deepEqual(c.costs.map((cost) => cost.bytes), [64, 1024, 4096, 16384]);
      for (const cost of c.costs) assert.ok(cost.engineNs > 0 && cost.softwareNs > 0, `${c.digest}: ${JSON.stringify(cost)}`);
      const engine = costAt(c.engineCallNs, c.engineByteNs, c.decisionBytes);
      const software = costAt(c.softwareCallNs, c.softwareByteNs, c.decisionBytes);
      assert.equal(c.enginePays, engine < software, `${c.digest}: engine ${engine} ns, software ${software} ns at ${c.decisionBytes} B`);
      if (c.crossoverBytes !== null) assert.ok(c.engineByteNs < c.softwareByteNs);
    }
    const served = calibration.every((c) => c.enginePays);
    assert.equal(s.engine.digestsServed, served);
    assert.equal(s.tlsInfo.engineServed, true, 'the cipher is offloaded either way');
    assert.equal(s.tlsInfo.macEngineServed, served);
    await frontSessions.next();
    const seen = await frontSessions.next();
    assertOffloaded(s, seen);
    if (served) assertMacOffloaded(s, seen);
    else assert.equal(s.device.digest.ops, 0, 'no hashing on the device');
  });

  test('a device whose calls are dear (20 µs each, FAKE_CRYPTODEV_CALL_NS) keeps the MAC in software', async (t) => {
    const [, s] = await scenario(t, autoSteps('auto-dear'), { callNs: 20_000 });
    succeeded(s);
    const calibration = s.engine.digestCalibration ?? [];
    assert.equal(calibration.length, 2);
    for (const c of calibration) {
      assert.equal(c.enginePays, false, `${c.digest}: ${JSON.stringify(c)}`);
      // A record MAC makes many device calls: its fixed cost on the device is their price at least.
      assert.ok(c.engineCallNs > 10 * 20_000, `${c.digest}: ${c.engineCallNs} ns per record MAC`);
    }
    assert.equal(s.engine.digestsServed, false);
    assert.equal(s.tlsInfo.macEngineServed, false);
    assert.equal(s.device.digest.ops, 0);
    await frontSessions.next();
    assertOffloaded(s, await frontSessions.next());
  });

  test('a cipher-only device: nothing to measure, the MAC stays in software', async (t) => {
    const [, s] = await scenario(t, autoSteps('auto-cipher-only'), { noDigests: true });
    succeeded(s);
    assert.deepEqual(s.engine.digestCalibration ?? [], []);
    assert.equal(s.engine.digestsServed, false);
    assert.equal(s.tlsInfo.macEngineServed, false);
    await frontSessions.next();
    await frontSessions.next();
  });
});

describe('what devcrypto cannot serve stays in software, and says so', () => {
  test("'auto' picks the device; AES-GCM and TLS 1.3 are reported and run as software", async (t) => {
    const [gcm, tls13, cbc] = await scenario(t, [
      step('gcm', front, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }, 'auto', true),
      step('tls13', front, {}, undefined, true),
      step('cbc', front, CAMERA_TLS, 'auto'),
    ]);
    for (const s of [gcm, tls13, cbc]) {
      assert.equal(infoOf(s).engine, 'devcrypto', `${s.label}: 'auto' found the device`);
      await frontSessions.next();
    }
    assert.equal(infoOf(gcm).cipher, 'ECDHE-RSA-AES128-GCM-SHA256');
    assert.equal(infoOf(gcm).engineServed, false);
    assert.equal(gcm.device.encrypt.ops, 0, 'no GCM record reached the device');
    assert.equal(infoOf(tls13).protocol, 'TLSv1.3');
    assert.equal(infoOf(tls13).engineServed, false);
    assert.equal(tls13.device.encrypt.ops, 0, 'no TLS 1.3 record reached the device');
    assert.equal(infoOf(cbc).engineServed, true, 'the same process offloads a CBC suite');
    assert.ok(cbc.device.encrypt.ops > 0);
  });
});

describe('without /dev/crypto', () => {
  test('a required devcrypto is ERR_ENGINE_UNAVAILABLE, naming /dev/crypto', async (t) => {
    const [object, byId] = await scenario(
      t,
      [step('object', front, CAMERA_TLS, DEVICE_REQUIRED), step('id', front, CAMERA_TLS, 'devcrypto')],
      { absent: true },
    );
    failedWith(object, ErrorCodes.ENGINE_UNAVAILABLE, /\/dev\/crypto: No such file or directory/);
    failedWith(byId, ErrorCodes.ENGINE_UNAVAILABLE, /\/dev\/crypto: No such file or directory/);
    // The reason is the device, not OpenSSL's failed attempt at a dynamic engine of that name.
    assert.doesNotMatch(object.error?.message ?? '', /shared library|DSO/);
    assert.equal(object.engine.id, null);
  });

  test("'auto' connects in software and says why; a later required request is refused", async (t) => {
    const [auto, required] = await scenario(
      t,
      [step('auto', front, CAMERA_TLS, 'auto', true), step('required', front, CAMERA_TLS, DEVICE_REQUIRED)],
      { absent: true },
    );
    succeeded(auto);
    await frontSessions.next();
    assert.equal(auto.tlsInfo.engine, null);
    assert.equal(auto.tlsInfo.engineServed, false);
    assert.equal(auto.engine.configured, true);
    assert.equal(auto.engine.id, null);
    assert.match(auto.engine.unavailableReason ?? '', /\/dev\/crypto/);
    failedWith(required, ErrorCodes.ENGINE_UNAVAILABLE, /\/dev\/crypto/);
    // The engine looked for /dev/crypto, found none, and nothing reached a device.
    const device = readDeviceStats(lastScenarioStatsFile());
    assert.ok(device, 'the fake counted the refused open');
    assert.equal(device.device.opens, 0);
    assert.ok(device.device.opens_refused >= 1);
    assert.equal(device.ioctls.CIOCCRYPT, 0);
  });
});

describe('the engine decision is taken once per process', () => {
  test('after engine: false, asking for a required devcrypto is ERR_ENGINE_CONFLICT', async (t) => {
    const [off, required, auto, optional] = await scenario(t, [
      step('off', front, CAMERA_TLS, false),
      step('required', front, CAMERA_TLS, DEVICE_REQUIRED),
      step('auto', front, CAMERA_TLS, 'auto'),
      step('optional', front, CAMERA_TLS, { id: 'devcrypto' }),
    ]);
    succeeded(off);
    assert.equal(off.tlsInfo.engine, null);
    failedWith(required, ErrorCodes.ENGINE_CONFLICT);
    // Requests that accept software follow the decision already taken.
    for (const s of [auto, optional]) {
      assert.equal(infoOf(s).engine, null);
      assert.equal(s.device.encrypt.ops, 0);
    }
    for (let i = 0; i < 3; i++) await frontSessions.next();
  });

  test('with devcrypto in use, turning it off or changing its methods is ERR_ENGINE_CONFLICT', async (t) => {
    const [auto, off, digests, same] = await scenario(t, [
      step('auto', front, CAMERA_TLS, 'auto'),
      step('off', front, CAMERA_TLS, false),
      step('digests', front, CAMERA_TLS, { id: 'devcrypto', methods: ['ciphers', 'digests'] }),
      step('same', front, CAMERA_TLS, DEVICE_REQUIRED),
    ]);
    succeeded(auto);
    assert.equal(auto.tlsInfo.engine, 'devcrypto');
    failedWith(off, ErrorCodes.ENGINE_CONFLICT, /devcrypto/);
    failedWith(digests, ErrorCodes.ENGINE_CONFLICT, /devcrypto/);
    succeeded(same);
    assert.equal(same.tlsInfo.engineServed, true);
    for (let i = 0; i < 2; i++) await frontSessions.next();
  });
});

describe('engine control commands', () => {
  test('one the engine does not know makes a required engine unavailable, naming the command', async (t) => {
    // Not a devcrypto command: 1.1.1w's defines none, 3.5's USE_SOFTDRIVERS, CIPHERS, DIGESTS, DUMP_INFO.
    const [s] = await scenario(t, [step('ctrl', front, CAMERA_TLS, { id: 'devcrypto', required: true, ctrl: { NO_SUCH_COMMAND: 1 } })]);
    failedWith(s, ErrorCodes.ENGINE_UNAVAILABLE, /'NO_SUCH_COMMAND'/);
    assert.equal(s.engine.id, null);
    assert.equal(s.device.encrypt.ops, 0);
  });
});
