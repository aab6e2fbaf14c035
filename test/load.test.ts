// Many connections at once, and backpressure in both directions: a consumer that stops
// reading stops the native read loop; a server that stops reading stops the publisher
// at its high-water mark instead of buffering without bound.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { connect, ErrorCodes, publish, read, RtmpError, type FlvTag, type RtmpConnection } from '../lib/index';
import { encodeTag, FlvParser } from '../lib/flv';
import { expectRtmpError } from './helpers/expect-error';
import { AV_FLV, avFacts } from './helpers/fixtures';
import { ffprobeFrames } from './helpers/media';
import { startNginx, type NginxServer } from './helpers/nginx';
import { startThrottledRelay } from './helpers/throttled-relay';

const fixtureTags = new FlvParser().push(fs.readFileSync(AV_FLV));
const fixtureMs = fixtureTags[fixtureTags.length - 1].timestamp;

/** The fixture `times` times over, timestamps continuing. */
function repeated(times: number): FlvTag[] {
  const out: FlvTag[] = [];
  for (let i = 0; i < times; i++) {
    for (const tag of fixtureTags) {
      if (i > 0 && tag.type === 'script') continue;
      out.push({ ...tag, timestamp: tag.timestamp + i * (fixtureMs + 40) });
    }
  }
  return out;
}

/** Publishes tags paced by their timestamps (in 100 ms batches) against a monotonic clock. */
async function publishRealtime(pub: RtmpConnection, tags: FlvTag[]): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < tags.length; ) {
    const until = tags[i].timestamp + 100;
    const batch: FlvTag[] = [];
    while (i < tags.length && tags[i].timestamp < until) batch.push(tags[i++]);
    const due = start + batch[0].timestamp - performance.now();
    if (due > 0) await new Promise((resolve) => setTimeout(resolve, due)); // pacing, not synchronisation
    await pub.writeTags(batch);
  }
}

describe('load and backpressure', () => {
  let nginx: NginxServer;
  before(async () => {
    nginx = await startNginx({ record: true });
  });
  after(() => nginx.stop());

  test('20 connections at once: 10 publishers, 10 players, every frame everywhere', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `many${i}`);
    const players = names.map(async (name) => {
      let frames = 0;
      for await (const tag of read(nginx.url('live', name), { live: true, timeout: 20_000 })) {
        if (tag.type === 'video' && tag.data[1] === 1) frames++;
      }
      return frames;
    });
    await Promise.all(names.map((name) => nginx.waitForLog(new RegExp(`play: name='${name}'`))));
    await Promise.all(
      names.map(async (name) => {
        const pub = await publish(nginx.url('live', name));
        await publishRealtime(pub, fixtureTags);
        await pub.close();
      }),
    );
    assert.deepEqual(await Promise.all(players), names.map(() => avFacts.video.frames));
    for (const name of names) {
      const probe = await ffprobeFrames(await nginx.waitForRecording(name));
      assert.equal(probe.video?.frames, avFacts.video.frames, name);
    }
  });

  test('a readable nobody reads stops the native reads; reading again resumes them', async () => {
    const url = nginx.url('live', 'slowConsumer');
    const player = await connect(url, { live: true });
    const readable = player.readable({ highWaterMark: 64 * 1024 });
    readable.pause();
    readable.read(0); // start the flow into the readable's buffer, then consume nothing
    const pub = await publish(url);
    const tags = repeated(6); // ~2.8 MB
    const published = tags.reduce((n, t) => n + t.data.length, 0);
    await pub.writeTags(tags);
    await pub.close();
    // Everything has left the publisher; the player held back after about its high-water
    // mark plus one native read (256 KB), leaving the rest to the kernel and the server.
    const held = player.stats().bytesIn;
    assert.ok(held < 1024 * 1024, `read ${held} of ${published} bytes with nobody consuming`);
    let bytes = 0;
    readable.on('data', (chunk: Buffer) => (bytes += chunk.length));
    readable.resume();
    await once(readable, 'end');
    assert.ok(player.stats().bytesIn > held, 'reading resumed');
    assert.ok(bytes > held);
  });

  test('a server that reads slowly holds the publisher at its high-water mark', async () => {
    const relay = await startThrottledRelay(nginx.port, 4 * 1024 * 1024);
    try {
      const pub = await publish(`rtmp://127.0.0.1:${relay.port}/live/slowServer`, { timeout: 30_000 });
      const highWaterMark = 256 * 1024;
      const writable = pub.writable({ highWaterMark });
      const repeats = 25;
      const bytes = Buffer.concat(repeated(repeats).map(encodeTag)); // ~12 MB, 3 s at 4 MB/s
      const slice = 64 * 1024;
      let maxHeld = 0;
      let maxAhead = 0;
      for (let at = 0; at < bytes.length; at += slice) {
        const more = writable.write(bytes.subarray(at, at + slice));
        maxHeld = Math.max(maxHeld, writable.writableLength + pub.stats().queuedBytes);
        maxAhead = Math.max(maxAhead, at + slice - relay.stats.bytesFromClient);
        if (!more) await once(writable, 'drain');
      }
      writable.end();
      await once(writable, 'finish');
      assert.ok(relay.stats.throttled > 10, 'the server really read slowly');
      assert.ok(maxAhead > 2 * highWaterMark, `the producer ran ahead of the server by ${maxAhead} bytes`);
      // In JS and native queues: the high-water mark, one batch in flight, one slice.
      assert.ok(maxHeld <= 2 * highWaterMark + slice, `held up to ${maxHeld} bytes`);
      const probe = await ffprobeFrames(await nginx.waitForRecording('slowServer'));
      assert.equal(probe.video?.frames, avFacts.video.frames * repeats);
    } finally {
      relay.close();
    }
  });

  test('a server that stops reading fails the write with ERR_TIMEOUT after one timeout, not three', async () => {
    const relay = await startThrottledRelay(nginx.port, 1024 * 1024 * 1024);
    try {
      const timeout = 1000;
      const pub = await publish(`rtmp://127.0.0.1:${relay.port}/live/stalled`, { timeout });
      relay.stall();
      const tags = repeated(60); // ~28 MB: more than loopback socket buffers hold
      let lastSuccess = performance.now();
      let failure: unknown;
      for (let i = 0; i < tags.length && failure === undefined; i += 64) {
        try {
          await pub.writeTags(tags.slice(i, i + 64));
          lastSuccess = performance.now();
        } catch (error) {
          failure = error;
        }
      }
      const stalledFor = performance.now() - lastSuccess;
      assert.ok(failure instanceof RtmpError, `no failure after ${relay.stats.bytesFromClient} bytes read`);
      assert.equal(failure.code, ErrorCodes.TIMEOUT, failure.message);
      // librtmp used to say goodbye (FCUnpublish, deleteStream) on the stalled socket, each
      // waiting out the timeout again (native/patches/0006).
      assert.ok(stalledFor < 2.5 * timeout, `failed ${Math.round(stalledFor)} ms after the last write`);
      await pub.close();
    } finally {
      relay.close();
    }
  });

  test('an AbortSignal cancels a write blocked on a server that stopped reading', async () => {
    const relay = await startThrottledRelay(nginx.port, 1024 * 1024 * 1024);
    try {
      const pub = await publish(`rtmp://127.0.0.1:${relay.port}/live/abortWrite`, { timeout: 30_000 });
      relay.stall();
      const controller = new AbortController();
      const tags = repeated(60); // more than the socket buffers take: the write must block
      const writing = pub.writeTags(tags, { signal: controller.signal });
      // Abort once the native thread is inside the write (the bytes queued, none answered).
      while (pub.stats().bytesOut === 0 && relay.stats.bytesFromClient < 4 * 1024 * 1024) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      controller.abort();
      const error = await expectRtmpError(writing, ErrorCodes.ABORTED);
      assert.equal(error.name, 'AbortError');
      await pub.close();
      assert.ok(pub.closed);
    } finally {
      relay.close();
    }
  });
});