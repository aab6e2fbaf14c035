// Tests of the test harness itself, against the real nginx, ffmpeg and openssl.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { makeTestPki, WRONG_HOST, type TestPki } from './helpers/certs';
import { AV_FLV, avFacts } from './helpers/fixtures';
import { ffmpegPublish, ffprobeFrames } from './helpers/media';
import { startNginx } from './helpers/nginx';
import { tryConnect } from './helpers/ports';
import { childPids, isAlive, waitForProcessGone } from './helpers/processes';

const run = promisify(execFile);

describe('nginx', () => {
  test('starts, accepts, and stop() leaves no port, directory or process', async () => {
    const server = await startNginx();
    const master = server.pid;
    assert.ok(master !== undefined && isAlive(master));
    const workers = childPids(master);
    assert.equal(workers.length, 1, 'one worker process');
    assert.notEqual(await tryConnect(server.port), null);
    assert.ok(fs.existsSync(server.prefix));

    await server.stop();

    assert.equal(await tryConnect(server.port), null, 'port closed');
    assert.equal(fs.existsSync(server.prefix), false, 'prefix removed');
    for (const pid of [master, ...workers]) assert.equal(isAlive(pid), false, `pid ${pid} gone`);
  });

  test('restart() comes back on the same port', async () => {
    const server = await startNginx();
    try {
      const { port, pid } = server;
      await server.restart();
      assert.equal(server.port, port);
      assert.notEqual(server.pid, pid);
      assert.notEqual(await tryConnect(port), null);
    } finally {
      await server.stop();
    }
  });

  test('stop() ends a server that has a publisher at once', async (t) => {
    const server = await startNginx();
    const publish = ffmpegPublish(AV_FLV, server.url('live', 'busy'), {
      realtime: true,
      signal: t.signal,
    });
    try {
      await server.waitForLog(/publish: name='busy'/);
      const started = Date.now();
      await server.stop();
      assert.ok(Date.now() - started < 2000, `stopped in ${Date.now() - started} ms`);
      const result = await publish.done;
      assert.notEqual(result.code, 0, 'the publisher lost its server');
    } finally {
      await publish.stop();
      await server.stop();
    }
  });

  test('a server left running is ended when the test process exits', async () => {
    // A separate Node process starts nginx and exits without stop().
    const script = `
      const { startNginx } = require(${JSON.stringify(require.resolve('./helpers/nginx'))});
      const { childPids } = require(${JSON.stringify(require.resolve('./helpers/processes'))});
      startNginx().then((s) => {
        console.log(JSON.stringify({ pids: [s.pid, ...childPids(s.pid)], prefix: s.prefix, port: s.port }));
      });`;
    const { stdout } = await run(process.execPath, ['-e', script], { timeout: 10000 });
    const { pids, prefix, port } = JSON.parse(stdout) as {
      pids: number[];
      prefix: string;
      port: number;
    };
    assert.equal(pids.length, 2);
    for (const pid of pids) await waitForProcessGone(pid);
    assert.equal(fs.existsSync(prefix), false);
    assert.equal(await tryConnect(port), null);
  });

  test('a bad configuration fails the start with nginx error_log', async () => {
    await assert.rejects(
      startNginx({ applications: [{ name: 'live', directives: ['no_such_directive on'] }] }),
      /unknown directive "no_such_directive"/,
    );
  });
});

describe('ffmpeg and ffprobe', () => {
  test('the fixture published with record on is recorded frame for frame', async (t) => {
    const server = await startNginx({ record: true });
    try {
      const publish = ffmpegPublish(AV_FLV, server.url('live', 'fixture'), { signal: t.signal });
      const result = await publish.done;
      assert.equal(result.code, 0, result.stderr);
      const recorded = await server.waitForRecording('fixture');

      const probe = await ffprobeFrames(recorded, { signal: t.signal });
      assert.equal(probe.video?.codecName, avFacts.video.codec);
      assert.equal(probe.audio?.codecName, avFacts.audio.codec);
      assert.equal(probe.video?.frames, avFacts.video.frames);
      assert.equal(probe.audio?.frames, avFacts.audio.frames);
      assert.equal(probe.video?.keyPackets, avFacts.video.keyframes);
      const pts = probe.video?.pts ?? [];
      assert.ok(pts.every((v, i) => i === 0 || v > pts[i - 1]), 'video pts increase');
    } finally {
      await server.stop();
    }
  });

  test('ffprobe plays a live rtmp:// stream and ends once the publisher has left', async (t) => {
    const server = await startNginx();
    try {
      // The idle timeout is how ffprobe ends, and it also runs while ffmpeg is still starting
      // after the play: wide, so a loaded machine's slow ffmpeg start is not an "end".
      const playing = ffprobeFrames(server.url('live', 'cam'), { idleMs: 6000, signal: t.signal });
      await server.waitForLog(/play: name='cam'/);
      const publish = ffmpegPublish(AV_FLV, server.url('live', 'cam'), { signal: t.signal });
      assert.equal((await publish.done).code, 0);

      const probe = await playing;
      assert.equal(probe.video?.codecName, 'h264');
      assert.equal(probe.audio?.codecName, 'aac');
      // A live subscriber may lose frames when it falls behind a faster-than-real-time
      // publisher, so this only asks that the stream arrived.
      assert.ok((probe.video?.frames ?? 0) > 0);
      assert.ok((probe.audio?.frames ?? 0) > 0);
    } finally {
      await server.stop();
    }
  });
});

// One PKI for the whole file: RSA key generation is the slow part.
let pki: TestPki;
before(async () => {
  pki = await makeTestPki();
});
after(() => pki?.remove());

describe('TLS front', () => {
  test('takes an rtmps:// publish and logs the TLS 1.3 session', async (t) => {
    const server = await startNginx({
      record: true,
      tls: { cert: pki.server.certPath, key: pki.server.keyPath },
    });
    try {
      const publish = ffmpegPublish(AV_FLV, server.url('live', 'secure', 'rtmps'), {
        signal: t.signal,
      });
      const result = await publish.done;
      assert.equal(result.code, 0, result.stderr);

      const [session] = await server.waitForTlsLog(1);
      assert.equal(session.protocol, 'TLSv1.3');
      assert.match(session.cipher ?? '', /^TLS_/);
      assert.equal(session.status, 200);
      assert.ok(session.bytesFromClient >= avFacts.bytes / 2, 'the media went through');

      const probe = await ffprobeFrames(await server.waitForRecording('secure'));
      assert.equal(probe.video?.frames, avFacts.video.frames);
    } finally {
      await server.stop();
    }
  });

  test('limited to TLS 1.2 and one ECDHE-RSA suite, logs that suite and the SNI name', async (t) => {
    const server = await startNginx({
      tls: {
        cert: pki.server.certPath,
        key: pki.server.keyPath,
        protocols: ['TLSv1.2'],
        ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
      },
    });
    try {
      // A host name, not an address, so that the client sends SNI.
      const url = server.url('live', 'sni', 'rtmps', 'localhost');
      const result = await ffmpegPublish(AV_FLV, url, { signal: t.signal }).done;
      assert.equal(result.code, 0, result.stderr);

      const [session] = await server.waitForTlsLog(1);
      assert.equal(session.protocol, 'TLSv1.2');
      assert.equal(session.cipher, 'ECDHE-RSA-AES128-GCM-SHA256');
      assert.equal(session.serverName, 'localhost');
    } finally {
      await server.stop();
    }
  });
});

describe('test PKI', () => {
  const verify = (cert: string, ...extra: string[]): Promise<unknown> =>
    run('openssl', ['verify', '-CAfile', pki.ca.certPath, ...extra, cert]);

  test('openssl verify accepts the CA-signed localhost certificate by name and address', async () => {
    await verify(pki.server.certPath, '-verify_hostname', 'localhost');
    await verify(pki.server.certPath, '-verify_ip', '127.0.0.1');
    await verify(pki.server.certPath, '-verify_ip', '::1');
    await verify(pki.wrongHost.certPath, '-verify_hostname', WRONG_HOST);
  });

  test('openssl verify rejects expired, self-signed and wrong-host certificates', async () => {
    await assert.rejects(verify(pki.expired.certPath), /certificate has expired/);
    await assert.rejects(verify(pki.selfSigned.certPath), /self-signed certificate/);
    await assert.rejects(
      verify(pki.wrongHost.certPath, '-verify_hostname', 'localhost'),
      /hostname mismatch/,
    );
  });

  test('keys are RSA 2048', async () => {
    const { stdout } = await run('openssl', ['x509', '-noout', '-text', '-in', pki.server.certPath]);
    assert.match(stdout, /Public-Key: \(2048 bit\)/);
    assert.match(pki.server.key, /BEGIN PRIVATE KEY/);
  });
});
