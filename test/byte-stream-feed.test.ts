// Feeding publishers from Readable byte streams (issue 20 item 5): Annex-B video and ADTS
// audio from files and pipes, stamped by a frame rate or a clock, paced or not, into
// publishCamera and MediaPublisher; what nginx-rtmp recorded is checked with ffprobe.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { ErrorCodes, MediaPublisher, publish, publishCamera, RtmpError, type CameraDropEvent } from '../lib/index';
import type { FlvTag } from '../lib/flv';
import { openByteSource } from '../lib/media/byte-source';
import { isSequenceHeader } from '../lib/flv-tags';
import { makeAnnexBStream, makeElementaryStreams, makeHevcStream, splitAccessUnits, splitAdtsFrames } from './helpers/elementary';
import { ffprobeFrames } from './helpers/media';
import { startNginx, type NginxServer } from './helpers/nginx';

let tmp: string;
let nginx: NginxServer;
// 4 s of 25 fps H.264 without B-frames (as cameras encode), and 4 s of 44.1 kHz ADTS.
let h264: string;
let bframes: string;
let adts: string;
let videoUnits: number;
// 2 s of HEVC without and with B-frames.
let hevc: string;
let hevcBframes: string;
let audioFrames: number;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'byte-stream-feed-'));
  const [server, streams, camera, hevcCamera, hevcWithB] = await Promise.all([
    startNginx({ record: true }),
    makeElementaryStreams(tmp, 4),
    makeAnnexBStream(tmp, 'camera', 'h264', ['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '0', '-g', '25', '-x264-params', 'aud=0', '-threads', '1'], 4),
    makeAnnexBStream(tmp, 'hevc-camera', 'hevc', ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error:keyint=25:bframes=0:pools=1']),
    makeHevcStream(tmp, 2),
  ]);
  hevc = hevcCamera.file;
  hevcBframes = hevcWithB.hevc;
  nginx = server;
  h264 = camera.file;
  bframes = streams.h264;
  adts = streams.adts;
  videoUnits = splitAccessUnits(fs.readFileSync(h264)).length;
  audioFrames = splitAdtsFrames(fs.readFileSync(adts)).length;
  assert.equal(videoUnits, 100);
});

after(async () => {
  await nginx?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A file as a pipe would give it: small reads. */
const fileStream = (file: string): fs.ReadStream => fs.createReadStream(file, { highWaterMark: 1500 });

class Capture {
  readonly tags: FlvTag[] = [];
  writeTags(tags: readonly FlvTag[]): Promise<void> {
    this.tags.push(...tags);
    return Promise.resolve();
  }
}

const frames = (tags: FlvTag[], type: 'audio' | 'video'): FlvTag[] => tags.filter((tag) => tag.type === type && !isSequenceHeader(tag));

describe('pipeVideo()/pipeAudio() timing', () => {
  test('frameRate: frame n at n × 1000 / rate; audio by its samples; both from 0', async () => {
    const sink = new Capture();
    const publisher = new MediaPublisher(sink);
    const [video, audio] = await Promise.all([
      publisher.pipeVideo(fileStream(h264), { frameRate: 25, pace: false }),
      publisher.pipeAudio(fileStream(adts)),
    ]);
    assert.deepEqual([video.frames, video.droppedBytes, video.bytes], [videoUnits, 0, fs.statSync(h264).size]);
    assert.deepEqual([audio.frames, audio.droppedBytes, audio.bytes], [audioFrames, 0, fs.statSync(adts).size]);
    frames(sink.tags, 'video').forEach((tag, n) => assert.equal(tag.timestamp, n * 40));
    frames(sink.tags, 'audio').forEach((tag, n) => assert.equal(tag.timestamp, Math.round((n * 1024 * 1000) / 44100)));
  });

  test('clock: video at each unit’s reading, audio from its first frame’s, one zero for both', async () => {
    const sink = new Capture();
    const publisher = new MediaPublisher(sink);
    let now = 5000;
    const clock = (): number => (now += 33);
    await publisher.pipeVideo(Readable.from([fs.readFileSync(h264)]), { clock });
    await publisher.pipeAudio(Readable.from([fs.readFileSync(adts)]), { clock });
    const video = frames(sink.tags, 'video');
    assert.equal(video.length, videoUnits);
    video.forEach((tag, n) => assert.equal(tag.timestamp, n * 33, 'the first reading is time 0'));
    const audioStart = videoUnits * 33;
    frames(sink.tags, 'audio').forEach((tag, n) => assert.equal(tag.timestamp, Math.round(audioStart + (n * 1024 * 1000) / 44100)));
  });

  test('refused: B-frames without the encoder’s timestamps, missing or double timing, AV1, text streams', async () => {
    const isCode = (code: string) => (e: unknown) => e instanceof RtmpError && e.code === code;
    const publisher = new MediaPublisher(new Capture());
    await assert.rejects(publisher.pipeVideo(fileStream(bframes), { frameRate: 25, pace: false }), (e: unknown) => isCode(ErrorCodes.MEDIA_INVALID)(e) && /B-frames/.test((e as Error).message));
    for (const options of [{}, { frameRate: 25, clock: 'monotonic' as const }, { frameRate: 0 }, { clock: 'wall' as never }]) {
      await assert.rejects(new MediaPublisher(new Capture()).pipeVideo(fileStream(h264), options), isCode(ErrorCodes.INVALID_ARG), JSON.stringify(options));
    }
    await assert.rejects(new MediaPublisher(new Capture()).pipeAudio(fileStream(adts), { frameRate: 25 }), isCode(ErrorCodes.INVALID_ARG));
    assert.throws(() => new MediaPublisher(new Capture(), { videoCodec: 'av1' }).pipeVideo(fileStream(h264), { frameRate: 25 }), isCode(ErrorCodes.INVALID_ARG));
    await assert.rejects(new MediaPublisher(new Capture()).pipeVideo(Readable.from(['text']), { frameRate: 25 }), isCode(ErrorCodes.MEDIA_INVALID));
  });

  test('HEVC: a stream without B-frames is stamped frame by frame; one with them is refused', async () => {
    const sink = new Capture();
    const result = await new MediaPublisher(sink, { videoCodec: 'hevc', audio: false }).pipeVideo(fileStream(hevc), { frameRate: 25, pace: false });
    assert.equal(result.frames, 50);
    frames(sink.tags, 'video').forEach((tag, n) => assert.equal(tag.timestamp, n * 40));
    await assert.rejects(
      new MediaPublisher(new Capture(), { videoCodec: 'hevc' }).pipeVideo(fileStream(hevcBframes), { frameRate: 25, pace: false }),
      (e: unknown) => e instanceof RtmpError && e.code === ErrorCodes.MEDIA_INVALID && /HEVC B-frames/.test(e.message),
    );
  });

  test('signal: stops reading, resolves with what was written', async () => {
    const controller = new AbortController();
    const sink = new Capture();
    const publisher = new MediaPublisher(sink, { audio: false });
    let now = 0;
    const result = await publisher.pipeVideo(fileStream(h264), {
      clock: () => {
        if (++now === 10) controller.abort();
        return now * 40;
      },
      signal: controller.signal,
    });
    assert.equal(result.frames, 9);
    assert.equal(frames(sink.tags, 'video').length, 9);
  });
});

describe('pipeVideo()/pipeAudio() from a path', () => {
  // A named pipe with an encoder on the other end: written in 1500-byte pieces once a reader opens it.
  const fifoFrom = (file: string, name: string): { path: string; written: Promise<void> } => {
    const fifo = path.join(tmp, `${name}-${process.hrtime.bigint()}.fifo`);
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const written = new Promise<void>((resolve, reject) => {
      fileStream(file).pipe(fs.createWriteStream(fifo)).on('finish', resolve).on('error', reject);
    });
    return { path: fifo, written };
  };

  test('a named pipe is read through the event loop (a socket), a file through fs', async () => {
    const fifo = fifoFrom(h264, 'kind');
    const pipe = await openByteSource(fifo.path);
    assert.ok(pipe instanceof net.Socket, 'a FIFO opens as a net.Socket');
    let bytes = 0;
    for await (const chunk of pipe) bytes += (chunk as Buffer).length;
    await fifo.written;
    assert.equal(bytes, fs.statSync(h264).size);
    const file = await openByteSource(new URL(`file://${adts}`));
    assert.ok(file instanceof fs.ReadStream && !(file instanceof net.Socket));
    file.destroy();
  });

  test('paths: every frame from a FIFO and a file, stamped as from a Readable', async () => {
    const sink = new Capture();
    const publisher = new MediaPublisher(sink);
    const fifo = fifoFrom(h264, 'video');
    const [video, audio] = await Promise.all([publisher.pipeVideo(fifo.path, { frameRate: 25, pace: false }), publisher.pipeAudio(adts), fifo.written]);
    assert.deepEqual([video.frames, video.droppedBytes, video.bytes], [videoUnits, 0, fs.statSync(h264).size]);
    assert.deepEqual([audio.frames, audio.droppedBytes, audio.bytes], [audioFrames, 0, fs.statSync(adts).size]);
    frames(sink.tags, 'video').forEach((tag, n) => assert.equal(tag.timestamp, n * 40));
  });

  test('a path that cannot be opened is ERR_FILE; a stop ends a quiet pipe without waiting for bytes', async () => {
    const missing = path.join(tmp, 'no-such-encoder.h264');
    await assert.rejects(new MediaPublisher(new Capture()).pipeVideo(missing, { frameRate: 25 }), (e: unknown) => e instanceof RtmpError && e.code === ErrorCodes.FILE && e.message.includes(missing));
    const fifo = path.join(tmp, 'quiet.fifo');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    // The encoder opens the pipe, writes one second of video and then nothing.
    const encoder = fs.createWriteStream(fifo);
    // The stop closes the pipe's reading end, possibly while frame 26 (a keyframe) is still
    // being written: that write then fails with EPIPE, as a real encoder's would. (Destroying
    // the stream instead would fail it with ERR_STREAM_DESTROYED, an 'error' that came after
    // the test had ended when it had no listener.)
    const encoderEnded = new Promise<string | undefined>((resolve) => {
      encoder.once('error', (e: NodeJS.ErrnoException) => resolve(e.code));
      encoder.once('close', () => resolve(undefined));
    });
    const controller = new AbortController();
    const sink = new Capture();
    // Frame 25 comes out once frame 26's first NAL unit is seen: stop once it is written.
    const reached = new Promise<void>((resolve) => {
      const write = sink.writeTags.bind(sink);
      sink.writeTags = (tags) => {
        const done = write(tags);
        if (frames(sink.tags, 'video').length >= 25) resolve();
        return done;
      };
    });
    const piped = new MediaPublisher(sink, { audio: false }).pipeVideo(fifo, { frameRate: 25, pace: false, signal: controller.signal });
    await new Promise((resolve) => encoder.once('open', resolve));
    encoder.write(Buffer.concat(splitAccessUnits(fs.readFileSync(h264)).slice(0, 26)));
    await reached;
    controller.abort();
    const result = await piped;
    assert.equal(result.frames, 25);
    encoder.end();
    const ended = await encoderEnded;
    assert.ok([undefined, 'EPIPE'].includes(ended), String(ended));
  });
});

describe('byte streams to nginx-rtmp', () => {
  async function recorded(key: string): Promise<Awaited<ReturnType<typeof ffprobeFrames>>> {
    const probe = await ffprobeFrames(await nginx.waitForRecording(key, 60_000));
    assert.equal(probe.stderr, '');
    return probe;
  }

  test('publishCamera + pipeVideo from a file at 25 fps, silent audio: paced, nothing dropped', { timeout: 60_000 }, async () => {
    const key = 'pipeCameraKey0123456789';
    const camera = await publishCamera(nginx.url('live', key), { audio: 'silent' });
    const drops: CameraDropEvent[] = [];
    camera.on('drop', (event: CameraDropEvent) => drops.push(event));
    const result = await camera.pipeVideo(fileStream(h264), { frameRate: 25 });
    await camera.close();
    assert.equal(result.frames, videoUnits);
    assert.deepEqual(drops, []);
    const probe = await recorded(key);
    assert.equal(probe.video?.frames, videoUnits, 'every frame arrived and decodes');
    assert.equal(probe.audio?.codecName, 'aac');
    assert.equal(probe.audio?.frames, probe.audio?.packets);
    const pts = probe.video?.pts ?? [];
    pts.forEach((t, n) => assert.ok(Math.abs(t - pts[0] - n * 0.04) < 0.0015, `frame ${n} at ${t}`));
  });

  test('publishCamera fed faster than real time without pacing: the drop event says so, and what to do', { timeout: 60_000 }, async () => {
    const key = 'floodCameraKey0123456789';
    const camera = await publishCamera(nginx.url('live', key));
    const drops: CameraDropEvent[] = [];
    camera.on('drop', (event: CameraDropEvent) => drops.push(event));
    await Promise.all([
      camera.pipeVideo(Readable.from([fs.readFileSync(h264)]), { frameRate: 25, pace: false }),
      camera.pipeAudio(Readable.from([fs.readFileSync(adts)])),
    ]);
    await camera.close();
    assert.ok(drops.length > 0, 'four seconds written at once overflow the 0.9 s queue');
    assert.ok(drops.some((e) => e.fasterThanRealTime && e.inputAheadMs > 900), JSON.stringify(drops[0]));
    assert.match(drops.find((e) => e.fasterThanRealTime)?.message ?? '', /ahead of real time.*pace: true/);
  });

  test('publishCamera({ pace: true }) with frames written at once: nothing dropped', { timeout: 60_000 }, async () => {
    const key = 'pacedCameraKey0123456789';
    const camera = await publishCamera(nginx.url('live', key), { pace: true, audio: false });
    const drops: CameraDropEvent[] = [];
    camera.on('drop', (event: CameraDropEvent) => drops.push(event));
    const units = splitAccessUnits(fs.readFileSync(h264)).slice(0, 50);
    await Promise.all(units.map((data, n) => camera.writeVideo({ data, pts: n * 40 })));
    await camera.close();
    assert.deepEqual(drops, []);
    assert.equal((await recorded(key)).video?.frames, 50);
  });

  test('MediaPublisher on a connection: both byte streams as fast as the connection takes them, every frame recorded', { timeout: 60_000 }, async () => {
    const key = 'pipeMediaKey0123456789';
    const connection = await publish(nginx.url('live', key));
    const media = new MediaPublisher(connection);
    await Promise.all([media.pipeVideo(fileStream(h264), { frameRate: 25, pace: false }), media.pipeAudio(fileStream(adts))]);
    await media.end();
    await connection.close();
    const probe = await recorded(key);
    assert.equal(probe.video?.frames, videoUnits);
    assert.equal(probe.audio?.frames, audioFrames);
  });
});
