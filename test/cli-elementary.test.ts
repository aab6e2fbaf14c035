// `librtmp push` of raw elementary streams (issue 15 item 1, issue 20 item 5): H.264 Annex-B
// from a file or stdin, with silence made by the library or an ADTS file for audio, into
// nginx-rtmp's recorder; what arrived is decoded by ffmpeg. Bad input and bad flag
// combinations exit with the documented usage code; the stream key never shows.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import type { ProgressRecord } from '../lib/cli/progress';
import { trackChild } from './helpers/children';
import { makeAnnexBStream, makeElementaryStreams, splitAccessUnits, splitAdtsFrames } from './helpers/elementary';
import { FIXTURES_DIR } from './helpers/fixtures';
import { ffprobeFrames } from './helpers/media';
import { startNginx, type NginxServer } from './helpers/nginx';

const run = promisify(execFile);
const BIN = path.resolve(FIXTURES_DIR, '..', '..', 'bin', 'librtmp.js');

interface Exit {
  code: number | null;
  stderr: string;
}

/** Runs the CLI; `stdin` is a file to read, or 'pipe' to get the child's stdin to write. */
function librtmp(args: string[], options: { stdin?: string; signal?: AbortSignal; timeoutMs?: number; onStderr?: (text: string) => void } = {}): { done: Promise<Exit>; stdin: NodeJS.WritableStream | null; kill: (signal: NodeJS.Signals) => void } {
  const input = options.stdin === undefined ? 'ignore' : options.stdin === 'pipe' ? 'pipe' : fs.openSync(options.stdin, 'r');
  const child = spawn(process.execPath, [BIN, ...args], { stdio: [input, 'ignore', 'pipe'] });
  if (typeof input === 'number') fs.closeSync(input);
  trackChild(child, { signal: options.signal });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    options.onStderr?.(stderr);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const done = new Promise<Exit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
  return { done, stdin: child.stdin, kill: (signal) => child.kill(signal) };
}

let tmp: string;
let nginx: NginxServer;
let clip: string; // 4 s of 25 fps H.264 without B-frames
let clipUnits: number;
let adts: string;
let bframes: string;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-elementary-'));
  const [server, streams, camera] = await Promise.all([
    startNginx({ record: true }),
    makeElementaryStreams(tmp, 4),
    makeAnnexBStream(tmp, 'camera', 'h264', ['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '0', '-g', '25', '-threads', '1'], 4),
  ]);
  nginx = server;
  clip = camera.file;
  clipUnits = splitAccessUnits(fs.readFileSync(clip)).length;
  adts = streams.adts;
  bframes = streams.h264;
});

after(async () => {
  await nginx?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function silenceOf(file: string): Promise<{ peak: string; samples: number }> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-i', file, '-vn', '-af', 'astats=measure_perchannel=none:measure_overall=Peak_level+Number_of_samples', '-f', 'null', '-'], {
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return { peak: /Peak level dB: (\S+)/.exec(stderr)?.[1] ?? 'missing', samples: Number(/Number of samples: (\d+)/.exec(stderr)?.[1]) };
}

describe('librtmp push of elementary streams', () => {
  test('ten minutes of H.264 on stdin with --silent-audio, faster than real time: an AAC track of silence as long as the video', { timeout: 300_000 }, async (t) => {
    // The 4 s clip 150 times: each pass starts with its parameter sets and an IDR.
    const long = path.join(tmp, 'ten-minutes.h264');
    const bytes = fs.readFileSync(clip);
    fs.writeFileSync(long, Buffer.concat(Array.from({ length: 150 }, () => bytes)));
    const key = 'cliSilentKey0123456789';
    const { done } = librtmp(['push', '--input-format', 'h264', '--silent-audio', '--no-realtime', '--progress', 'json', '-', nginx.url('live', key)], {
      stdin: long,
      signal: t.signal,
      timeoutMs: 240_000,
    });
    const exit = await done;
    assert.equal(exit.code, 0, exit.stderr);
    assert.ok(!exit.stderr.includes(key));
    const finalRecord = exit.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as ProgressRecord)
      .at(-1);
    assert.equal(finalRecord?.final, true);
    const recording = await nginx.waitForRecording(key, 60_000);
    const probe = await ffprobeFrames(recording, { timeoutMs: 120_000 });
    assert.equal(probe.stderr, '');
    assert.equal(probe.video?.frames, 150 * clipUnits);
    assert.equal(probe.audio?.codecName, 'aac');
    assert.equal(probe.audio?.frames, probe.audio?.packets, 'every audio frame decodes');
    const silence = await silenceOf(recording);
    assert.equal(silence.peak, '-inf', 'digital silence');
    assert.equal(silence.samples, (probe.audio?.packets ?? 0) * 1024);
    const videoPts = probe.video?.pts ?? [];
    const audioPts = probe.audio?.pts ?? [];
    const videoSeconds = Math.max(...videoPts) + 0.04 - Math.min(...videoPts);
    const audioSeconds = (audioPts.at(-1) ?? 0) + 1024 / 48000 - audioPts[0];
    assert.ok(videoSeconds > 599.9, `${videoSeconds} s of video`);
    assert.ok(Math.abs(audioSeconds - videoSeconds) <= 1024 / 48000, `audio ${audioSeconds} s, video ${videoSeconds} s`);
  });

  test('a file with an ADTS --audio file, in real time (sent by the connection\'s thread): every frame of both', { timeout: 60_000 }, async (t) => {
    const key = 'cliAdtsKey0123456789';
    const exit = await librtmp(['push', '--audio', adts, clip, nginx.url('live', key)], { signal: t.signal }).done;
    assert.equal(exit.code, 0, exit.stderr);
    const probe = await ffprobeFrames(await nginx.waitForRecording(key, 60_000));
    assert.equal(probe.stderr, '');
    assert.equal(probe.video?.frames, clipUnits);
    assert.equal(probe.audio?.frames, splitAdtsFrames(fs.readFileSync(adts)).length);
  });

  test('Ctrl-C while the encoder pipe is quiet: unpublishes, exit 130, what was sent decodes', { timeout: 60_000 }, async (t) => {
    const key = 'cliStopKey0123456789';
    let sawMedia: () => void = () => undefined;
    const media = new Promise<void>((resolve) => (sawMedia = resolve));
    const cli = librtmp(['push', '--input-format', 'h264', '--clock', '--silent-audio', '--progress', 'json', '-', nginx.url('live', key)], {
      stdin: 'pipe',
      signal: t.signal,
      onStderr: (text) => {
        const records = text.split('\n').filter((line) => line.startsWith('{') && line.endsWith('}'));
        if (records.some((line) => (JSON.parse(line) as ProgressRecord).media > 0)) sawMedia();
      },
    });
    // Two seconds of the clip, then nothing: the encoder stalls with the pipe open.
    const units = splitAccessUnits(fs.readFileSync(clip)).slice(0, 50);
    cli.stdin?.write(Buffer.concat(units));
    await media;
    cli.kill('SIGINT');
    const exit = await cli.done;
    assert.equal(exit.code, 130, exit.stderr);
    const probe = await ffprobeFrames(await nginx.waitForRecording(key, 60_000));
    assert.equal(probe.stderr, '');
    // The 50th unit is only known complete when a 51st begins: 49 were sent.
    assert.equal(probe.video?.frames, 49);
    assert.equal(probe.audio?.codecName, 'aac');
  });

  test('usage errors exit 2 before connecting; B-frames and non-video input too, as bad input', async (t) => {
    const url = nginx.url('live', 'cliUsageKey0123456789');
    const cases: [string[], RegExp][] = [
      [['push', '--loop', clip, url], /--loop is for FLV/],
      [['push', '--silent-audio', '--audio', adts, clip, url], /exclude each other/],
      [['push', '--frame-rate', '0', clip, url], /--frame-rate takes a positive number/],
      [['push', '--clock', '--frame-rate', '30', clip, url], /takes no --frame-rate/],
      [['push', '--silent-audio-rate', '44100', clip, url], /go with --silent-audio/],
      [['push', '--silent-audio', '--silent-audio-rate', '45000', clip, url], /not an AAC sampling frequency/],
      [['push', '--silent-audio', path.join(FIXTURES_DIR, 'av.flv'), url], /for elementary streams/],
      [['push', '--audio', path.join(tmp, 'missing.aac'), clip, url], /cannot read/],
      [['push', '--input-format', 'h264', '--audio', '-', '-', url], /both come from stdin/],
      [['push', '--silent-audio', '--no-realtime', bframes, url], /ERR_MEDIA_INVALID.*B-frames/],
      // The same without silent audio goes through the connection's thread (sendCamera).
      [['push', '--no-realtime', bframes, url], /ERR_MEDIA_INVALID.*B-frames/],
      [['push', '--input-format', 'hevc', '--no-realtime', adts, url], /ERR_MEDIA_INVALID/],
    ];
    for (const [args, message] of cases) {
      const exit = await librtmp(args, { signal: t.signal }).done;
      assert.equal(exit.code, 2, `${args.join(' ')}: ${exit.stderr}`);
      assert.match(exit.stderr, message, args.join(' '));
      assert.ok(!exit.stderr.includes('cliUsageKey0123456789'));
    }
  });
});
