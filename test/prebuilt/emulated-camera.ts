// `npm run test:prebuilds`, the camera under emulation (issue 18): the arm64 prebuild in the
// official arm64 Node under qemu-user runs the camera workload for 30 s — the bench's 1080p30
// H.264 4.5 Mbit/s + AAC 48 kHz clip written by the host into two named pipes at its frames'
// due times, publishCamera() reading them by path and publishing over verified RTMPS (TLS 1.2,
// ECDHE-RSA-AES128-SHA256) to the host's nginx. Correctness only: every frame fed is written
// and recorded, none dropped. Emulation makes no timing or CPU claim. The fake /dev/crypto is
// an x86 library (no arm64 build of it or of nettle here), so TLS runs in software: the engine
// path is covered on x64 (engine.test.ts).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeTestPki, type TestPki } from '../helpers/certs';
import { trackChild } from '../helpers/children';
import { ffprobeFrames } from '../helpers/media';
import { startNginx, type NginxServer } from '../helpers/nginx';
import type { CameraClientInput, CameraClientReport } from './emulated-camera-client';
import { makePackageCopy, REPO_ROOT, type PackageCopy } from './package-copy';
import { NODE_LINES, targetNodeCommand } from './target-node';

const TARGET = 'linux-arm64';
const SECONDS = 30;
const SUITE = 'ECDHE-RSA-AES128-SHA256';
const CLIENT = path.join(__dirname, 'emulated-camera-client.js');
const TIMEOUT_MS = 300_000;

interface Fed {
  videoFrames: number;
  audioFrames: number;
}
interface CameraBench {
  FPS: number;
  cameraMedia(outDir: string): Promise<{ h264: string; adts: string }>;
  loadUnits(media: { h264: string; adts: string }, packageRoot: string): { video: Buffer[]; audio: Buffer[] };
  feedPipes(options: { videoPipe: string; audioPipe: string; units: { video: Buffer[]; audio: Buffer[] }; durationSeconds: number; onStart: (at: number) => void }): Promise<Fed>;
}
// The bench's encoder output and its pacing feeder: one home for what "the camera workload" is.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bench = require(path.join(REPO_ROOT, 'bench', 'lib', 'camera.js')) as CameraBench;

let pki: TestPki;
let nginx: NginxServer;
let copy: PackageCopy;
let dir: string;

before(async () => {
  pki = await makeTestPki();
  nginx = await startNginx({ record: true, tls: { cert: pki.server.certPath, key: pki.server.keyPath } });
  copy = makePackageCopy();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-librtmp-emulated-camera-'));
});

after(async () => {
  await nginx?.stop();
  copy?.remove();
  pki?.remove();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test(`${TARGET} prebuild under qemu-user: ${SECONDS} s of the camera workload over RTMPS, every frame delivered`, { timeout: TIMEOUT_MS + 120_000 }, async (t) => {
  const units = bench.loadUnits(await bench.cameraMedia(path.join(REPO_ROOT, 'bench', 'out')), REPO_ROOT);
  const videoPipe = path.join(dir, 'video.h264');
  const audioPipe = path.join(dir, 'audio.aac');
  assert.equal(spawnSync('mkfifo', [videoPipe, audioPipe]).status, 0);
  const name = `emulated-camera-${process.pid}`;
  const input: CameraClientInput = {
    packageDir: copy.packageDir,
    url: nginx.url('live', name, 'rtmps', 'localhost'),
    caFile: pki.ca.certPath,
    ciphers: SUITE,
    videoPipe,
    audioPipe,
    frameRate: bench.FPS,
  };
  // The oldest supported line's official build (NODE_LINES).
  const [command, ...args] = targetNodeCommand(TARGET, NODE_LINES[TARGET][0]);
  const child = spawn(command, [...args, CLIENT, JSON.stringify(input)], { cwd: copy.projectDir, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child, { signal: t.signal });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
  // The feed starts when the client opens the video pipe (after connecting), as an encoder's would.
  const fed = await bench.feedPipes({ videoPipe, audioPipe, units, durationSeconds: SECONDS, onStart: () => undefined });
  const code = await exited.finally(() => clearTimeout(timer));
  assert.equal(code, 0, `emulated camera client exited with ${code}:\n${stderr}`);
  const report = JSON.parse(stdout.trim().split('\n').pop() ?? '') as CameraClientReport;
  t.diagnostic(`${TARGET}: ${JSON.stringify(report)}; fed ${JSON.stringify(fed)}`);

  assert.equal(report.arch, 'arm64');
  assert.deepEqual([report.videoFrames, report.audioFrames], [fed.videoFrames, fed.audioFrames], 'every frame fed was written');
  assert.deepEqual([report.droppedFrames, report.droppedAudioFrames, report.reconnects], [0, 0, 0], 'no drops, no reconnects');
  assert.equal(report.tls?.protocol, 'TLSv1.2');
  assert.equal(report.tls?.cipher, SUITE);
  assert.ok(report.tls?.authorized, 'the certificate was verified against the test CA');
  const probe = await ffprobeFrames(await nginx.waitForRecording(name, 30_000));
  assert.equal(probe.video?.frames, fed.videoFrames, 'every video frame recorded');
  assert.equal(probe.audio?.frames, fed.audioFrames, 'every audio frame recorded');
});
