// What the camera tests share with their network-namespace child: frames paced in real time
// into a ReconnectingPublisher, and a look at a recording's first video packet.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ReconnectingPublisher } from '../../lib/media/reconnecting-publisher';

const run = promisify(execFile);

export const AAC_FRAME_MS = (1024 * 1000) / 44100;

export interface Frames {
  video: { data: Buffer; pts: number; dts: number }[];
  audio: { data: Buffer; pts: number }[];
}

/** Writes frames interleaved by time, paced in real time by their timestamps. */
export async function publishPaced(
  camera: ReconnectingPublisher,
  frames: Frames,
  onProgress?: (mediaMs: number) => void,
): Promise<void> {
  const start = performance.now();
  let v = 0;
  let a = 0;
  while (v < frames.video.length || a < frames.audio.length) {
    const videoTime = v < frames.video.length ? frames.video[v].dts : Infinity;
    const audioTime = a < frames.audio.length ? frames.audio[a].pts : Infinity;
    const now = Math.min(videoTime, audioTime);
    const due = start + now - performance.now();
    if (due > 0) await new Promise((resolve) => setTimeout(resolve, due)); // pacing, not synchronisation
    onProgress?.(now);
    if (videoTime <= audioTime) await camera.writeVideo(frames.video[v++]);
    else await camera.writeAudio(frames.audio[a++]);
  }
}

/** The first video packet of a file: its flags ('K' for a keyframe) and pts in seconds. */
export async function firstVideoPacket(file: string): Promise<{ flags: string; pts: number }> {
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v', '-read_intervals', '%+#1', '-show_entries', 'packet=flags,pts_time', '-of', 'json', file],
    { timeout: 20_000 },
  );
  const packet = (JSON.parse(stdout) as { packets: { flags: string; pts_time: string }[] }).packets[0];
  return { flags: packet.flags, pts: Number(packet.pts_time) };
}
