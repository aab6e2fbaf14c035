// The send queue's coalescing window: audio and video due together leave in one writeTags()
// and so in one socket write. Counted, not timed: the schedule is driven by mocked timers for
// the queue alone, and by the order of writes (a pair written in one turn, the queue idle
// before the next pair) against a real nginx over RTMPS, where the connection thread's write()
// calls are read from /proc.
import assert from 'node:assert/strict';
import { after, before, describe, mock, test } from 'node:test';
import { publish } from '../lib/index';
import type { FlvTag } from '../lib/flv';
import { SendQueue } from '../lib/media/send-queue';
import type { TagSink } from '../lib/media/muxer';
import { makeTestPki, type TestPki } from './helpers/certs';
import { startNginx, type NginxServer } from './helpers/nginx';
import { threadIdsNamed, threadWriteCalls } from './helpers/process-state';

const video = (timestamp: number, size = 600): FlvTag => ({ type: 'video', timestamp, data: Buffer.concat([Buffer.of(0x27, 1, 0, 0, 0), Buffer.alloc(size, 7)]) });
const audio = (timestamp: number): FlvTag => ({ type: 'audio', timestamp, data: Buffer.concat([Buffer.of(0xaf, 1), Buffer.alloc(300, 9)]) });

// A sink that records each batch and completes it when told to.
function recordingSink(): TagSink & { batches: FlvTag[][] } {
  const batches: FlvTag[][] = [];
  return {
    batches,
    writeTags(tags: readonly FlvTag[]): Promise<void> {
      batches.push([...tags]);
      return Promise.resolve();
    },
  };
}

describe('SendQueue coalescing window (mocked timers)', () => {
  before(() => mock.timers.enable({ apis: ['setTimeout'] }));
  after(() => mock.timers.reset());

  test('a lone frame waits the window, then goes alone', async () => {
    const sink = recordingSink();
    const queue = new SendQueue({ coalesceMs: 5 });
    queue.attach(sink);
    await queue.writeTags([video(0)]);
    assert.equal(sink.batches.length, 0, 'held for the window');
    mock.timers.tick(4);
    assert.equal(sink.batches.length, 0);
    mock.timers.tick(1);
    assert.deepEqual(sink.batches.map((b) => b.map((t) => t.type)), [['video']]);
    await queue.idle();
  });

  test('video and audio due within the window leave in one batch, at once', async () => {
    const sink = recordingSink();
    const queue = new SendQueue({ coalesceMs: 5 });
    queue.attach(sink);
    await queue.writeTags([video(0)]);
    mock.timers.tick(3);
    await queue.writeTags([audio(2)]);
    assert.deepEqual(sink.batches.map((b) => b.map((t) => t.type)), [['video', 'audio']]);
    await queue.idle();
    mock.timers.tick(10); // the cancelled window sends nothing more
    assert.equal(sink.batches.length, 1);
  });

  test('a 30 fps + 48 kHz AAC schedule: one batch per frame when off, fewer with the window', async () => {
    // One second of a camera's frames, each handed over at its due time (ms).
    const events: { at: number; tag: FlvTag }[] = [];
    for (let i = 0; i < 30; i++) events.push({ at: Math.round((i * 1000) / 30), tag: video(Math.round((i * 1000) / 30)) });
    for (let i = 0; i < 47; i++) events.push({ at: Math.round((i * 1024000) / 48000), tag: audio(Math.round((i * 1024000) / 48000)) });
    events.sort((a, b) => a.at - b.at);
    const batchesWith = async (coalesceMs: number): Promise<number> => {
      const sink = recordingSink();
      const queue = new SendQueue({ coalesceMs });
      queue.attach(sink);
      let now = 0;
      for (const { at, tag } of events) {
        mock.timers.tick(at - now);
        now = at;
        await queue.writeTags([tag]);
        // The sink completes at once: let the queue see it before the next frame is due.
        await new Promise<void>((resolve) => queueMicrotask(resolve));
      }
      mock.timers.tick(1000);
      await queue.idle();
      assert.equal(sink.batches.flat().length, events.length, 'every frame sent once');
      return sink.batches.length;
    };
    const off = await batchesWith(0);
    const on5 = await batchesWith(5);
    const on20 = await batchesWith(20);
    assert.equal(off, 77);
    // Pairs whose due times lie within the window: the exact count for this schedule.
    assert.ok(on5 < off && on5 >= 47, `5 ms window: ${on5} batches`);
    assert.ok(on20 <= on5 && on20 <= 47, `20 ms window: ${on20} batches`);
  });

  test('coalesceMs outside 0..1000 is refused', () => {
    assert.throws(() => new SendQueue({ coalesceMs: -1 }), RangeError);
    assert.throws(() => new SendQueue({ coalesceMs: Number.NaN }), RangeError);
  });
});

describe('coalescing against nginx over RTMPS: socket writes of the connection thread', () => {
  let pki: TestPki;
  let nginx: NginxServer;
  before(async () => {
    pki = await makeTestPki();
    nginx = await startNginx({ tls: { cert: pki.server.certPath, key: pki.server.keyPath } });
  });
  after(async () => {
    await nginx?.stop();
    pki?.remove();
  });

  // Publishes `pairs` audio + video pairs, each pair handed to the queue in one turn and the
  // queue idle before the next; returns the writeTags() calls and the connection thread's
  // write() calls meanwhile (each batch is one corked socket write, plus at most one write to
  // the event loop's wake-up descriptor to report its completion).
  async function writesFor(coalesceMs: number, pairs: number): Promise<{ batches: number; writes: number }> {
    const others = new Set(threadIdsNamed('librtmp-conn'));
    const connection = await publish(nginx.url('live', `coalesce-${coalesceMs}`, 'rtmps', 'localhost'), { tls: { ca: pki.ca.cert } });
    try {
      const [tid] = threadIdsNamed('librtmp-conn').filter((id) => !others.has(id));
      const queue = new SendQueue({ coalesceMs });
      let batches = 0;
      queue.attach({
        writeTags: (tags) => {
          batches += 1;
          return connection.writeTags(tags);
        },
      });
      const before = threadWriteCalls(tid);
      for (let i = 0; i < pairs; i++) {
        void queue.writeTags([video(i * 33)]);
        void queue.writeTags([audio(i * 33 + 1)]);
        await queue.idle();
      }
      return { batches, writes: threadWriteCalls(tid) - before };
    } finally {
      await connection.close();
    }
  }

  test('a pair due together is one write with the window, two without', async () => {
    const pairs = 40;
    const off = await writesFor(0, pairs);
    const on = await writesFor(5, pairs);
    // Off: the video frame goes at once and the audio frame waits for it: two batches, two
    // socket writes and two completions a pair.
    assert.equal(off.batches, 2 * pairs);
    assert.ok(off.writes >= 2 * pairs, `window off: ${off.writes} writes for ${pairs} pairs`);
    // On: one batch, one socket write and at most one completion a pair (a few more allowed
    // for the server's acknowledgements).
    assert.equal(on.batches, pairs);
    assert.ok(on.writes <= 2 * pairs + 4, `window on: ${on.writes} writes for ${pairs} pairs`);
    assert.ok(on.writes < off.writes, `on ${on.writes}, off ${off.writes}`);
  });
});
