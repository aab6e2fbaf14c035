// The API's Node-facing behaviour against nginx-rtmp: stream adapters with backpressure,
// AbortSignal, close semantics, stats, and the stream key staying secret.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { connect, ErrorCodes, publish, RtmpConnection, RtmpError, setLogger, type LogEntry } from '../lib/index';
import { FlvParser } from '../lib/flv';
import { AV_FLV, avFacts } from './helpers/fixtures';
import { ffmpegPublish, ffprobeFrames } from './helpers/media';
import { startNginx, type NginxServer } from './helpers/nginx';
import { freePort } from './helpers/ports';

describe('the API', () => {
  let nginx: NginxServer;
  let tmp: string;
  before(async () => {
    nginx = await startNginx({ record: true, idleStreams: false });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-api-'));
  });
  after(async () => {
    await nginx.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('pipeline(file, writable()) publishes the whole file and closes', async () => {
    const pub = await publish(nginx.url('live', 'piped'));
    await pipeline(fs.createReadStream(AV_FLV, { highWaterMark: 7000 }), pub.writable());
    assert.equal(pub.closed, true);
    const probe = await ffprobeFrames(await nginx.waitForRecording('piped'));
    assert.equal(probe.video?.frames, avFacts.video.frames);
    assert.equal(probe.audio?.frames, avFacts.audio.frames);
  });

  test('readable() written to a file plays in ffprobe', async (t) => {
    const url = nginx.url('live', 'toFile');
    const ffmpeg = ffmpegPublish(AV_FLV, url, { realtime: true, signal: t.signal });
    await nginx.waitForLog(/publish: name='toFile'/);
    const player = await connect(url, { live: true });
    const out = path.join(tmp, 'out.flv');
    await pipeline(player.readable(), fs.createWriteStream(out));
    assert.equal((await ffmpeg.done).code, 0);
    const probe = await ffprobeFrames(out);
    assert.equal(probe.video?.codecName, 'h264');
    assert.equal(probe.audio?.codecName, 'aac');
    // Joined after the publisher started: at least the frames from the next keyframe on.
    assert.ok((probe.video?.frames ?? 0) > avFacts.video.frames / 2, `${probe.video?.frames} frames`);
    assert.equal(player.closed, true);
  });

  test('stats() counts what was sent', async () => {
    const tags = new FlvParser().push(fs.readFileSync(AV_FLV));
    const pub = await publish(nginx.url('live', 'stats'));
    const payload = tags.reduce((n, tag) => n + tag.data.length, 0);
    const pending = pub.writeTags(tags);
    assert.ok(pub.stats().queuedBytes > 0, 'queued while the write is pending');
    await pending;
    const stats = pub.stats();
    assert.equal(stats.queuedBytes, 0);
    assert.equal(stats.messagesOut, tags.length);
    assert.equal(stats.videoMessagesOut, tags.filter((tag) => tag.type === 'video').length);
    assert.equal(stats.lastTimestampOut, tags.at(-1)?.timestamp);
    // onMetaData gains the 16-byte @setDataFrame prefix.
    assert.equal(stats.bytesOut, payload + 16);
    assert.ok(stats.connectTimeMs > 0 && stats.connectTimeMs < 10_000);
    await pub.close();
  });

  test('close() is idempotent and a closed connection refuses work with ERR_CLOSED', async () => {
    const pub = await publish(nginx.url('live', 'closing'));
    const first = pub.close();
    assert.equal(pub.close(), first);
    await first;
    const error = await pub.writeTag({ type: 'audio', timestamp: 0, data: Buffer.alloc(4) }).catch((e: unknown) => e);
    assert.ok(error instanceof RtmpError);
    assert.equal(error.code, ErrorCodes.CLOSED);
  });

  test('an AbortSignal cancels connecting', async () => {
    // A server that accepts TCP and never answers the RTMP handshake.
    const net = await import('node:net');
    const silent = net.createServer(() => undefined);
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    try {
      const controller = new AbortController();
      const connecting = publish(`rtmp://127.0.0.1:${port}/live/x`, { signal: controller.signal, timeout: 30_000 });
      setImmediate(() => controller.abort());
      const error = await connecting.catch((e: unknown) => e);
      assert.ok(error instanceof RtmpError);
      assert.equal(error.code, ErrorCodes.ABORTED);
      assert.equal(error.name, 'AbortError');
    } finally {
      silent.close();
    }
  });

  test('an AbortSignal cancels a pending read', async () => {
    const url = nginx.url('live', 'idle');
    const pub = await publish(url);
    const player = await connect(url, { live: true });
    const controller = new AbortController();
    const reading = player.readTags({ signal: controller.signal });
    setImmediate(() => controller.abort());
    const error = await reading.catch((e: unknown) => e);
    assert.ok(error instanceof RtmpError);
    assert.equal(error.code, ErrorCodes.ABORTED);
    await player.close();
    await pub.close();
  });

  test("librtmp's log lines reach the connection's logger, the key masked", async () => {
    const key = 'LOGKEY-5d1e-secret';
    const lines: LogEntry[] = [];
    const pub = await publish(nginx.url('live', key), { logger: (e) => lines.push(e), logLevel: 'debug' });
    await pub.close();
    assert.ok(lines.length > 5, `${lines.length} lines`);
    assert.ok(lines.some((e) => e.level === 'debug' && e.message.includes('Invoking publish')), 'protocol lines');
    assert.ok(lines.some((e) => e.message.includes('NetStream.Publish.Start')), 'the server status, decoded');
    for (const e of lines) {
      assert.ok(!JSON.stringify(e).includes(key), e.message);
      assert.match(e.url, /\/live\/\*\*\*\*$/);
    }
    // Levels filter: nothing deeper than asked for.
    const errorsOnly: LogEntry[] = [];
    const quiet = await publish(nginx.url('live', `${key}-2`), { logger: (e) => errorsOnly.push(e), logLevel: 'error' });
    await quiet.close();
    assert.ok(errorsOnly.every((e) => e.level === 'error'));
  });

  test('setLogger() is the default for connections opened without a logger', async () => {
    const lines: LogEntry[] = [];
    setLogger((e) => lines.push(e), 'debug');
    try {
      const pub = await publish(nginx.url('live', 'defaultLogger'));
      await pub.close();
    } finally {
      setLogger(null);
    }
    assert.ok(lines.length > 0);
    const before = lines.length;
    const pub = await publish(nginx.url('live', 'noLogger'));
    await pub.close();
    assert.equal(lines.length, before, 'no logger after setLogger(null)');
  });

  test('connection options reach the server as nginx-rtmp logs them', async () => {
    // URL says app 'wrong' and stream 'ignored'; the options override both.
    const pub = await publish(`rtmp://127.0.0.1:${nginx.port}/wrong/ignored`, {
      app: 'live',
      playpath: 'overridden',
      tcUrl: `rtmp://127.0.0.1:${nginx.port}/live`,
      flashVer: 'FMLE/3.0 (node-librtmp)', // nginx logs at most 32 characters
      swfUrl: 'http://example.test/player.swf',
      conn: ['S:extra'],
    });
    const connected = await nginx.waitForLog(/connect: app='live' .*flashver='FMLE\/3\.0 \(node-librtmp\)'/);
    assert.match(connected, /swf_url='http:\/\/example\.test\/player\.swf'/);
    assert.match(connected, new RegExp(`tc_url='rtmp://127\\.0\\.0\\.1:${nginx.port}/live'`));
    await nginx.waitForLog(/publish: name='overridden'/);
    // librtmp sends pageUrl (and codec capabilities) only when playing, as FMLE does.
    const player = await connect(nginx.url('live', 'overridden'), { pageUrl: 'http://example.test/page', live: true, buffer: 500 });
    await nginx.waitForLog(/connect: app='live' .*page_url='http:\/\/example\.test\/page'/);
    await nginx.waitForLog(/play: name='overridden'/);
    await player.close();
    await pub.close();
  });

  test("errors from native work carry the caller's stack", async () => {
    const port = await freePort();
    async function connectFromHere(): Promise<unknown> {
      return publish(`rtmp://127.0.0.1:${port}/live/x`, { timeout: 5000 }).catch((e: unknown) => e);
    }
    const error = await connectFromHere();
    assert.ok(error instanceof RtmpError);
    assert.match(String(error.stack), /^RtmpError: connection refused/);
    assert.match(String(error.stack), /connectFromHere/);
    assert.match(String(error.stack), /api\.test\.js/);
  });

  test("'close' and 'error' events, and await using", async () => {
    const url = nginx.url('live', 'events');
    const events: string[] = [];
    {
      await using pub = await publish(url);
      pub.on('close', () => events.push('close'));
    }
    assert.deepEqual(events, ['close'], 'disposed at the end of the block');
    // A connection whose server refuses mid-stream reports it as an 'error' event too.
    const player = await connect(nginx.url('live', 'events-missing'), { timeout: 5000 }).catch((e: unknown) => e);
    assert.ok(player instanceof RtmpError);
    const pub = await publish(url);
    const errors: RtmpError[] = [];
    pub.on('error', (e: RtmpError) => errors.push(e));
    await pub.destroy();
    const failed = await pub.writeTag({ type: 'audio', timestamp: 0, data: Buffer.alloc(2) }).catch((e: unknown) => e);
    assert.ok(failed instanceof RtmpError);
    assert.equal(failed.code, ErrorCodes.CLOSED);
    assert.deepEqual(errors, [], 'a deliberate destroy is not an error event');
  });

  test("'error' fires once, with the code the failed write rejects with, when the server dies under a publisher", async () => {
    const doomed = await startNginx();
    let stopped = false;
    try {
      const pub = await publish(doomed.url('live', 'dies'));
      const errors: RtmpError[] = [];
      pub.on('error', (e: RtmpError) => errors.push(e));
      await pub.writeTag({ type: 'audio', timestamp: 0, data: Buffer.from([0xaf, 1, 0x21, 0]) });
      await doomed.stop();
      stopped = true;
      // The first writes after the kill may still fit the socket's buffer; a later one meets
      // the reset. Bounded by count, not time.
      let failure: unknown;
      for (let i = 1; i <= 1000 && failure === undefined; i++) {
        await pub.writeTag({ type: 'audio', timestamp: i * 23, data: Buffer.alloc(16 * 1024) }).catch((e: unknown) => {
          failure = e;
        });
      }
      assert.ok(failure instanceof RtmpError, 'a write failed once the server was gone');
      assert.ok(
        [ErrorCodes.CONNECTION_CLOSED, ErrorCodes.IO, ErrorCodes.TIMEOUT].includes(failure.code as never),
        `a connection failure, not ${failure.code}`,
      );
      assert.equal(errors.length, 1, "one 'error' event");
      assert.equal(errors[0], failure, 'the event carries the error the write rejected with');
      await pub.close();
    } finally {
      if (!stopped) await doomed.stop();
    }
  });

  test('connections are made by publish(), read() and connect() only: no public static open/check', () => {
    assert.equal(Object.hasOwn(RtmpConnection, 'open'), false);
    assert.equal(Object.hasOwn(RtmpConnection, 'check'), false);
  });

  test('the stream key appears in no error, message or inspected object', async () => {
    const key = 'SECRETKEY-7f3a9c-do-not-leak';
    const util = await import('node:util');
    const seen: string[] = [];
    // A refused publish (name taken), a missing stream, and a refused port.
    const holder = await publish(nginx.url('live', key));
    const refusedPort = await freePort();
    const failures = [
      () => publish(nginx.url('live', key), { timeout: 5000 }),
      () => connect(nginx.url('live', `${key}-missing`), { timeout: 5000 }),
      () => publish(`rtmp://127.0.0.1:${refusedPort}/live/${key}?token=${key}`, { timeout: 5000 }),
    ];
    for (const attempt of failures) {
      const error = await attempt().then(() => assert.fail('expected a failure'), (e: unknown) => e);
      seen.push(util.inspect(error), String((error as Error).stack), JSON.stringify(error));
    }
    seen.push(util.inspect(holder), holder.url, JSON.stringify(holder.stats()));
    await holder.close();
    for (const text of seen) assert.ok(!text.includes(key), `leaked in: ${text.slice(0, 300)}`);
    assert.match(holder.url, /\/live\/\*\*\*\*$/);
  });
});
