// Bitrate advice (issue 15): the advisor's rules on a scripted send path, then two cameras on
// the same throttled uplink schedule in a private network namespace — capacity above the
// stream, cut below it, restored: the advice falls to at most the capacity within a bounded
// time and rises again after the link clears, and the camera that follows it drops fewer
// frames than the one that does not.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { BitrateAdvisor, CLEAR_MS, DOWN_INTERVAL_MS, SAMPLE_MS, type BitrateEvent } from '../lib/media/bitrate-advisor';
import { ErrorCodes, publishCamera } from '../lib/index';
import type { BitrateInput, BitrateResult } from './helpers/bitrate-child';
import { runNodeChildInNetns } from './helpers/netns';

const run = promisify(execFile);
const CHILD = path.join(__dirname, 'helpers', 'bitrate-child.js');

// A link of `capacityKbps` fed at `sendKbps`: what the advisor sees every SAMPLE_MS.
class ScriptedLink {
  at = 0;
  bytesOut = 0;
  queuedBits = 0;
  dropped = 0;
  step(sendKbps: number, capacityKbps: number): { at: number; bytesOut: number; queuedVideoMs: number; droppedFrames: number } {
    this.at += SAMPLE_MS;
    this.queuedBits += sendKbps * SAMPLE_MS;
    const out = Math.min(this.queuedBits, capacityKbps * SAMPLE_MS);
    this.queuedBits -= out;
    this.bytesOut += out / 8;
    const queuedVideoMs = sendKbps > 0 ? this.queuedBits / sendKbps : 0;
    // The send queue's 900 ms rule.
    if (queuedVideoMs > 900) {
      this.dropped += 10;
      this.queuedBits = 0;
    }
    return { at: this.at, bytesOut: this.bytesOut, queuedVideoMs: sendKbps > 0 ? this.queuedBits / sendKbps : 0, droppedFrames: this.dropped };
  }
}

describe('BitrateAdvisor on a scripted link', () => {
  test('follows a cut below the stream down and a restored link up, inside its bounds', () => {
    const advisor = new BitrateAdvisor({ maxKbps: 4000, minKbps: 300, audioKbps: 128 });
    const link = new ScriptedLink();
    const events: (BitrateEvent & { at: number })[] = [];
    const advance = (ms: number, capacity: number): void => {
      for (let t = 0; t < ms; t += SAMPLE_MS) {
        const event = advisor.sample(link.step(advisor.kbps + 128, capacity));
        if (event) events.push({ ...event, at: link.at });
      }
    };
    advance(5000, 8000);
    assert.equal(events.length, 0, 'no change while the link carries the stream');
    const cutAt = link.at;
    advance(20_000, 1500);
    const below = events.find((e) => e.kbps + 128 <= 1500);
    assert.ok(below, JSON.stringify(events));
    // Documented bound: the first sample past 200 ms of queue, then steps one DOWN_INTERVAL_MS apart.
    assert.ok(below.at - cutAt <= 4 * DOWN_INTERVAL_MS, `fell in ${below.at - cutAt} ms`);
    assert.ok(events.filter((e) => e.at <= below.at).every((e) => e.reason === 'congestion'));
    const low = advisor.kbps;
    assert.ok(low >= 300);
    const restoreAt = link.at;
    advance(40_000, 8000);
    const up = events.filter((e) => e.reason === 'clear' && e.at > restoreAt);
    assert.ok(up.length >= 2, 'rises in steps after the clear period');
    for (const e of events.filter((x) => x.reason === 'clear')) {
      const lastDown = events.filter((x) => x.reason === 'congestion' && x.at < e.at).at(-1);
      assert.ok(!lastDown || e.at - lastDown.at >= CLEAR_MS, 'never up before a clear period');
    }
    assert.ok(advisor.kbps > low);
    assert.ok(events.every((e) => e.kbps <= 4000 && e.kbps >= 300));
  });

  test('a profile range caps the advice', () => {
    const advisor = new BitrateAdvisor({ maxKbps: 8000 });
    const event = advisor.capAt(6000);
    assert.equal(event?.kbps, 6000);
    assert.equal(advisor.kbps, 6000);
    assert.equal(advisor.capAt(7000), undefined);
  });

  test('publishCamera checks bitrateAdvice before connecting', async () => {
    await assert.rejects(publishCamera('rtmp://127.0.0.1:1/live/x', { bitrateAdvice: { maxKbps: 0 } }), { code: ErrorCodes.INVALID_ARG });
    await assert.rejects(publishCamera('rtmp://127.0.0.1:1/live/x', { bitrateAdvice: { maxKbps: 1000, minKbps: 2000 } }), { code: ErrorCodes.INVALID_ARG });
  });
});

describe('bitrate advice on a throttled uplink (network namespace)', () => {
  let dir: string;
  const RUNGS = [250, 450, 800, 1400];
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-bitrate-'));
    // One picture, several CBR rungs (filler keeps the rate on a simple pattern), GOP 1 s.
    for (const kbps of RUNGS) {
      await run('ffmpeg', [
        '-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=32',
        '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-keyint_min', '25', '-sc_threshold', '0', '-bf', '0',
        '-b:v', `${kbps}k`, '-minrate', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps / 2}k`, '-x264-params', 'nal-hrd=cbr',
        '-pix_fmt', 'yuv420p', '-threads', '2', '-f', 'h264', path.join(dir, `${kbps}.h264`),
      ], { timeout: 120_000 });
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('capacity cut below the stream: advice ≤ capacity within the bound, up again after the restore, fewer drops than a fixed bitrate', { timeout: 180_000 }, async (t) => {
    const input: BitrateInput = {
      rungs: RUNGS.map((kbps) => ({ kbps, h264: path.join(dir, `${kbps}.h264`) })),
      frameMs: 40,
      gop: 25,
      highRate: 400_000, // 3.2 Mbit/s
      lowRate: 75_000, // 600 kbit/s: below the 1400 kbit/s stream
      cutAtMs: 4000,
      restoreAtMs: 16_000,
      endAtMs: 32_000,
    };
    const { result } = await runNodeChildInNetns<BitrateResult>(CHILD, input, { timeoutMs: 150_000 });
    t.diagnostic(`advice: ${result.events.map((e) => `${e.atMs} ms ${e.kbps} (${e.reason})`).join(', ')}; dropped ${result.advised.droppedFrames} following, ${result.fixed.droppedFrames} fixed`);
    const capacityKbps = (input.lowRate * 8) / 1000;
    const fell = result.events.find((e) => e.atMs >= input.cutAtMs && e.kbps <= capacityKbps);
    assert.ok(fell, `advice never reached ${capacityKbps} kbit/s: ${JSON.stringify(result.events)}`);
    // Documented: within about 3 s of the queue passing 200 ms; 10 s leaves room for a loaded CI.
    assert.ok(fell.atMs - input.cutAtMs <= 10_000, `fell ${fell.atMs - input.cutAtMs} ms after the cut`);
    const rose = result.events.find((e) => e.atMs > input.restoreAtMs && e.reason === 'clear');
    assert.ok(rose, `no rise after the restore: ${JSON.stringify(result.events)}`);
    assert.ok(result.events.every((e) => e.kbps <= 1400 && e.kbps >= 250));
    assert.ok(result.advised.rungs.some((kbps) => kbps < 1400), 'the encoder followed');
    assert.ok(result.fixed.droppedFrames > 0, 'the fixed camera met the congestion');
    assert.ok(result.advised.droppedFrames < result.fixed.droppedFrames, `dropped ${result.advised.droppedFrames} following the advice, ${result.fixed.droppedFrames} without`);
  });
});
