// A child process for the bitrate advice test, run in a network namespace of its own with
// small TCP buffers (see congestion-child.ts): two cameras publish the same picture in real
// time to nginx-rtmp through two throttled relays whose capacity follows the same schedule —
// above the stream, cut below it, restored. One follows the 'bitrate' advice (it switches
// between pre-encoded bitrate rungs at keyframes, as a hardware encoder changes its target
// at the next GOP); the other keeps its bitrate. One JSON line reports what happened.
// Not a test file.
import fs from 'node:fs';
import { publishCamera, type ReconnectingPublisher } from '../../lib/media/reconnecting-publisher';
import type { BitrateEvent } from '../../lib/media/bitrate-advisor';
import { splitAccessUnits } from './elementary';
import { bringLoopbackUp, smallTcpBuffers } from './netns';
import { startNginx } from './nginx';
import { startThrottledRelay } from './throttled-relay';

export interface BitrateInput {
  /** Annex-B H.264 of one picture at several bitrates (same frames, GOP of `gop` frames). */
  rungs: { kbps: number; h264: string }[];
  frameMs: number;
  gop: number;
  /** Relay capacity, bytes/s: before cutAtMs and after restoreAtMs `highRate`, between `lowRate`. */
  highRate: number;
  lowRate: number;
  cutAtMs: number;
  restoreAtMs: number;
  endAtMs: number;
}

export interface BitrateResult {
  /** Wall time from the first frame, ms. */
  events: (BitrateEvent & { atMs: number })[];
  advised: { droppedFrames: number; videoFrames: number; rungs: number[] };
  fixed: { droppedFrames: number; videoFrames: number };
}

async function main(input: BitrateInput): Promise<BitrateResult> {
  bringLoopbackUp();
  smallTcpBuffers();
  const rungs = input.rungs
    .map((rung) => ({ kbps: rung.kbps, units: splitAccessUnits(fs.readFileSync(rung.h264)) }))
    .sort((a, b) => a.kbps - b.kbps);
  const top = rungs[rungs.length - 1];
  const nginx = await startNginx();
  const relays = await Promise.all([startThrottledRelay(nginx.port, input.highRate), startThrottledRelay(nginx.port, input.highRate)]);
  const common = { audio: 'silent' as const, rtmp: { timeout: 20_000 } };
  let advised: ReconnectingPublisher | undefined;
  let fixed: ReconnectingPublisher | undefined;
  try {
    advised = await publishCamera(`rtmp://127.0.0.1:${relays[0].port}/live/advised`, {
      ...common,
      bitrateAdvice: { maxKbps: top.kbps, minKbps: rungs[0].kbps, audioKbps: 8 },
    });
    fixed = await publishCamera(`rtmp://127.0.0.1:${relays[1].port}/live/fixed`, common);
    const events: BitrateResult['events'] = [];
    let advice = top.kbps;
    let rung = top;
    const used: number[] = [];
    const start = performance.now();
    advised.on('bitrate', (event: BitrateEvent) => {
      events.push({ ...event, atMs: Math.round(performance.now() - start) });
      advice = event.kbps;
    });
    let cut = false;
    let restored = false;
    const frames = Math.min(top.units.length, Math.floor(input.endAtMs / input.frameMs));
    for (let i = 0; i < frames; i++) {
      const pts = i * input.frameMs;
      const due = start + pts - performance.now();
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due)); // pacing, not synchronisation
      const now = performance.now() - start;
      if (!cut && now >= input.cutAtMs) {
        cut = true;
        relays.forEach((relay) => relay.setRate(input.lowRate));
      }
      if (!restored && now >= input.restoreAtMs) {
        restored = true;
        relays.forEach((relay) => relay.setRate(input.highRate));
      }
      // The encoder takes a new target at its next keyframe.
      if (i % input.gop === 0) {
        rung = [...rungs].reverse().find((r) => r.kbps <= advice) ?? rungs[0];
        used.push(rung.kbps);
      }
      await advised.writeVideo({ data: rung.units[i], pts });
      await fixed.writeVideo({ data: top.units[i], pts });
    }
    const a = advised.stats();
    const f = fixed.stats();
    return {
      events,
      advised: { droppedFrames: a.droppedFrames, videoFrames: a.videoFrames, rungs: used },
      fixed: { droppedFrames: f.droppedFrames, videoFrames: f.videoFrames },
    };
  } finally {
    await Promise.all([advised?.close(), fixed?.close()].map((p) => p?.catch(() => undefined)));
    relays.forEach((relay) => relay.close());
    await nginx.stop();
  }
}

main(JSON.parse(process.argv[2]) as BitrateInput).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
