// Streams made by ffmpeg that keep or break one platform rule each (issue 15), as FLV and as
// elementary streams (Annex-B H.264 + ADTS AAC) copied out of it. Small and short so that two
// shared cores make them in seconds (ultrafast x264, no B-frames); made once per test process.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ProfileFixture {
  name: string;
  flv: string;
  h264: string;
  /** Undefined for the fixture without audio. */
  adts: string | undefined;
  fps: number;
  /** The WARN_* code the fixture must produce (undefined: the compliant one). */
  breaks: string | undefined;
}

interface Recipe {
  name: string;
  breaks: string | undefined;
  size: string;
  fps: number;
  seconds: number;
  gop: number;
  kbps: number;
  level: string;
  /** Undefined: no audio track. */
  sampleRate: number | undefined;
}

// Each breaks one rule of the Facebook profile; its other properties stay inside the rules
// where the size allows (a 360p stream's bitrate row is 400–1000 kbit/s).
const RECIPES: Recipe[] = [
  { name: 'compliant-1080p30', breaks: undefined, size: '1920x1080', fps: 30, seconds: 3, gop: 60, kbps: 4000, level: '4.1', sampleRate: 48000 },
  { name: 'keyframe-6s', breaks: 'WARN_KEYFRAME_INTERVAL', size: '640x360', fps: 30, seconds: 7, gop: 180, kbps: 700, level: '3.0', sampleRate: 48000 },
  { name: 'no-audio', breaks: 'WARN_NO_AUDIO', size: '640x360', fps: 30, seconds: 4, gop: 60, kbps: 700, level: '3.0', sampleRate: undefined },
  { name: 'level-5.1-1080p30', breaks: 'WARN_LEVEL', size: '1920x1080', fps: 30, seconds: 1, gop: 30, kbps: 4000, level: '5.1', sampleRate: 48000 },
  { name: 'audio-22050', breaks: 'WARN_SAMPLE_RATE', size: '640x360', fps: 30, seconds: 2, gop: 60, kbps: 700, level: '3.0', sampleRate: 22050 },
  { name: 'bitrate-12M-720p30', breaks: 'WARN_BITRATE_RANGE', size: '1280x720', fps: 30, seconds: 9, gop: 60, kbps: 12000, level: '4.1', sampleRate: 48000 },
];

export const PROFILE_FIXTURE_NAMES = RECIPES.map((r) => r.name);

async function ffmpeg(args: string[]): Promise<void> {
  await run('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], { timeout: 120_000 });
}

async function make(dir: string, r: Recipe): Promise<ProfileFixture> {
  const flv = path.join(dir, `${r.name}.flv`);
  const h264 = path.join(dir, `${r.name}.h264`);
  const adts = r.sampleRate === undefined ? undefined : path.join(dir, `${r.name}.adts`);
  const audioIn = r.sampleRate === undefined ? [] : ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${r.sampleRate}:duration=${r.seconds}`];
  const audioOut = r.sampleRate === undefined ? ['-an'] : ['-c:a', 'aac', '-b:a', '128k', '-ac', '2'];
  await ffmpeg([
    '-f', 'lavfi', '-i', `testsrc2=size=${r.size}:rate=${r.fps}:duration=${r.seconds}`, ...audioIn,
    // CBR with filler data: the bitrate is the one asked for even on a simple test pattern.
    '-c:v', 'libx264', '-preset', 'ultrafast', '-level', r.level, '-g', String(r.gop), '-keyint_min', String(r.gop), '-sc_threshold', '0',
    '-b:v', `${r.kbps}k`, '-minrate', `${r.kbps}k`, '-maxrate', `${r.kbps}k`, '-bufsize', `${r.kbps / 2}k`, '-x264-params', 'nal-hrd=cbr',
    '-pix_fmt', 'yuv420p', '-threads', '2', ...audioOut, flv,
  ]);
  await ffmpeg(['-i', flv, '-map', '0:v', '-c', 'copy', '-bsf:v', 'h264_mp4toannexb', '-f', 'h264', h264]);
  if (adts) await ffmpeg(['-i', flv, '-map', '0:a', '-c', 'copy', '-f', 'adts', adts]);
  return { name: r.name, flv, h264, adts, fps: r.fps, breaks: r.breaks };
}

let made: Promise<Map<string, ProfileFixture>> | undefined;

/** The fixtures by name, made on first use into a directory removed at exit. */
export function profileFixtures(): Promise<Map<string, ProfileFixture>> {
  made ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-profile-'));
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    const out = new Map<string, ProfileFixture>();
    // One at a time: two cores are shared with the rest of the suite.
    for (const recipe of RECIPES) out.set(recipe.name, await make(dir, recipe));
    return out;
  })();
  return made;
}
