// A child process for the congestion test, run in a network namespace of its own
// (runNodeChildInNetns) whose TCP buffers are made small: on the host's loopback the kernel
// holds megabytes between a publisher and a slow reader, and a slow link would show up only
// after many seconds. Here nginx-rtmp, a throttled relay in front of it and a camera
// publishing through the relay run; one JSON line reports what happened. Not a test file.
import fs from 'node:fs';
import { publishCamera } from '../../lib/media/reconnecting-publisher';
import type { CameraStats } from '../../lib/media/reconnecting-publisher';
import type { DropEvent } from '../../lib/media/send-queue';
import { AAC_FRAME_MS, firstVideoPacket, publishPaced, type Frames } from './camera';
import { splitAccessUnits, splitAdtsFrames } from './elementary';
import { ffprobeFrames, type ProbeResult } from './media';
import { bringLoopbackUp, smallTcpBuffers } from './netns';
import { startNginx } from './nginx';
import { startThrottledRelay } from './throttled-relay';

export interface CongestionInput {
  /** Annex-B H.264 without B-frames (access unit i at i × 40 ms) and its ADTS audio. */
  h264: string;
  adts: string;
  /** The relay's read rate from the publisher. */
  bytesPerSecond: number;
}

export interface CongestionResult {
  stats: CameraStats;
  drops: DropEvent[];
  /** Bytes held in the queue and the connection, the most seen at any write. */
  maxHeldBytes: number;
  relay: { bytesFromClient: number; throttled: number; connections: number };
  probe: ProbeResult;
  firstVideoFlags: string;
}

async function main(input: CongestionInput): Promise<CongestionResult> {
  bringLoopbackUp();
  smallTcpBuffers();
  const frames: Frames = {
    video: splitAccessUnits(fs.readFileSync(input.h264)).map((data, i) => ({ data, pts: i * 40, dts: i * 40 })),
    audio: splitAdtsFrames(fs.readFileSync(input.adts)).map((data, i) => ({ data, pts: Math.round(i * AAC_FRAME_MS) })),
  };
  const nginx = await startNginx({ record: true });
  const relay = await startThrottledRelay(nginx.port, input.bytesPerSecond);
  try {
    const camera = await publishCamera(`rtmp://127.0.0.1:${relay.port}/live/congested`, { rtmp: { timeout: 20_000 } });
    const drops: DropEvent[] = [];
    camera.on('drop', (event: DropEvent) => drops.push(event));
    let maxHeldBytes = 0;
    await publishPaced(camera, frames, () => {
      const s = camera.stats();
      maxHeldBytes = Math.max(maxHeldBytes, s.queuedBytes + s.connectionQueuedBytes);
    });
    await camera.close();
    const recording = await nginx.waitForRecording('congested', 30_000);
    const probe = await ffprobeFrames(recording);
    const firstVideoFlags = (await firstVideoPacket(recording)).flags;
    return { stats: camera.stats(), drops, maxHeldBytes, relay: { ...relay.stats }, probe, firstVideoFlags };
  } finally {
    relay.close();
    await nginx.stop();
  }
}

main(JSON.parse(process.argv[2]) as CongestionInput).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
