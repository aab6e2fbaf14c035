// The camera's publishing session: the send queue's drop rules on synthetic tags, then a
// real nginx-rtmp that is restarted mid-stream (reconnect) and reached through a throttled
// relay (congestion), with what the server recorded decoded by ffprobe.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { connect, ErrorCodes, publish, RtmpError } from '../lib/index';
import type { FlvTag } from '../lib/flv';
import { isKeyframe, isSequenceHeader } from '../lib/flv-tags';
import { SendQueue, type DropEvent } from '../lib/media/send-queue';
import {
  publishCamera,
  type ConnectedEvent,
  type ReconnectedEvent,
  type ReconnectingEvent,
  type ReconnectingPublisher,
} from '../lib/media/reconnecting-publisher';
import { makeElementaryStreams, readStreams, splitAccessUnits, splitAdtsFrames, type ElementaryStreams } from './helpers/elementary';
import { ffprobeFrames } from './helpers/media';
import { startNginx, type NginxServer } from './helpers/nginx';
import { AAC_FRAME_MS, firstVideoPacket, publishPaced, type Frames } from './helpers/camera';
import type { CongestionInput, CongestionResult } from './helpers/congestion-child';
import { runNodeChildInNetns } from './helpers/netns';
import { freePort } from './helpers/ports';
import { startThrottledRelay } from './helpers/throttled-relay';

const run = promisify(execFile);
const CONGESTION_CHILD = path.join(__dirname, 'helpers', 'congestion-child.js');

// --- Synthetic tags --------------------------------------------------------------------------

const script = (timestamp: number): FlvTag => ({ type: 'script', timestamp, data: Buffer.from([2, 0, 10]) });
const avcHeader = (timestamp: number): FlvTag => ({ type: 'video', timestamp, data: Buffer.from([0x17, 0, 0, 0, 0, 1]) });
const aacHeader = (timestamp: number): FlvTag => ({ type: 'audio', timestamp, data: Buffer.from([0xaf, 0, 0x12, 0x10]) });
const hevcHeader = (timestamp: number): FlvTag => ({ type: 'video', timestamp, data: Buffer.from([0x90, 0x68, 0x76, 0x63, 0x31, 1]) });
const avcFrame = (timestamp: number, key: boolean): FlvTag => ({
  type: 'video',
  timestamp,
  data: Buffer.from([key ? 0x17 : 0x27, 1, 0, 0, 0, timestamp & 0xff]),
});
const hevcFrame = (timestamp: number, key: boolean): FlvTag => ({
  type: 'video',
  timestamp,
  data: Buffer.from([key ? 0x91 : 0xa1, 0x68, 0x76, 0x63, 0x31, 0, 0, 0, timestamp & 0xff]),
});
const aacFrame = (timestamp: number): FlvTag => ({ type: 'audio', timestamp, data: Buffer.from([0xaf, 1, timestamp & 0xff]) });

/** `ms` of a 25 fps stream with a keyframe every `gopMs` and AAC frames, in time order. */
function syntheticStream(ms: number, gopMs = 1000, hevc = false): FlvTag[] {
  const tags: FlvTag[] = [script(0), hevc ? hevcHeader(0) : avcHeader(0), aacHeader(0)];
  let audio = 0;
  for (let t = 0; t < ms; t += 40) {
    while (Math.round(audio * AAC_FRAME_MS) <= t) tags.push(aacFrame(Math.round(audio++ * AAC_FRAME_MS)));
    tags.push(hevc ? hevcFrame(t, t % gopMs === 0) : avcFrame(t, t % gopMs === 0));
  }
  return tags;
}

/** A sink whose writes finish only when the test says so. */
class ManualSink {
  readonly batches: FlvTag[][] = [];
  /** Finish every write at once from now on: the link keeps up again. */
  auto = false;
  #pending: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  writeTags(tags: readonly FlvTag[]): Promise<void> {
    this.batches.push([...tags]);
    if (this.auto) return Promise.resolve();
    return new Promise((resolve, reject) => this.#pending.push({ resolve, reject }));
  }
  get inFlight(): number {
    return this.#pending.length;
  }
  finish(): void {
    this.#pending.shift()?.resolve();
  }
  fail(error: unknown): void {
    this.#pending.shift()?.reject(error);
  }
  get sent(): FlvTag[] {
    return this.batches.flat();
  }
}

// Lets the queue's promise callbacks run.
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Every sent non-key video frame is decodable: each frame since its keyframe was sent too.
 * Returns the number of video frames dropped from `source`.
 */
function assertDecodableVideo(source: FlvTag[], sent: FlvTag[]): number {
  const sentSet = new Set(sent);
  let chainIntact = false;
  let dropped = 0;
  for (const tag of source) {
    if (tag.type !== 'video' || isSequenceHeader(tag)) continue;
    const wasSent = sentSet.has(tag);
    if (!wasSent) dropped++;
    if (isKeyframe(tag)) chainIntact = wasSent;
    else if (wasSent) assert.ok(chainIntact, `non-key frame at ${tag.timestamp} ms sent after a dropped frame`);
    else chainIntact = false;
  }
  return dropped;
}

describe('SendQueue drop rules', () => {
  test('sends one batch of at most maxBatchMs at a time, everything, while the link keeps up', async () => {
    // Batches of up to 100 ms; the coalescing window off, so each write finds the link at once
    // (the window has tests of its own in coalescing.test.ts).
    const queue = new SendQueue({ coalesceMs: 0 });
    const sink = new ManualSink();
    queue.attach(sink);
    const source = syntheticStream(600);
    for (const tag of source.slice(0, 10)) await queue.writeTags([tag]);
    assert.equal(sink.inFlight, 1, 'one batch in flight');
    assert.equal(sink.batches[0].length, 1);
    await queue.writeTags(source.slice(10));
    assert.equal(sink.batches.length, 1, 'the rest waits for the batch in flight');
    while (sink.inFlight > 0) {
      sink.finish();
      await settle();
    }
    await queue.idle();
    assert.deepEqual(sink.sent, source);
    for (const batch of sink.batches.slice(1)) {
      assert.ok(batch[batch.length - 1].timestamp - batch[0].timestamp < 100, 'a batch spans less than 100 ms');
    }
    // Each batch and the gap to the next (at most a frame) cover under 140 ms of the 560.
    assert.ok(sink.batches.length >= 1 + Math.ceil(560 / 140), `${sink.batches.length} batches for 600 ms`);
    assert.equal(queue.stats().droppedFrames, 0);
  });

  test('past dropThresholdMs: non-key video goes, keyframes, audio, headers and metadata stay', async () => {
    const queue = new SendQueue();
    const sink = new ManualSink();
    const drops: DropEvent[] = [];
    queue.on('drop', (event: DropEvent) => drops.push(event));
    queue.attach(sink);
    const source = syntheticStream(3000, 500);
    await queue.writeTags(source.slice(0, 1)); // the metadata tag goes out and the link stalls
    for (const tag of source.slice(1)) {
      if (tag.timestamp >= 850 && !sink.auto) {
        // The link recovers before the oldest keyframe is 900 ms behind.
        sink.auto = true;
        sink.finish();
        await settle();
      }
      await queue.writeTags([tag]);
      assert.ok(queue.stats().queuedVideoMs <= 900);
    }
    assert.ok(drops.length > 0 && drops.every((d) => d.reason === 'non-key'), JSON.stringify(drops));
    assert.ok(drops.every((d) => d.audioFrames === 0));
    assert.ok(drops[0].queuedVideoMs > 700);
    await queue.idle();
    const sent = sink.sent;
    assert.deepEqual(sent.filter((t) => t.type !== 'video' || isSequenceHeader(t)), source.filter((t) => t.type !== 'video' || isSequenceHeader(t)), 'every non-video tag and header, in order');
    const keyframes = source.filter(isKeyframe);
    assert.deepEqual(sent.filter(isKeyframe), keyframes, 'no keyframe dropped below pframeDropThresholdMs');
    const dropped = assertDecodableVideo(source, sent);
    assert.ok(dropped > 0);
    assert.equal(queue.stats().droppedFrames, dropped);
    assert.equal(drops.reduce((n, d) => n + d.videoFrames, 0), dropped);
  });

  test('past pframeDropThresholdMs: all video goes until the next keyframe; Enhanced RTMP headers stay', async () => {
    const queue = new SendQueue(); // 700 / 900
    const sink = new ManualSink();
    const drops: DropEvent[] = [];
    queue.on('drop', (event: DropEvent) => drops.push(event));
    queue.attach(sink);
    // Keyframes every 400 ms: two of them span more than 900 ms only with everything between.
    const source = syntheticStream(4000, 400, true);
    await queue.writeTags(source.slice(0, 1));
    let maxQueued = 0;
    for (const tag of source.slice(1)) {
      await queue.writeTags([tag]);
      maxQueued = Math.max(maxQueued, queue.stats().queuedVideoMs);
    }
    assert.ok(maxQueued <= 900, `queued ${maxQueued} ms of video`);
    assert.equal(queue.stats().maxQueuedVideoMs, maxQueued);
    assert.ok(drops.some((d) => d.reason === 'all-video'), JSON.stringify(drops));
    sink.auto = true;
    sink.finish();
    await queue.idle();
    const sent = sink.sent;
    assert.ok(sent.filter(isKeyframe).length < source.filter(isKeyframe).length, 'keyframes dropped too');
    assert.equal(sent.filter(isSequenceHeader).length, 2, 'HEVC SequenceStart and AAC header kept');
    assert.equal(sent.filter((t) => t.type === 'audio').length, source.filter((t) => t.type === 'audio').length);
    assert.equal(sent.filter((t) => t.type === 'script').length, 1);
    const dropped = assertDecodableVideo(source, sent);
    assert.equal(queue.stats().droppedFrames, dropped);
    assert.equal(queue.stats().droppedAudioFrames, 0);
  });

  test('without a connection, audio beyond maxQueuedMs goes oldest-first; headers stay first', async () => {
    const queue = new SendQueue({ maxQueuedMs: 2000 });
    const source = syntheticStream(6000, 1000);
    await queue.writeTags(source);
    const stats = queue.stats();
    assert.ok(stats.droppedAudioFrames > 0);
    const sink = new ManualSink();
    sink.auto = true;
    queue.attach(sink);
    await queue.idle();
    const sent = sink.sent;
    assert.deepEqual(sent.slice(0, 3), source.slice(0, 3), 'metadata and sequence headers first');
    const audio = sent.filter((t) => t.type === 'audio' && !isSequenceHeader(t));
    assert.ok(audio[0].timestamp >= 6000 - 40 - 2000 - AAC_FRAME_MS, `oldest audio kept at ${audio[0].timestamp}`);
    const sourceAudio = source.filter((t) => t.type === 'audio' && !isSequenceHeader(t));
    assert.deepEqual(audio, sourceAudio.slice(sourceAudio.length - audio.length), 'the newest audio, contiguous');
    assert.equal(stats.droppedAudioFrames, sourceAudio.length - audio.length);
    assertDecodableVideo(source, sent);
  });

  test('a failed write detaches the sink, reports the error and discards what was queued', async () => {
    const queue = new SendQueue({ coalesceMs: 0 }); // the first write in flight at once

    const sink = new ManualSink();
    const errors: unknown[] = [];
    const drops: DropEvent[] = [];
    queue.on('drop', (event: DropEvent) => drops.push(event));
    queue.attach(sink, (error) => errors.push(error));
    const source = syntheticStream(400);
    await queue.writeTags(source.slice(0, 3));
    await queue.writeTags(source.slice(3));
    const failure = new Error('gone');
    sink.fail(failure);
    await settle();
    assert.deepEqual(errors, [failure]);
    assert.equal(sink.batches.length, 1, 'nothing more for the failed sink');
    assert.equal(drops.at(-1)?.reason, 'disconnect');
    assert.equal(queue.stats().queuedTags, 0);
    assert.equal(queue.stats().droppedFrames, source.slice(3).filter((t) => t.type === 'video').length);
    await queue.idle(); // detached: nothing to wait for
    const next = new ManualSink();
    queue.attach(next);
    const more = [avcHeader(400), avcFrame(400, true)];
    await queue.writeTags(more);
    assert.deepEqual(next.sent, more);
  });
});

// --- Against nginx ---------------------------------------------------------------------------

describe('ReconnectingPublisher against nginx-rtmp', () => {
  let nginx: NginxServer;
  let tmp: string;
  // 7 s of the camera fixture: H.264 with B-frames and AAC, timestamps shifted to start at 0.
  let frames: Frames;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-camera-'));
    let streams: ElementaryStreams;
    [nginx, streams] = await Promise.all([startNginx({ record: true }), makeElementaryStreams(tmp, 7)]);
    const { units, adtsFrames } = readStreams(streams);
    const shift = -Math.min(0, ...streams.videoTimes.map((t) => t.dts));
    frames = {
      video: units.map((data, i) => ({ data, pts: streams.videoTimes[i].pts + shift, dts: streams.videoTimes[i].dts + shift })),
      audio: adtsFrames.map((data, i) => ({ data, pts: Math.round(i * AAC_FRAME_MS) + shift })),
    };
  });
  after(async () => {
    await nginx?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('nginx restarted mid-stream: the stream resumes from a keyframe with its timestamps', { timeout: 60_000 }, async () => {
    const key = 'cameraKey0123secret';
    const camera = await publishCamera(nginx.url('live', key), {
      reconnect: { initialDelayMs: 100, factor: 1.5, maxDelayMs: 1000, jitter: 0, retries: 20 },
    });
    const events: { name: string; payload: unknown }[] = [];
    for (const name of ['reconnecting', 'reconnected', 'drop', 'error']) {
      camera.on(name, (payload: unknown) => events.push({ name, payload }));
    }
    const restartAtMs = 2500;
    let restarted: Promise<void> | undefined;
    const reconnected = new Promise<ReconnectedEvent>((resolve) => camera.once('reconnected', resolve));
    // A player after the outage sees the publisher's own timestamps (the recording starts at 0).
    const played = reconnected.then(async () => {
      const player = await connect(nginx.url('live', key), { live: true });
      const seen: FlvTag[] = [];
      for await (const tag of player.tags()) seen.push(tag);
      await player.close();
      return seen;
    });
    await publishPaced(camera, frames, (mediaMs) => {
      if (mediaMs >= restartAtMs && !restarted) restarted = nginx.restart();
    });
    await restarted;
    const { attempt } = await reconnected;
    assert.ok(attempt >= 1);
    // The first session's recording was finished by the restart; wait for the second one's.
    fs.rmSync(`${nginx.recordedFile(key)}.done`, { force: true });
    await camera.close();
    const seen = (await played).filter((tag) => tag.type !== 'script');
    assert.ok(seen.length > 0, 'the player got the stream after the outage');
    assert.ok(seen[0].timestamp >= restartAtMs, `the player's stream starts at ${seen[0].timestamp} ms`);
    const lastMs = Math.max(frames.video.at(-1)?.dts ?? 0, frames.audio.at(-1)?.pts ?? 0);
    assert.ok(Math.abs((seen.at(-1)?.timestamp ?? 0) - lastMs) < 50, `and ends at ${seen.at(-1)?.timestamp} ms, as written`);

    const reconnecting = events.filter((e) => e.name === 'reconnecting').map((e) => e.payload as ReconnectingEvent);
    assert.ok(reconnecting.length >= 1, 'reconnecting reported');
    assert.equal(reconnecting[0].delayMs, 100);
    assert.match(reconnecting[0].code, /^ERR_/);
    assert.ok(reconnecting.every((e, i) => i === 0 || e.delayMs >= reconnecting[i - 1].delayMs), 'backoff grows');
    assert.equal(events.filter((e) => e.name === 'reconnected').length, 1);
    assert.equal(events.filter((e) => e.name === 'error').length, 0);
    assert.ok(!JSON.stringify(events).includes(key), 'no stream key in events');
    assert.ok(!camera.url.includes(key));
    const stats = camera.stats();
    assert.equal(stats.reconnects, 1);
    assert.equal(stats.connected, false);

    const recording = await nginx.waitForRecording(key);
    const probe = await ffprobeFrames(recording);
    assert.equal(probe.stderr, '', 'ffprobe decodes the part after the outage without complaint');
    const first = await firstVideoPacket(recording);
    assert.match(first.flags, /K/, 'it starts at a keyframe');
    assert.ok(probe.video && probe.video.frames === probe.video.packets, 'every recorded frame decodes');
    // Everything from the keyframe it resumed at: at least what the later player saw, and no
    // more than what was written after the outage began.
    const playerVideoMs = seen.find((tag) => tag.type === 'video' && !isSequenceHeader(tag))?.timestamp ?? Infinity;
    const atLeast = frames.video.filter((f) => f.dts >= playerVideoMs).length;
    const atMost = frames.video.filter((f) => f.dts >= restartAtMs).length;
    assert.ok(probe.video.frames >= atLeast && probe.video.frames <= atMost, `${probe.video.frames} frames, ${atLeast}..${atMost}`);
    assert.ok((probe.audio?.frames ?? 0) > 0);
  });

  test('a link slower than the stream: bounded queue, frames dropped by the rules, the recording decodes', { timeout: 60_000 }, async () => {
    // A heavier stream than the camera fixture (noise defeats the encoder), no B-frames: each
    // access unit's times are its index times 40 ms.
    const h264 = path.join(tmp, 'heavy.h264');
    const adts = path.join(tmp, 'heavy.adts');
    const seconds = 8;
    await run('ffmpeg', [
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=25:duration=${seconds},noise=alls=40:allf=t`,
      '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`,
      '-map', '0:v', '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '0', '-g', '25', '-b:v', '2500k',
      '-pix_fmt', 'yuv420p', '-x264-params', 'aud=1', '-threads', '2', '-f', 'h264', h264,
      '-map', '1:a', '-c:a', 'aac', '-ac', '2', '-b:a', '64k', '-f', 'adts', adts,
    ], { timeout: 60_000 });
    const units = splitAccessUnits(fs.readFileSync(h264));
    const adtsFrames = splitAdtsFrames(fs.readFileSync(adts));
    const heavy: Frames = {
      video: units.map((data, i) => ({ data, pts: i * 40, dts: i * 40 })),
      audio: adtsFrames.map((data, i) => ({ data, pts: Math.round(i * AAC_FRAME_MS) })),
    };
    const totalBytes = units.reduce((n, u) => n + u.length, 0) + adtsFrames.reduce((n, f) => n + f.length, 0);
    const streamBytesPerSecond = totalBytes / seconds;
    const audioBytesPerSecond = adtsFrames.reduce((n, f) => n + f.length, 0) / seconds;
    // A third of the stream: room for the audio and some video, never for all of it.
    const rate = streamBytesPerSecond / 3;
    assert.ok(rate > 3 * audioBytesPerSecond, `stream ${streamBytesPerSecond} B/s, audio ${audioBytesPerSecond} B/s`);

    const { result } = await runNodeChildInNetns<CongestionResult>(
      CONGESTION_CHILD,
      { h264, adts, bytesPerSecond: rate } satisfies CongestionInput,
      { timeoutMs: 60_000 },
    );
    const { stats, drops, relay, probe, maxHeldBytes } = result;

    assert.ok(relay.throttled > 10, 'the link really was slow');
    assert.equal(stats.reconnects, 0);
    // The queue re-bounds itself on every write: never more than pframeDropThresholdMs.
    assert.ok(stats.maxQueuedVideoMs <= 900, `queued up to ${stats.maxQueuedVideoMs} ms`);
    // Held in JS and native: the queue plus one batch in flight, which was the queue once —
    // twice 900 ms of media and a frame, at this stream's densest.
    const windowMs = 2 * (900 + 40);
    let densest = 0;
    for (const from of heavy.video.map((f) => f.dts)) {
      const video = heavy.video.filter((f) => f.dts >= from && f.dts < from + windowMs);
      const audio = heavy.audio.filter((f) => f.pts >= from && f.pts < from + windowMs);
      densest = Math.max(densest, [...video, ...audio].reduce((n, f) => n + f.data.length, 0));
    }
    assert.ok(maxHeldBytes <= densest, `held ${maxHeldBytes} bytes, bound ${densest}`);
    assert.ok(stats.droppedFrames > 0 && drops.length > 0, `frames were dropped: ${JSON.stringify({ stats, relay })}`);
    assert.equal(stats.droppedAudioFrames, 0, `no audio dropped ${JSON.stringify({ stats, relay, audioDrops: drops.filter((d) => d.audioFrames > 0), n: drops.length })}`);
    assert.ok(
      drops.every((d) => d.audioFrames === 0 && ['non-key', 'all-video'].includes(d.reason)),
      JSON.stringify(drops.slice(0, 5)),
    );
    assert.equal(drops.reduce((n, d) => n + d.videoFrames, 0), stats.droppedFrames);
    assert.equal(stats.videoFrames, units.length, 'the muxer took every frame');

    assert.equal(probe.stderr, '', 'what reached the server decodes without complaint');
    assert.ok(probe.video && probe.audio);
    assert.equal(probe.audio.packets, adtsFrames.length, 'every audio frame arrived');
    assert.equal(probe.video.packets, units.length - stats.droppedFrames, 'every frame not dropped arrived');
    assert.equal(probe.video.frames, probe.video.packets, 'and decodes: video resumed at keyframes');
    assert.match(result.firstVideoFlags, /K/);
  });
  /** Writes paced frames until `until` resolves (or the frames run out). */
  async function writeUntil(camera: ReconnectingPublisher, until: Promise<unknown>): Promise<void> {
    let done = false;
    void until.then(() => (done = true));
    const start = performance.now();
    for (let v = 0; v < frames.video.length && !done; v++) {
      const due = start + frames.video[v].dts - performance.now();
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due)); // pacing, not synchronisation
      if (!done) await camera.writeVideo(frames.video[v]).catch(() => undefined);
    }
  }

  test('retryFirstConnection: a camera that starts before its server connects once it is up, losing nothing', { timeout: 60_000 }, async (t) => {
    const port = await freePort(); // nothing listens yet: connecting is refused
    const key = 'firstConnectionKey0123secret';
    const camera = await publishCamera(`rtmp://127.0.0.1:${port}/live/${key}`, {
      retryFirstConnection: true,
      reconnect: { initialDelayMs: 200, factor: 1.5, jitter: 0, retries: 5 },
    });
    const events: { name: string; payload: unknown }[] = [];
    for (const name of ['reconnecting', 'connected', 'reconnected', 'error']) {
      camera.on(name, (payload: unknown) => events.push({ name, payload }));
    }
    // The server comes up once the first attempt has been refused.
    const forwarder = net.createServer((client) => {
      const upstream = net.connect({ host: '127.0.0.1', port: nginx.port });
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      t.after(() => client.destroy());
    });
    t.after(() => forwarder.close());
    camera.once('reconnecting', () => forwarder.listen({ host: '127.0.0.1', port }));
    const connected = new Promise<ConnectedEvent>((resolve) => camera.once('connected', resolve));
    const firstSeconds: Frames = { video: frames.video.filter((f) => f.dts < 3000), audio: frames.audio.filter((f) => f.pts < 3000) };
    await publishPaced(camera, firstSeconds);
    assert.deepEqual(await connected, { destination: 0, url: camera.url, attempt: 1 });
    await camera.close();

    assert.deepEqual(events.map((e) => e.name), ['reconnecting', 'connected']);
    assert.deepEqual(events[0].payload, { destination: 0, url: camera.url, attempt: 1, delayMs: 200, code: ErrorCodes.CONNECT_REFUSED });
    assert.ok(!JSON.stringify(events).includes(key) && !camera.url.includes(key));
    assert.equal(camera.stats().reconnects, 0);
    // What was written while connecting was queued (well under the drop thresholds), not lost.
    const probe = await ffprobeFrames(await nginx.waitForRecording(key));
    assert.equal(probe.stderr, '');
    assert.equal(probe.video?.frames, firstSeconds.video.length);
    assert.equal(probe.audio?.frames, firstSeconds.audio.length);
  });

  test('a stream name still in use: retried with a note saying why, published once the server frees it', { timeout: 60_000 }, async () => {
    // After a link outage the server may keep the dead connection's session, and the name.
    const key = 'nameInUseKey0123secret';
    const url = `rtmp://127.0.0.1:${nginx.port}/live/${key}`;
    const holder = await publish(url);
    const camera = await publishCamera(url, { retryFirstConnection: true, reconnect: { initialDelayMs: 200, factor: 1, jitter: 0, retries: 100 } });
    const events: { name: string; payload: unknown }[] = [];
    for (const name of ['reconnecting', 'connected', 'error']) camera.on(name, (payload: unknown) => events.push({ name, payload }));
    const [refused] = (await once(camera, 'reconnecting')) as [ReconnectingEvent];
    assert.equal(refused.code, ErrorCodes.RTMP_PUBLISH_REJECTED);
    assert.match(refused.note ?? '', /stream name is in use/);
    const connected = once(camera, 'connected');
    await holder.close();
    await connected;
    await camera.close();
    assert.ok(events.some((e) => e.name === 'connected') && !events.some((e) => e.name === 'error'), JSON.stringify(events));
    assert.ok(!JSON.stringify(events).includes(key));
  });

  test('retryFirstConnection still checks the URL and options at once', async () => {
    await assert.rejects(publishCamera('rtmp://127.0.0.1:1/live/x', { retryFirstConnection: true, rtmp: { timeout: -1 } }), {
      code: ErrorCodes.INVALID_ARG,
    });
    await assert.rejects(publishCamera('http://127.0.0.1/live/x', { retryFirstConnection: true }), { code: ErrorCodes.INVALID_URL });
    await assert.rejects(publishCamera('rtmp://127.0.0.1:1/live/x', { retryFirstConnection: true, reconnect: false }), {
      code: ErrorCodes.INVALID_ARG,
    });
  });

  test('gives up after its retries: an error event, then writes fail with its code, no stream key', { timeout: 60_000 }, async () => {
    const relay = await startThrottledRelay(nginx.port, 1e9);
    const key = 'giveUpKey0123secret';
    const camera = await publishCamera(`rtmp://127.0.0.1:${relay.port}/live/${key}`, {
      audio: false,
      reconnect: { retries: 2, initialDelayMs: 50, factor: 2, jitter: 0 },
    });
    const reconnecting: ReconnectingEvent[] = [];
    camera.on('reconnecting', (event: ReconnectingEvent) => reconnecting.push(event));
    const failed = new Promise<RtmpError>((resolve) => camera.once('error', resolve));
    relay.close(); // the connection is cut and the port refuses from now on
    await writeUntil(camera, failed);
    const error = await failed;
    assert.equal(error.code, ErrorCodes.CONNECT_REFUSED, error.message);
    assert.deepEqual(reconnecting.map((e) => [e.attempt, e.delayMs]), [[1, 50], [2, 100]]);
    await assert.rejects(camera.writeVideo(frames.video[0]), (e: unknown) => e === error);
    assert.ok(!`${error.message} ${error.stack} ${JSON.stringify(reconnecting)}`.includes(key));
    assert.equal(camera.stats().reconnects, 0);
    await camera.close();
  });

  test('close() during the backoff stops retrying', { timeout: 60_000 }, async () => {
    const relay = await startThrottledRelay(nginx.port, 1e9);
    const camera = await publishCamera(`rtmp://127.0.0.1:${relay.port}/live/closeDuringBackoff`, {
      audio: false,
      reconnect: { initialDelayMs: 60_000 },
    });
    const reconnecting = new Promise<ReconnectingEvent>((resolve) => camera.once('reconnecting', resolve));
    let reconnected = false;
    camera.on('reconnected', () => (reconnected = true));
    relay.close();
    await writeUntil(camera, reconnecting);
    assert.equal((await reconnecting).delayMs, 60_000);
    const started = performance.now();
    await camera.close();
    // The retry is 60 s away: half of that is room for any loaded machine, and still far from it.
    assert.ok(performance.now() - started < 30_000, 'close() does not wait for the retry');
    await assert.rejects(camera.writeVideo(frames.video[0]), (e: unknown) => e instanceof RtmpError && e.code === ErrorCodes.CLOSED);
    assert.equal(reconnected, false);
    assert.equal(camera.stats().connected, false);
    // A timer left behind would keep this test file's process alive past its end.
  });
});
