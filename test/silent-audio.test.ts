// Silent audio (issue 15): the AAC-LC silence made without an encoder decodes to exact
// zeros in every channel configuration; its frames follow the video's timestamps with no
// drift over ten minutes of media; and nginx-rtmp records an AAC track that ffmpeg decodes
// frame by frame as digital silence, as long as the video within one frame.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { ErrorCodes, MediaPublisher, publish, publishCamera, RtmpError } from '../lib/index';
import type { FlvTag } from '../lib/flv';
import { SAMPLING_FREQUENCIES } from '../lib/media/aac';
import { FACEBOOK } from '../lib/media/platform-profiles';
import { isSequenceHeader } from '../lib/flv-tags';
import { SilentAudio, silentAacFrame } from '../lib/media/silent-aac';
import { makeElementaryStreams, splitAccessUnits } from './helpers/elementary';
import { ffprobeFrames } from './helpers/media';
import { startNginx, type NginxServer } from './helpers/nginx';

const run = promisify(execFile);

// The test's own ADTS header (ISO/IEC 13818-7 6.2), no CRC.
function adts(frame: Buffer, sampleRate: number, channelConfig: number): Buffer {
  const index = SAMPLING_FREQUENCIES.indexOf(sampleRate);
  const length = 7 + frame.length;
  const header = Buffer.from([
    0xff,
    0xf1,
    (1 << 6) | (index << 2) | (channelConfig >> 2),
    ((channelConfig & 3) << 6) | (length >> 11),
    (length >> 3) & 0xff,
    ((length & 7) << 5) | 0x1f,
    0xfc,
  ]);
  return Buffer.concat([header, frame]);
}

/** Decodes `input` (audio only) and says how many samples and whether all of them are zero. */
async function decodeSilence(input: string): Promise<{ samples: number; peakDb: string; histogram91: number; n: number; stderr: string }> {
  const { stderr } = await run(
    'ffmpeg',
    ['-hide_banner', '-nostdin', '-i', input, '-vn', '-af', 'volumedetect,astats=measure_perchannel=none:measure_overall=Peak_level+Number_of_samples', '-f', 'null', '-'],
    { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
  );
  const field = (pattern: RegExp): string => pattern.exec(stderr)?.[1] ?? 'missing';
  return {
    samples: Number(field(/Number of samples: (\d+)/)),
    peakDb: field(/Peak level dB: (\S+)/),
    histogram91: Number(field(/histogram_91db: (\d+)/)),
    n: Number(field(/n_samples: (\d+)/)),
    stderr: stderr.split('\n').filter((line) => /error|invalid|corrupt/i.test(line)).join('\n'),
  };
}

let tmp: string;
let units: Buffer[];
let unitTimes: { pts: number; dts: number }[];

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'silent-audio-'));
  const streams = await makeElementaryStreams(tmp, 2);
  units = splitAccessUnits(fs.readFileSync(streams.h264));
  unitTimes = streams.videoTimes;
  assert.equal(units.length, 50);
  assert.equal(unitTimes[0].dts, -80, "x264's B-frames start decoding at −80 ms");
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The two-second clip again and again: `seconds` of video in x264's own timestamps (dts from −80 ms). */
function* videoFor(seconds: number): Generator<{ data: Buffer; pts: number; dts: number }> {
  for (let pass = 0; pass * 2 < seconds; pass++) {
    for (let i = 0; i < units.length; i++) {
      yield { data: units[i], pts: unitTimes[i].pts + pass * 2000, dts: unitTimes[i].dts + pass * 2000 };
    }
  }
}

class Capture {
  readonly tags: FlvTag[] = [];
  writeTags(tags: readonly FlvTag[]): Promise<void> {
    this.tags.push(...tags);
    return Promise.resolve();
  }
}

describe('the silent AAC-LC frame', () => {
  test('mono is 4 bytes and stereo 6: the fixed fields of elements that code no band', () => {
    assert.deepEqual([...silentAacFrame(1)], [0x00, 0x00, 0x00, 0x07]);
    assert.deepEqual([...silentAacFrame(2)], [0x21, 0x00, 0x00, 0x00, 0x00, 0x1c]);
  });

  test('every channel configuration at several rates decodes to exact zeros, 1024 samples a frame', async () => {
    const configurations = [
      { sampleRate: 48000, channels: 2 },
      { sampleRate: 44100, channels: 1 },
      { sampleRate: 32000, channels: 3 },
      { sampleRate: 24000, channels: 4 },
      { sampleRate: 16000, channels: 5 },
      { sampleRate: 48000, channels: 6 },
      { sampleRate: 96000, channels: 8 },
      { sampleRate: 8000, channels: 2 },
    ];
    for (const { sampleRate, channels } of configurations) {
      const silence = new SilentAudio({ sampleRate, channels });
      const file = path.join(tmp, `silence-${sampleRate}-${channels}.aac`);
      const frames = 40;
      fs.writeFileSync(file, Buffer.concat(Array.from({ length: frames }, () => adts(silence.frame, sampleRate, channels === 8 ? 7 : channels))));
      const decoded = await decodeSilence(file);
      const where = `${sampleRate} Hz, ${channels} channels`;
      assert.equal(decoded.stderr, '', where);
      assert.equal(decoded.samples, frames * 1024, `${where}: 1024 samples per channel a frame`);
      assert.equal(decoded.peakDb, '-inf', `${where}: every sample is zero`);
    }
  });

  test('rates and channel counts AAC cannot carry are coded errors', () => {
    for (const options of [{ sampleRate: 45000 }, { channels: 7 }, { channels: 0 }]) {
      assert.throws(() => new SilentAudio(options), (e: unknown) => e instanceof RtmpError && e.code === ErrorCodes.MEDIA_INVALID);
    }
    assert.throws(() => new MediaPublisher(new Capture(), { audio: 'silent', video: false }), (e: unknown) => e instanceof RtmpError && e.code === ErrorCodes.INVALID_ARG);
    assert.throws(() => new MediaPublisher(new Capture(), { silentAudio: { channels: 1 } }), (e: unknown) => e instanceof RtmpError && e.code === ErrorCodes.INVALID_ARG);
  });
});

describe("MediaPublisher({ audio: 'silent' })", () => {
  test('ten minutes of video: silent frames on the exact 1024-sample grid from the first picture, ending with the video', async () => {
    for (const sampleRate of [48000, 44100]) {
      const sink = new Capture();
      const publisher = new MediaPublisher(sink, { audio: 'silent', silentAudio: { sampleRate } });
      let lastVideoPts = 0;
      for (const frame of videoFor(600)) {
        await publisher.writeVideo(frame);
        lastVideoPts = Math.max(lastVideoPts, frame.pts);
      }
      await assert.rejects(publisher.writeAudio({ data: Buffer.alloc(8), pts: 0 }), (e: unknown) => e instanceof RtmpError && e.code === ErrorCodes.MEDIA_INVALID);
      await publisher.end();
      const stats = publisher.stats();
      assert.equal(stats.timestampOffsetMs, 80, 'the −80 ms start is offset to 0');
      const video = sink.tags.filter((tag) => tag.type === 'video' && !isSequenceHeader(tag));
      const audio = sink.tags.filter((tag) => tag.type === 'audio' && !isSequenceHeader(tag));
      assert.equal(video.length, 15000);
      assert.equal(video[0].timestamp, 0);
      // Time 0 of the silence is the first picture's presentation time (x264's pts 0, + 80).
      const origin = 80;
      const frameMs = (1024 * 1000) / sampleRate;
      audio.forEach((tag, n) => assert.equal(tag.timestamp, Math.round(origin + n * frameMs), `${sampleRate} Hz frame ${n}`));
      const videoEnd = lastVideoPts + 80 + 40;
      const audioEnd = origin + audio.length * frameMs;
      assert.ok(audioEnd >= videoEnd && audioEnd - videoEnd < frameMs, `${sampleRate} Hz: audio ends at ${audioEnd} ms, video at ${videoEnd} ms`);
      assert.equal(stats.audioFrames, audio.length);
      // Every tag goes out in time order (each silent frame before the video frame that reached it).
      const times = sink.tags.filter((tag) => tag.type !== 'script').map((tag) => tag.timestamp);
      assert.ok(times.every((t, i) => i === 0 || t >= times[i - 1]), `${sampleRate} Hz: tags in time order`);
      // onMetaData announces the track.
      const meta = publisher.metadata();
      assert.deepEqual([meta.audiocodecid, meta.audiosamplerate, meta.audiochannels, meta.stereo], [10, sampleRate, 2, true]);
    }
  });

  test('the platform profile picks the silent track’s rate and channels unless the options do', () => {
    const rateOf = (options: ConstructorParameters<typeof MediaPublisher>[1]): unknown[] => {
      const meta = new MediaPublisher(new Capture(), options).metadata();
      return [meta.audiosamplerate, meta.audiochannels];
    };
    assert.deepEqual(rateOf({ audio: 'silent', profile: 'facebook' }), [48000, 2]);
    assert.deepEqual(rateOf({ audio: 'silent', profile: { ...FACEBOOK, sampleRates: [44100], maxChannels: 1 } }), [44100, 1]);
    assert.deepEqual(rateOf({ audio: 'silent', profile: 'youtube', silentAudio: { sampleRate: 44100 } }), [44100, 2]);
  });

  test('negative start times: offset automatically, the other track included; only going back is refused', async () => {
    const sink = new Capture();
    const publisher = new MediaPublisher(sink);
    const adtsFrame = adts(Buffer.from([0x21, 0x00, 0x00, 0x00, 0x00, 0x1c]), 44100, 2);
    // Audio first at 0, then x264's video at −80: nothing was sent yet, so all moves by 80.
    await publisher.writeAudio({ data: adtsFrame, pts: 0 });
    const frames = [...videoFor(2)];
    for (const frame of frames.slice(0, 30)) await publisher.writeVideo(frame);
    await publisher.writeAudio({ data: adtsFrame, pts: 23 });
    assert.equal(publisher.stats().timestampOffsetMs, 80);
    const media = sink.tags.filter((tag) => tag.type !== 'script' && !isSequenceHeader(tag));
    assert.equal(media.find((tag) => tag.type === 'audio')?.timestamp, 80);
    assert.equal(media.find((tag) => tag.type === 'video')?.timestamp, 0);
    await assert.rejects(publisher.writeVideo(frames[10]), (e: unknown) => e instanceof RtmpError && /goes back/.test(e.message));
    // Once sent, a timestamp before the start cannot be taken back.
    await assert.rejects(publisher.writeAudio({ data: adtsFrame, pts: -200 }), (e: unknown) => e instanceof RtmpError && e.code === ErrorCodes.MEDIA_INVALID);
  });
});

describe('silent audio through nginx-rtmp', () => {
  let nginx: NginxServer;
  before(async () => {
    nginx = await startNginx({ record: true });
  });
  after(async () => {
    await nginx?.stop();
  });

  async function checkRecording(key: string, videoFrames: number, sampleRate: number): Promise<void> {
    const recording = await nginx.waitForRecording(key, 60_000);
    const probe = await ffprobeFrames(recording, { timeoutMs: 120_000 });
    assert.equal(probe.stderr, '', 'ffprobe reads the recording without complaint');
    assert.equal(probe.video?.packets, videoFrames);
    assert.equal(probe.audio?.codecName, 'aac', 'the recording has an AAC track');
    assert.ok((probe.audio?.packets ?? 0) > 0);
    assert.equal(probe.audio?.frames, probe.audio?.packets, 'every audio frame decodes');
    const decoded = await decodeSilence(recording);
    assert.equal(decoded.stderr, '');
    assert.equal(decoded.peakDb, '-inf', 'astats: digital silence');
    assert.equal(decoded.histogram91, decoded.n, 'volumedetect: every sample in the −91 dB bin');
    assert.equal(decoded.samples, (probe.audio?.packets ?? 0) * 1024, "1024 samples a frame, per channel");
    const videoStart = Math.min(...(probe.video?.pts ?? []));
    const videoEnd = Math.max(...(probe.video?.pts ?? [])) + 0.04;
    const audioPts = probe.audio?.pts ?? [];
    const audioStart = audioPts[0];
    const audioEnd = (audioPts.at(-1) ?? 0) + 1024 / sampleRate;
    const frame = 1024 / sampleRate;
    assert.ok(Math.abs(audioStart - videoStart) <= 0.001, `audio starts at ${audioStart} s, video at ${videoStart} s`);
    assert.ok(Math.abs(audioEnd - audioStart - (videoEnd - videoStart)) <= frame, `audio lasts ${audioEnd - audioStart} s, video ${videoEnd - videoStart} s`);
  }

  test('ten minutes of video-only Annex-B, faster than real time: an AAC track of silence as long as the video', { timeout: 300_000 }, async () => {
    const key = 'silentKey0123456789';
    const connection = await publish(nginx.url('live', key));
    const publisher = new MediaPublisher(connection, { audio: 'silent' });
    let frames = 0;
    for (const frame of videoFor(600)) {
      await publisher.writeVideo(frame);
      frames++;
    }
    await publisher.end();
    await connection.close();
    await checkRecording(key, frames, 48000);
  });

  test("publishCamera({ audio: 'silent' }) at 44.1 kHz", { timeout: 120_000 }, async () => {
    const key = 'silentCamera0123456789';
    const camera = await publishCamera(nginx.url('live', key), { audio: 'silent', silentAudio: { sampleRate: 44100 } });
    const drops: unknown[] = [];
    camera.on('drop', (event) => drops.push(event));
    // In real time: the camera's queue drops what runs ahead of the clock.
    const start = performance.now();
    let frames = 0;
    for (const frame of videoFor(4)) {
      const due = start + frame.dts + 80 - performance.now();
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due)); // pacing, not synchronisation
      await camera.writeVideo(frame);
      frames++;
    }
    await camera.close();
    assert.deepEqual(drops, []);
    await checkRecording(key, frames, 44100);
  });
});
