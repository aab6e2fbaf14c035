// RtmpConnection.sendCamera(): the native camera feed (native/src/camera_sender.h) reads an
// encoder's Annex-B and ADTS outputs on the connection thread. Its splitting, packetizing
// and stamping are native twins of lib/media's, so the first tests hold the two to the same
// tags, byte for byte, on what nginx-rtmp recorded; the rest are what a camera does: live
// named pipes, a stop, a configuration change, bad input and a profile that refuses.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ErrorCodes, FACEBOOK, MediaPublisher, openCamera, publish, read, RtmpError } from '../lib/index';
import { FlvParser, type FlvTag } from '../lib/flv';
import { isSequenceHeader } from '../lib/flv-tags';
import { AdtsSplitter } from '../lib/media/adts-splitter';
import { AnnexBSplitter } from '../lib/media/annexb-splitter';
import { CameraFeedHeaders } from '../lib/media/camera-feed';
import { NalType, nalType, splitAnnexB, START_CODE } from '../lib/media/h264';
import { makeAnnexBStream, makeElementaryStreams, splitAccessUnits, splitAdtsFrames } from './helpers/elementary';
import { ffprobeFrames } from './helpers/media';
import { startNginx, type NginxServer } from './helpers/nginx';

let tmp: string;
let nginx: NginxServer;
// 4 s of 320x180 25 fps H.264 without B-frames, with AUDs; 2 s of 160x90 (another SPS); 4 s
// of 44.1 kHz stereo ADTS; 2 s of H.264 with B-frames.
let h264: string;
let small: string;
let adts: string;
let bframes: string;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'camera-feed-'));
  const x264 = (size: string): string[] => ['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '0', '-g', '25', '-x264-params', 'aud=1', '-threads', '1', '-s', size];
  const [server, streams, camera, smaller] = await Promise.all([
    startNginx({ record: true }),
    makeElementaryStreams(tmp, 2),
    makeAnnexBStream(tmp, 'camera', 'h264', x264('320x180'), 4),
    makeAnnexBStream(tmp, 'small', 'h264', x264('160x90'), 2),
  ]);
  nginx = server;
  h264 = camera.file;
  small = smaller.file;
  bframes = streams.h264;
  // The audio of makeElementaryStreams lasts 2 s: twice over makes the 4 s of the video.
  adts = path.join(tmp, 'audio4s.adts');
  fs.writeFileSync(adts, Buffer.concat([fs.readFileSync(streams.adts), fs.readFileSync(streams.adts)]));
});

after(async () => {
  await nginx?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/**
 * What MediaPublisher (lib/media, JavaScript) publishes from the same inputs, as nginx
 * recorded it: the reference the native feed must match.
 */
async function publisherTags(key: string, video: string, audio: string | undefined): Promise<FlvTag[]> {
  const connection = await publish(nginx.url('live', key));
  const publisher = new MediaPublisher(connection, { audio: audio !== undefined });
  const feeds = [publisher.pipeVideo(video, { frameRate: 25, pace: false })];
  if (audio) feeds.push(publisher.pipeAudio(audio));
  await Promise.all(feeds);
  await publisher.end();
  await connection.close();
  return recordedTags(key);
}

/** The onMetaData body MediaPublisher (native: false) or the camera feed's headers (true) make for the inputs' first frames. */
async function firstMetadata(native: boolean): Promise<string> {
  const unit = splitAccessUnits(fs.readFileSync(h264))[0];
  const frame = splitAdtsFrames(fs.readFileSync(adts))[0];
  if (native) {
    const parameterSets = Buffer.concat(splitAnnexB(unit).filter((nal) => [NalType.SPS, NalType.PPS].includes(nalType(nal) as 7 | 8)).map((nal) => Buffer.concat([START_CODE, nal])));
    return new CameraFeedHeaders(true).headers(true, parameterSets, frame, 0)[0].data.toString('base64');
  }
  const tags: FlvTag[] = [];
  const publisher = new MediaPublisher({ writeTags: (t: readonly FlvTag[]) => Promise.resolve(void tags.push(...t)) });
  await publisher.writeVideo({ data: unit, pts: 0 });
  await publisher.writeAudio({ data: frame, pts: 0 });
  const script = tags.find((tag) => tag.type === 'script');
  assert.ok(script);
  return script.data.toString('base64');
}

async function recordedTags(key: string): Promise<FlvTag[]> {
  return new FlvParser().push(fs.readFileSync(await nginx.waitForRecording(key, 60_000)));
}

const track = (tags: FlvTag[], type: FlvTag['type']): { timestamp: number; data: string }[] =>
  tags.filter((tag) => tag.type === type).map((tag) => ({ timestamp: tag.timestamp, data: tag.data.toString('base64') }));

/** Publishes `video` (+ `audio`) with sendCamera() under `key`; returns the result and what nginx recorded. */
async function sendAndRecord(key: string, options: { video: string; audio?: string; pace?: boolean; coalesceMs?: number }) {
  const connection = await publish(nginx.url('live', key));
  const result = await connection.sendCamera({ frameRate: 25, pace: false, ...options });
  await connection.close();
  return { result, tags: await recordedTags(key) };
}

describe('sendCamera(): the same tags as MediaPublisher', () => {
  test('4 s of H.264 (AUDs) + AAC from files: every tag of each track equal, byte for byte, and decodable', { timeout: 60_000 }, async () => {
    const reference = await publisherTags('sameTagsJsKey0123456789', h264, adts);
    const { result, tags } = await sendAndRecord('sameTagsKey0123456789', { video: h264, audio: adts });
    const units = splitAccessUnits(fs.readFileSync(h264)).length;
    const frames = splitAdtsFrames(fs.readFileSync(adts)).length;
    assert.equal(units, 100);
    assert.deepEqual(
      [result.videoFrames, result.audioFrames, result.skippedFrames, result.videoBytesIn, result.audioBytesIn, result.stopped],
      [units, frames, 0, fs.statSync(h264).size, fs.statSync(adts).size, false],
    );
    assert.deepEqual(track(tags, 'video'), track(reference, 'video'));
    assert.deepEqual(track(tags, 'audio'), track(reference, 'audio'));
    // onMetaData (nginx does not record it): the same bytes as MediaPublisher's for the same first frames.
    assert.deepEqual(await firstMetadata(true), await firstMetadata(false));
    const probe = await ffprobeFrames(nginx.recordedFile('sameTagsKey0123456789'));
    assert.equal(probe.stderr, '');
    assert.equal(probe.video?.frames, units);
    assert.equal(probe.audio?.frames, frames);
  });

  test('a new SPS mid-stream (320x180, then 160x90): a second sequence header before the first frame that needs it, as MediaPublisher sends it', { timeout: 60_000 }, async () => {
    const spliced = path.join(tmp, 'spliced.h264');
    fs.writeFileSync(spliced, Buffer.concat([fs.readFileSync(h264), fs.readFileSync(small)]));
    const reference = await publisherTags('newSpsJsKey0123456789', spliced, undefined);
    const { result, tags } = await sendAndRecord('newSpsKey0123456789', { video: spliced });
    assert.equal(result.videoFrames, 150);
    assert.equal(tags.filter((tag) => tag.type === 'video' && isSequenceHeader(tag)).length, 2);
    assert.deepEqual(track(tags, 'video'), track(reference, 'video'));
    assert.equal(track(tags, 'audio').length, 0, 'no audio input: no audio track');
  });

  test('junk before the first start code and between ADTS frames: skipped and counted as the JavaScript splitters count it', { timeout: 60_000 }, async () => {
    const junkVideo = path.join(tmp, 'junk.h264');
    const junkAudio = path.join(tmp, 'junk.adts');
    fs.writeFileSync(junkVideo, Buffer.concat([Buffer.from('not video at all'), fs.readFileSync(h264)]));
    const audioFrames = splitAdtsFrames(fs.readFileSync(adts));
    fs.writeFileSync(junkAudio, Buffer.concat([Buffer.from([0xff, 0x00, 0x12]), ...audioFrames.slice(0, 50), Buffer.from('junk'), ...audioFrames.slice(50)]));
    const video = new AnnexBSplitter();
    video.push(fs.readFileSync(junkVideo));
    video.flush();
    const audio = new AdtsSplitter();
    audio.push(fs.readFileSync(junkAudio));
    audio.flush();
    const reference = await publisherTags('junkJsKey0123456789', junkVideo, junkAudio);
    const { result, tags } = await sendAndRecord('junkKey0123456789', { video: junkVideo, audio: junkAudio });
    assert.deepEqual([result.videoDroppedBytes, result.audioDroppedBytes], [video.stats().droppedBytes, audio.stats().droppedBytes]);
    assert.ok(result.videoDroppedBytes > 0 && result.audioDroppedBytes > 0);
    assert.deepEqual(track(tags, 'video'), track(reference, 'video'));
    assert.deepEqual(track(tags, 'audio'), track(reference, 'audio'));
  });
});

// A test's encoder: writes each access unit and ADTS frame into its pipe when it is due
// (timers: this is the input's own clock, not a wait for the feed).
function liveEncoder(fifo: { video: string; audio: string }, seconds: number, afterVideoFrame?: (n: number) => void): Promise<void> {
  // The 4 s of the inputs, over again for longer (keyframes stay every 25 frames).
  const cycle = <T>(items: T[], count: number): T[] => Array.from({ length: count }, (_, n) => items[n % items.length]);
  const units = cycle(splitAccessUnits(fs.readFileSync(h264)), seconds * 25);
  const frames = cycle(splitAdtsFrames(fs.readFileSync(adts)), Math.floor((seconds * 44100) / 1024));
  const write = (file: string, chunks: Buffer[], intervalMs: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const out = fs.createWriteStream(file);
      out.on('error', reject);
      const start = performance.now();
      let n = 0;
      const next = (): void => {
        if (n === chunks.length) {
          out.end(resolve);
          return;
        }
        out.write(chunks[n++]);
        if (file === fifo.video) afterVideoFrame?.(n);
        setTimeout(next, Math.max(0, start + n * intervalMs - performance.now()));
      };
      next();
    });
  return Promise.all([write(fifo.video, units, 40), write(fifo.audio, frames, (1024 * 1000) / 44100)]).then(() => undefined);
}

/**
 * The encoder's end of a pipe, opened once the feed has opened its own (a non-blocking open
 * for writing fails with ENXIO while there is no reader); nothing is written to it.
 */
async function openWriter(file: string): Promise<number> {
  for (;;) {
    try {
      return fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch (error) {
      assert.equal((error as NodeJS.ErrnoException).code, 'ENXIO');
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

function makeFifos(name: string): { video: string; audio: string } {
  const video = path.join(tmp, `${name}.video.fifo`);
  const audio = path.join(tmp, `${name}.audio.fifo`);
  for (const fifo of [video, audio]) assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  return { video, audio };
}

describe('sendCamera() from live named pipes', () => {
  test('an encoder writing its pipes in real time: every frame recorded, fewer writes than frames with a frame-long window', { timeout: 60_000 }, async () => {
    const key = 'livePipesKey0123456789';
    const fifo = makeFifos('live');
    const connection = await publish(nginx.url('live', key));
    // Started before the encoder: a pipe without a writer yet is waited for, not read as ended.
    const sending = connection.sendCamera({ video: fifo.video, audio: fifo.audio, frameRate: 25, coalesceMs: 40 });
    await liveEncoder(fifo, 2);
    const result = await sending;
    await connection.close();
    assert.deepEqual([result.videoFrames, result.audioFrames, result.stopped], [50, 86, false]);
    // 50 video + 86 audio frames in at most one write per video frame (and the headers').
    assert.ok(result.writes <= 52, `${result.writes} writes`);
    const probe = await ffprobeFrames(await nginx.waitForRecording(key, 60_000));
    assert.equal(probe.stderr, '');
    assert.equal(probe.video?.frames, 50);
    assert.equal(probe.audio?.frames, 86);
    const pts = probe.video?.pts ?? [];
    pts.forEach((t, n) => assert.ok(Math.abs(t - pts[0] - n * 0.04) < 0.0015, `frame ${n} at ${t}`));
  });

  test('stop: a feed waiting on a stalled encoder (pipes open, nothing written) ends at once with stopped: true; the connection goes on', { timeout: 30_000 }, async () => {
    const fifo = makeFifos('quiet');
    const connection = await publish(nginx.url('live', 'quietPipesKey0123456789'));
    const stop = new AbortController();
    const sending = connection.sendCamera({ video: fifo.video, audio: fifo.audio, frameRate: 25, stop: stop.signal });
    // The encoder opens its ends, and then writes nothing.
    const writers: number[] = [];
    for (const file of [fifo.video, fifo.audio]) writers.push(await openWriter(file));
    stop.abort();
    const result = await sending;
    writers.forEach((fd) => fs.closeSync(fd));
    assert.deepEqual([result.stopped, result.videoFrames, result.audioFrames, result.bytes], [true, 0, 0, 0]);
    await connection.writeTags([{ type: 'script', timestamp: 0, data: Buffer.from([2, 0, 1, 0x78]) }]);
    await connection.close();
  });

  test('destroy() while the feed waits on a stalled encoder: it rejects with the connection\'s ERR_CLOSED', { timeout: 30_000 }, async () => {
    const fifo = makeFifos('destroyed');
    const connection = await publish(nginx.url('live', 'destroyedKey0123456789'));
    const sending = connection.sendCamera({ video: fifo.video, audio: fifo.audio, frameRate: 25 });
    const writers: number[] = [];
    for (const file of [fifo.video, fifo.audio]) writers.push(await openWriter(file));
    connection.destroy();
    await assert.rejects(sending, { code: ErrorCodes.CLOSED, message: /destroyed/ });
    writers.forEach((fd) => fs.closeSync(fd));
  });

  test('the encoder closes its pipes: the feed ends with what it had, not stopped', { timeout: 30_000 }, async () => {
    const fifo = makeFifos('closed');
    const connection = await publish(nginx.url('live', 'closedPipesKey0123456789'));
    const sending = connection.sendCamera({ video: fifo.video, audio: fifo.audio, frameRate: 25 });
    await liveEncoder(fifo, 1);
    const result = await sending;
    assert.deepEqual([result.stopped, result.videoFrames, result.audioFrames], [false, 25, 43]);
    await connection.close();
  });
});

describe('a CameraSource across connections', () => {
  test('the server restarts mid-stream: the same open pipes continue on a new connection, timestamps going on, video from the next keyframe', { timeout: 60_000 }, async () => {
    const server = await startNginx({ record: true });
    try {
      const key = 'continuedKey0123456789';
      const fifo = makeFifos('continued');
      const source = await openCamera({ video: fifo.video, audio: fifo.audio, frameRate: 25 });
      let restarted: Promise<void> | undefined;
      // 6 s of frames; after the 40th (1.6 s) the server goes down and comes back (in well
      // under the 4.4 s left, on a loaded machine too).
      const encoder = liveEncoder(fifo, 6, (n) => {
        if (n === 40) restarted = server.restart();
      });
      const first = await publish(server.url('live', key));
      await assert.rejects(first.sendCamera(source), (error: RtmpError) => [ErrorCodes.CONNECTION_CLOSED, ErrorCodes.IO].includes(error.code as never));
      await first.destroy();
      await restarted;
      // A player waiting for the stream (nginx keeps it waiting for the publisher) sees the
      // timestamps as sent; nginx's recording starts its own at 0.
      const played = (async (): Promise<FlvTag[]> => {
        const tags: FlvTag[] = [];
        for await (const tag of read(server.url('live', key), { live: true })) tags.push(tag);
        return tags;
      })();
      await server.waitForLog(new RegExp(`play: name='${key}'`));
      const second = await publish(server.url('live', key));
      const result = await second.sendCamera(source);
      await second.close();
      await encoder;
      await source.close();
      assert.ok(result.videoFrames > 0 && result.videoFrames <= 100, `${result.videoFrames} video frames after the restart`);
      assert.ok(result.audioFrames > 0);
      // The new connection: onMetaData and sequence headers first, video from a keyframe,
      // stamped where the first connection's frames left off (frame n at n × 40 ms), the
      // audio on its own clock going on too.
      const tags = await played;
      const video = tags.filter((tag) => tag.type === 'video' && !isSequenceHeader(tag));
      const audio = tags.filter((tag) => tag.type === 'audio' && !isSequenceHeader(tag));
      assert.equal(video.length, result.videoFrames);
      assert.equal(video[0].data[0] >> 4, 1, 'a keyframe first');
      assert.ok(video[0].timestamp >= 40 * 40 && video[0].timestamp % 1000 === 0, `the first frame after the restart at ${video[0].timestamp} ms (keyframes every 25 frames)`);
      video.forEach((tag, n) => n > 0 && assert.equal(tag.timestamp - video[n - 1].timestamp, 40));
      assert.ok(audio[0].timestamp >= 40 * 40 - 100, `audio goes on at ${audio[0].timestamp} ms`);
      const probe = await ffprobeFrames(server.recordedFile(key));
      assert.equal(probe.stderr, '');
      assert.equal(probe.video?.frames, result.videoFrames);
    } finally {
      await server.stop();
    }
  });

  test('two feeds queued on one connection: each gets its own headers, one after the other', { timeout: 30_000 }, async () => {
    const key = 'twoFeedsKey0123456789';
    const connection = await publish(nginx.url('live', key));
    const [a, b] = await Promise.all([
      connection.sendCamera({ video: h264, audio: adts, frameRate: 25, pace: false }),
      connection.sendCamera({ video: small, frameRate: 25, pace: false }),
    ]);
    await connection.close();
    assert.deepEqual([a.videoFrames, b.videoFrames], [100, 50]);
    const tags = await recordedTags(key);
    assert.equal(tags.filter((tag) => tag.type === 'video' && !isSequenceHeader(tag)).length, 150);
  });

  test('one feed at a time per source; a closed source is refused', { timeout: 30_000 }, async () => {
    const connection = await publish(nginx.url('live', 'busySourceKey0123456789'));
    const source = await openCamera({ video: h264, frameRate: 25 });
    const stop = new AbortController();
    const sending = connection.sendCamera(source, { stop: stop.signal });
    await assert.rejects(connection.sendCamera(source), { code: ErrorCodes.INVALID_ARG, message: /already being sent/ });
    stop.abort();
    await sending;
    await source.close();
    await assert.rejects(connection.sendCamera(source), { code: ErrorCodes.CLOSED, message: /camera source is closed/ });
    await connection.close();
  });
});

describe('sendCamera(): bad input and refusals', () => {
  test('B-frames: ERR_MEDIA_INVALID saying to turn them off; the connection stays open', { timeout: 30_000 }, async () => {
    const connection = await publish(nginx.url('live', 'bFramesKey0123456789'));
    await assert.rejects(connection.sendCamera({ video: bframes, frameRate: 25, pace: false }), (error: RtmpError) => {
      assert.equal(error.code, ErrorCodes.MEDIA_INVALID);
      assert.match(error.message, /B-frames.*turn B-frames off/);
      return true;
    });
    const again = await connection.sendCamera({ video: h264, frameRate: 25, pace: false });
    assert.equal(again.videoFrames, 100);
    await connection.close();
  });

  test('what is not H.264: ERR_MEDIA_INVALID (no unit boundary within maxAccessUnitBytes; frames before any SPS)', { timeout: 30_000 }, async () => {
    const connection = await publish(nginx.url('live', 'notVideoKey0123456789'));
    const noise = path.join(tmp, 'noise.bin');
    fs.writeFileSync(noise, Buffer.concat([Buffer.of(0, 0, 1, 0x65, 0x88), Buffer.alloc(8192, 0x5a)]));
    await assert.rejects(connection.sendCamera({ video: noise, frameRate: 25, maxAccessUnitBytes: 4096 }), { code: ErrorCodes.MEDIA_INVALID, message: /no access unit boundary in 4096 bytes/ });
    // The first unit without its parameter sets: an encoder joined mid-stream.
    const units = splitAccessUnits(fs.readFileSync(h264));
    const headless = path.join(tmp, 'headless.h264');
    fs.writeFileSync(headless, Buffer.concat(units.slice(1, 10)));
    await assert.rejects(connection.sendCamera({ video: headless, frameRate: 25 }), { code: ErrorCodes.MEDIA_INVALID, message: /before any SPS and PPS/ });
    await connection.close();
  });

  test('options and files: ERR_INVALID_ARG and ERR_FILE before anything is sent', { timeout: 30_000 }, async () => {
    const connection = await publish(nginx.url('live', 'badOptionsKey0123456789'));
    for (const options of [{ video: h264, frameRate: 0 }, { video: '', frameRate: 25 }, { video: h264, frameRate: 25, coalesceMs: -1 }, { video: h264, frameRate: 25, pace: 'yes' }]) {
      await assert.rejects(connection.sendCamera(options as never), { code: ErrorCodes.INVALID_ARG });
    }
    await assert.rejects(connection.sendCamera({ video: path.join(tmp, 'missing.h264'), frameRate: 25 }), { code: ErrorCodes.FILE, message: /missing\.h264: ENOENT/ });
    await assert.rejects(connection.sendCamera({ video: h264, audio: path.join(tmp, 'missing.adts'), frameRate: 25, pace: false }), { code: ErrorCodes.FILE, message: /missing\.adts/ });
    assert.equal(connection.stats().messagesOut, 0);
    await connection.close();
  });

  test('a strict profile refuses the configuration: ERR_PROFILE_VIOLATION before any frame is sent', { timeout: 30_000 }, async () => {
    const tiny = { ...FACEBOOK, name: 'tiny', maxWidth: 160, maxHeight: 90 };
    const connection = await publish(nginx.url('live', 'strictKey0123456789'), { profile: tiny, strict: true });
    const warnings: string[] = [];
    connection.on('warning', (w: { code: string }) => warnings.push(w.code));
    await assert.rejects(connection.sendCamera({ video: h264, audio: adts, frameRate: 25, pace: false }), (error: RtmpError) => {
      assert.equal(error.code, ErrorCodes.PROFILE_VIOLATION);
      assert.equal(error.reason, 'WARN_RESOLUTION');
      return true;
    });
    assert.deepEqual(warnings, ['WARN_RESOLUTION']);
    await connection.close();
  });
});
