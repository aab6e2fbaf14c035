// Runs inside the arm64 Node under qemu-user (emulated-camera.ts): the camera's job with the
// installed prebuild — publishCamera() over RTMPS (TLS 1.2, a CBC suite, verified) fed from
// the encoder's two named pipes by path — and prints one JSON line. The host feeds the pipes:
// an emulated Node cannot spawn children.
import fs from 'node:fs';
import type * as NodeLibrtmp from '../../lib/index';

export interface CameraClientInput {
  packageDir: string;
  url: string;
  caFile: string;
  ciphers: string;
  videoPipe: string;
  audioPipe: string;
  frameRate: number;
}

export interface CameraClientReport {
  arch: string;
  node: string;
  videoFrames: number;
  audioFrames: number;
  droppedFrames: number;
  droppedAudioFrames: number;
  reconnects: number;
  tls: { protocol: string; cipher: string; authorized: boolean; engine: string | null } | null;
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2]) as CameraClientInput;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lib = require(input.packageDir) as typeof NodeLibrtmp;
  const tls = { ca: fs.readFileSync(input.caFile, 'utf8'), maxVersion: 'TLSv1.2' as const, ciphers: input.ciphers };
  const camera = await lib.publishCamera(input.url, { rtmp: { tls, timeout: 60_000 } });
  const [video, audio] = await Promise.all([
    camera.pipeVideo(input.videoPipe, { frameRate: input.frameRate, pace: false }),
    camera.pipeAudio(input.audioPipe, { pace: false }),
  ]);
  const info = camera.connectionOf(0)?.tlsInfo() ?? null;
  await camera.close();
  const stats = camera.stats();
  const report: CameraClientReport = {
    arch: process.arch,
    node: process.version,
    videoFrames: video.frames,
    audioFrames: audio.frames,
    droppedFrames: stats.droppedFrames,
    droppedAudioFrames: stats.droppedAudioFrames,
    reconnects: stats.reconnects,
    tls: info ? { protocol: info.protocol, cipher: info.cipher, authorized: info.authorized, engine: info.engine } : null,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((error: unknown) => {
  const e = error as { code?: string; message?: string };
  process.stderr.write(`emulated camera client failed: ${e.code ?? ''} ${e.message ?? String(error)}\n`);
  process.exitCode = 1;
});
