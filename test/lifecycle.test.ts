// Lifecycle: what happens when Node exits, a worker publishes, or a connection is dropped
// without close(). Each scenario runs in a child process so a hang or crash is seen as one.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { trackChild } from './helpers/children';
import { AV_FLV, avFacts } from './helpers/fixtures';
import { ffprobeFrames } from './helpers/media';
import { startNginx, type NginxServer } from './helpers/nginx';
import { runChild, type ChildRun } from './helpers/node-child';
import { threadsNamed } from './helpers/process-state';
import { startThrottledRelay } from './helpers/throttled-relay';
import { publish } from '../lib/index';

const LIB = path.resolve(__dirname, '..', 'lib', 'index.js');

/** Runs `source` as a CommonJS script in a fresh node (tracked), killed after `timeoutMs`. */
function runNode(source: string, timeoutMs = 20_000, args: string[] = []): Promise<ChildRun> {
  return runChild([process.execPath, ...args, '-e', source], { timeoutMs, requireSuccess: false });
}

describe('lifecycle', () => {
  let nginx: NginxServer;
  before(async () => {
    nginx = await startNginx({ record: true });
  });
  after(() => nginx.stop());

  test('process.exit() with open publishing and playing connections neither hangs nor crashes', async () => {
    const source = `
      const fs = require('node:fs');
      const { publish, connect, FlvParser } = require(${JSON.stringify(LIB)});
      (async () => {
        const tags = new FlvParser().push(fs.readFileSync(${JSON.stringify(AV_FLV)}));
        const pub = await publish(${JSON.stringify(nginx.url('live', 'exiting'))});
        await pub.writeTags(tags.slice(0, 50));
        const player = await connect(${JSON.stringify(nginx.url('live', 'exiting'))}, { live: true });
        player.readTags().catch(() => {});           // a read pending in native code
        pub.writeTags(tags.slice(50)).catch(() => {}); // a write pending too
        console.log('open');
        process.exit(0);
      })().catch((e) => { console.error(e); process.exit(3); });`;
    const result = await runNode(source);
    assert.equal(result.signal, null, `killed: ${result.stderr}`);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /open/);
  });

  test('process.exit() while sendFile() is blocked on a server that stopped reading, in the background or not', async () => {
    const relay = await startThrottledRelay(nginx.port, 10 * 1024 * 1024);
    try {
      // The fixture 40 times over (~19 MB): more than the socket buffers take.
      const source = `
        const fs = require('node:fs');
        const os = require('node:os');
        const path = require('node:path');
        const { publish } = require(${JSON.stringify(LIB)});
        (async () => {
          const one = fs.readFileSync(${JSON.stringify(AV_FLV)});
          const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-exit-')), 'big.flv');
          fs.writeFileSync(file, Buffer.concat([one, ...Array.from({ length: 39 }, () => one.subarray(13))]));
          const url = 'rtmp://127.0.0.1:${relay.port}/live/exitWhileSending';
          const [a, b] = [await publish(url + 'A', { timeout: 60000 }), await publish(url + 'B', { timeout: 60000 })];
          process.stdout.write('connected\\n');
          await new Promise((resolve) => process.stdin.once('data', resolve));
          a.sendFile(file).catch(() => {});
          b.sendFile(file, { background: true }).catch(() => {});
          const named = (name) => fs.readdirSync('/proc/self/task').filter((t) => fs.readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim() === name).length;
          while (named('librtmp-bulk') === 0) await new Promise(setImmediate);
          fs.rmSync(path.dirname(file), { recursive: true });
          console.log('sending');
          process.exit(0);
        })().catch((e) => { console.error(e); process.exit(3); });`;
      const child = spawn(process.execPath, ['-e', source], { stdio: ['pipe', 'pipe', 'pipe'] });
      trackChild(child);
      let stdout = '';
      let stderr = '';
      let released = false;
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        // Both connected: the relay stops reading, then the child starts sending.
        if (stdout.includes('connected') && !released) {
          released = true;
          relay.stall();
          child.stdin.end('go');
        }
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, sg) => resolve([c, sg])));
      clearTimeout(timer);
      assert.equal(signal, null, `killed: ${stderr}`);
      assert.equal(code, 0, stderr);
      assert.match(stdout, /sending/);
    } finally {
      relay.close();
    }
  });

  test('process.exit() while sendCamera() waits on an encoder that writes nothing', async () => {
    const source = `
      const fs = require('node:fs');
      const os = require('node:os');
      const path = require('node:path');
      const { execFileSync } = require('node:child_process');
      const { publish } = require(${JSON.stringify(LIB)});
      (async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-exit-camera-'));
        const fifo = path.join(dir, 'video.fifo');
        execFileSync('mkfifo', [fifo]);
        const connection = await publish(${JSON.stringify(nginx.url('live', 'exitWhileCamera'))});
        connection.sendCamera({ video: fifo, frameRate: 30 }).catch(() => {});
        // The encoder's end opens once the feed has opened its own (ENXIO until then).
        let writer;
        while (writer === undefined) {
          try { writer = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK); } catch { await new Promise(setImmediate); }
        }
        fs.rmSync(dir, { recursive: true });
        console.log('feeding');
        process.exit(0);
      })().catch((e) => { console.error(e); process.exit(3); });`;
    const result = await runNode(source);
    assert.equal(result.signal, null, `killed: ${result.stderr}`);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /feeding/);
  });

  test('each open connection has one thread, named librtmp-conn for top -H and perf', async () => {
    const before = threadsNamed('librtmp-conn');
    const connections = await Promise.all([1, 2].map((i) => publish(nginx.url('live', `named${i}`))));
    assert.equal(threadsNamed('librtmp-conn'), before + 2);
    await Promise.all(connections.map((c) => c.close()));
    assert.equal(threadsNamed('librtmp-conn'), before);
  });

  test('an open connection keeps the process alive until closed, unless unref()ed', async () => {
    const source = `
      const { publish } = require(${JSON.stringify(LIB)});
      (async () => {
        const pub = await publish(${JSON.stringify(nginx.url('live', 'unrefd'))});
        pub.unref();
        console.log('unrefd');
      })();`;
    const result = await runNode(source, 10_000);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /unrefd/);
  });

  test('a connection dropped without close() is closed by its finalizer', async () => {
    const source = `
      const { publish } = require(${JSON.stringify(LIB)});
      const threads = () => require('node:fs').readdirSync('/proc/self/task').length;
      (async () => {
        const before = threads();
        let pub = await publish(${JSON.stringify(nginx.url('live', 'dropped'))});
        pub.unref();
        pub = null;
        // Until the finalizer has run and the thread is gone: bounded by the child's timeout
        // (a count of rounds would be a guess at how fast a loaded machine collects).
        while (threads() > before) {
          global.gc();
          await new Promise((r) => setTimeout(r, 20));
        }
        console.log(JSON.stringify({ before, after: threads() }));
      })();`;
    const result = await runNode(source, 15_000, ['--expose-gc']);
    assert.equal(result.code, 0, result.stderr);
    const { before, after } = JSON.parse(result.stdout) as { before: number; after: number };
    assert.ok(after <= before, `connection thread still running: ${before} -> ${after}`);
    // nginx saw the publisher go away.
    await nginx.waitForRecording('dropped');
  });

  test('a worker thread publishes (the addon is context-aware)', async () => {
    const source = `
      const { Worker } = require('node:worker_threads');
      const worker = new Worker(\`
        const fs = require('node:fs');
        const { publish } = require(${JSON.stringify(LIB)});
        (async () => {
          const pub = await publish(${JSON.stringify(nginx.url('live', 'worker'))});
          await pub.write(fs.readFileSync(${JSON.stringify(AV_FLV)}));
          await pub.close();
          require('node:worker_threads').parentPort.postMessage('done');
        })();\`, { eval: true });
      worker.on('message', (m) => console.log(m));
      worker.on('error', (e) => { console.error(e); process.exit(4); });`;
    const result = await runNode(source);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /done/);
    const probe = await ffprobeFrames(await nginx.waitForRecording('worker'));
    assert.equal(probe.video?.frames, avFacts.video.frames);
  });

  test('a worker terminated with open connections does not take the process down', async () => {
    const source = `
      const { Worker } = require('node:worker_threads');
      const worker = new Worker(\`
        const { publish } = require(${JSON.stringify(LIB)});
        publish(${JSON.stringify(nginx.url('live', 'terminated'))}).then(() =>
          require('node:worker_threads').parentPort.postMessage('open'));\`, { eval: true });
      worker.on('message', async () => { await worker.terminate(); console.log('terminated'); });`;
    const result = await runNode(source);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /terminated/);
  });
});
