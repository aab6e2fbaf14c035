// Faults the fuzzer does not cover: the server dies under a player and under a publisher,
// close() while a read or a write is blocked in native code, and a link that trickles. Each
// ends in a coded error or a clean end within the timeout, with no fd or thread left behind.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, ErrorCodes, publish, RtmpError, type FlvTag } from '../lib/index';
import { FlvParser } from '../lib/flv';
import { AV_FLV } from './helpers/fixtures';
import { runNodeChildInNetns } from './helpers/netns';
import { startNginx, type NginxServer } from './helpers/nginx';
import { openFds, threadCount, waitForBaseline } from './helpers/process-state';
import { startThrottledRelay } from './helpers/throttled-relay';
import type { TrickleInput, TrickleResult } from './helpers/trickle-child';

const TRICKLE_CHILD = path.join(__dirname, 'helpers', 'trickle-child.js');

const tags: FlvTag[] = new FlvParser().push(fs.readFileSync(AV_FLV));

/** The fixture `times` times over (~0.47 MB each), timestamps continuing. */
function repeatedTags(times: number): FlvTag[] {
  const out: FlvTag[] = [];
  for (let i = 0; i < times; i++) for (const t of tags) out.push({ ...t, timestamp: t.timestamp + i * 11_000 });
  return out;
}

describe('faults', () => {
  let nginx: NginxServer;
  before(async () => {
    nginx = await startNginx();
  });
  after(() => nginx.stop());

  async function leavesNothing(run: () => Promise<void>): Promise<void> {
    const baseline = { fds: openFds(), threads: threadCount() };
    await run();
    await waitForBaseline(baseline, 5000);
  }

  test('the server killed under a player: the read ends or fails with a coded error', async () => {
    await leavesNothing(async () => {
      const url = nginx.url('live', 'killedPlay');
      const pub = await publish(url);
      await pub.writeTags(tags.slice(0, 40));
      const player = await connect(url, { live: true, timeout: 5000 });
      const reading = (async () => {
        for (;;) {
          const batch = await player.readTags();
          if (batch === null) return 'ended';
        }
      })().catch((e: unknown) => e);
      await nginx.restart(); // SIGTERM: the server goes away mid-play
      const outcome = await reading;
      if (outcome !== 'ended') {
        assert.ok(outcome instanceof RtmpError, String(outcome));
        assert.ok(
          [ErrorCodes.CONNECTION_CLOSED, ErrorCodes.IO].includes(outcome.code as never),
          `${outcome.code}: ${outcome.message}`,
        );
      }
      await player.close();
      await pub.close();
    });
  });

  test('the server killed under a publisher: the next write fails with a coded error', async () => {
    await leavesNothing(async () => {
      const pub = await publish(nginx.url('live', 'killedPublish'), { timeout: 5000 });
      await pub.writeTags(tags.slice(0, 40));
      await nginx.restart();
      let failure: unknown;
      // The first writes may still fit in socket buffers; one of these must fail.
      for (let i = 40; i < tags.length && failure === undefined; i += 20) {
        failure = await pub.writeTags(tags.slice(i, i + 20)).then(
          () => undefined,
          (e: unknown) => e,
        );
      }
      assert.ok(failure instanceof RtmpError, 'a write failed');
      assert.ok(
        [ErrorCodes.CONNECTION_CLOSED, ErrorCodes.IO].includes(failure.code as never),
        `${failure.code}: ${failure.message}`,
      );
      await pub.close();
    });
  });

  test('close() while a read is blocked ends the read and resolves', async () => {
    await leavesNothing(async () => {
      const url = nginx.url('live', 'closeWhileReading');
      const pub = await publish(url);
      const player = await connect(url, { live: true, timeout: 30_000 });
      const reading = player.readTags(); // nothing is published: it blocks in native code
      await player.close();
      assert.equal(await reading, null, 'the pending read ended');
      await pub.close();
    });
  });

  test('close() behind a write blocked on a stalled server: the write times out, close() adds nothing', async () => {
    await leavesNothing(async () => {
      const relay = await startThrottledRelay(nginx.port, 1024 * 1024 * 1024);
      try {
        const timeout = 1500;
        const pub = await publish(`rtmp://127.0.0.1:${relay.port}/live/closeWhileWriting`, { timeout });
        relay.stall();
        const writing = pub.writeTags(repeatedTags(60)).then(
          () => undefined,
          (e: unknown) => ({ error: e, at: performance.now() }),
        );
        await pub.close(); // graceful: after the queued write, which can only time out
        const closedAt = performance.now();
        const outcome = await writing;
        assert.ok(outcome && outcome.error instanceof RtmpError, 'the blocked write failed');
        assert.equal(outcome.error.code, ErrorCodes.TIMEOUT, outcome.error.message);
        // No goodbye on the stalled socket after the failure (patch 0006): a goodbye would wait
        // out a whole timeout more, so close() following within one timeout shows there was none.
        assert.ok(closedAt - outcome.at < timeout, `close() ${Math.round(closedAt - outcome.at)} ms after the write failed`);
      } finally {
        relay.close();
      }
    });
  });
});

describe('a link that trickles', () => {
  // Once connected, the loopback of a private namespace is shaped to 256 kbit/s: the server
  // takes some of a 900 KB tag before every send timeout, so each send() makes progress and
  // only a deadline for the whole write (patch 0016) ends it; without one it takes ~30 s.
  const timeoutMs = 1500;
  for (const scheme of ['rtmp', 'rtmps'] as const) {
    test(`${scheme}: one big write fails with ERR_TIMEOUT once the timeout has passed, the connection closed`, async (t) => {
      const input: TrickleInput = { scheme, rate: '256kbit', timeoutMs, tagBytes: 900 * 1024, boundMs: timeoutMs + 3000 };
      const { result } = await runNodeChildInNetns<TrickleResult>(TRICKLE_CHILD, input, { timeoutMs: 60_000, signal: t.signal });
      const summary = JSON.stringify(result);
      assert.ok(result.shapedBytesDuringWrite > 16 * 1024, `the link kept moving data (a trickle, not a stall): ${summary}`);
      assert.ok(result.settled, `the write still held after ${input.boundMs} ms: ${summary}`);
      assert.equal(result.error?.code, ErrorCodes.TIMEOUT, summary);
      assert.ok(result.heldMs > timeoutMs - 50 && result.heldMs < timeoutMs + 1000, `held ${Math.round(result.heldMs)} ms: ${summary}`);
      assert.equal(result.laterWriteCode, ErrorCodes.CONNECTION_CLOSED, 'a later write is refused with a code');
      // No goodbye on the stalled socket (patch 0006's path): a goodbye would wait out a whole
      // timeout, so a close() within one timeout shows there was none.
      assert.ok(result.closeMs < timeoutMs, `close() took ${Math.round(result.closeMs)} ms`);
      assert.equal(result.leftBehind, undefined);
    });
  }
});
