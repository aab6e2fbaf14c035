// connection.sendFile(): an FLV file read, parsed and sent by the connection thread. What
// nginx-rtmp records must be the file's tags byte for byte and decode in ffprobe; faults of
// the file are coded and leave the connection usable; an abort ends a send that cannot finish.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { connect, ErrorCodes, publish, type RtmpConnection } from '../lib/index';
import { encodeFlvHeader, encodeTag, FlvParser, type FlvTag } from '../lib/flv';
import { isSequenceHeader } from '../lib/flv-tags';
import { makeTestPki, type TestPki } from './helpers/certs';
import { expectRtmpError } from './helpers/expect-error';
import { AV_FLV, avFacts } from './helpers/fixtures';
import { ffprobeFrames } from './helpers/media';
import { startNginx, type NginxServer } from './helpers/nginx';
import { openFds, threadPolicy, threadsNamed, waitForThreadNamed } from './helpers/process-state';
import { startScriptedPublishServer } from './helpers/scripted-publish-server';
import { startThrottledRelay } from './helpers/throttled-relay';

const run = promisify(execFile);

function tagsOf(file: string): FlvTag[] {
  return new FlvParser().push(fs.readFileSync(file));
}

// Coded audio and video frames, times relative to the first. (nginx's recorder writes the
// sequence headers it keeps for the stream, an AAC one twice, so those are compared apart.)
function frames(tags: FlvTag[]): { type: string; timestamp: number; data: Buffer }[] {
  const av = tags.filter((tag) => tag.type !== 'script' && !isSequenceHeader(tag));
  return av.map((tag) => ({ type: tag.type, timestamp: tag.timestamp - av[0].timestamp, data: tag.data }));
}

function assertSameMedia(recorded: FlvTag[], sent: FlvTag[]): void {
  for (const header of sent.filter(isSequenceHeader)) {
    assert.ok(recorded.some((tag) => tag.type === header.type && tag.data.equals(header.data)), `the ${header.type} sequence header`);
  }
  const [got, want] = [frames(recorded), frames(sent)];
  assert.equal(got.length, want.length, 'as many audio and video frames as the file holds');
  got.forEach((tag, i) => {
    assert.equal(tag.type, want[i].type, `tag ${i} type`);
    assert.equal(tag.timestamp, want[i].timestamp, `tag ${i} timestamp`);
    assert.ok(tag.data.equals(want[i].data), `tag ${i} bytes`);
  });
}

describe('sendFile()', () => {
  let nginx: NginxServer;
  let pki: TestPki;
  let tmp: string;
  // Keyframes of noise, each larger than the 256 KB slices the connection thread reads.
  let bigFrames: string;
  // ~25 MB: far more than the socket buffers between a connection thread and a stalled relay.
  let repeated: string;
  before(async () => {
    pki = await makeTestPki();
    nginx = await startNginx({ record: true, maxMessage: '4M', tls: { cert: pki.server.certPath, key: pki.server.keyPath } });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-sendfile-'));
    bigFrames = path.join(tmp, 'big-frames.flv');
    await run('ffmpeg', [
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=0.4,noise=alls=100:allf=t',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-g', '1', '-f', 'flv', bigFrames,
    ]);
    repeated = path.join(tmp, 'repeated.flv');
    const one = fs.readFileSync(bigFrames);
    fs.writeFileSync(repeated, Buffer.concat([one, ...Array.from({ length: 4 }, () => one.subarray(13))]));
  });
  after(async () => {
    await nginx.stop();
    pki.remove();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('publishes every tag of the file; the recording decodes and matches byte for byte', async () => {
    const sent = tagsOf(AV_FLV);
    const pub = await publish(nginx.url('live', 'whole'));
    const result = await pub.sendFile(AV_FLV);
    assert.equal(result.tags, sent.length);
    // onMetaData gains the 16-byte @setDataFrame prefix.
    assert.equal(result.bytes, sent.reduce((n, tag) => n + tag.data.length, 0) + 16);
    assert.equal(pub.stats().messagesOut, sent.length);
    await pub.close();
    const recording = await nginx.waitForRecording('whole');
    assertSameMedia(tagsOf(recording), sent);
    const probe = await ffprobeFrames(recording);
    assert.equal(probe.video?.frames, avFacts.video.frames);
    assert.equal(probe.audio?.frames, avFacts.audio.frames);
  });

  test('tags larger than its read slices arrive whole', async () => {
    const sent = tagsOf(bigFrames);
    const video = sent.filter((tag) => tag.type === 'video' && tag.data.length > 256 * 1024);
    assert.ok(video.length >= 5, `${video.length} frames over 256 KB`);
    const pub = await publish(nginx.url('live', 'big'));
    assert.equal((await pub.sendFile(pathToFileURL(bigFrames))).tags, sent.length);
    await pub.close();
    const recording = await nginx.waitForRecording('big');
    assertSameMedia(tagsOf(recording), sent);
    const probe = await ffprobeFrames(recording);
    assert.equal(probe.video?.frames, 10);
    assert.equal(probe.stderr, '');
  });

  test('over RTMPS and in the background, a file without the FLV header (bare tags) goes out the same', async () => {
    const bare = path.join(tmp, 'bare.flv');
    fs.writeFileSync(bare, fs.readFileSync(AV_FLV).subarray(13));
    const pub = await publish(nginx.url('live', 'secure', 'rtmps', 'localhost'), { tls: { ca: pki.ca.cert } });
    assert.equal(pub.tlsInfo()?.authorized, true);
    await pub.sendFile(bare, { background: true });
    await pub.close();
    const recording = await nginx.waitForRecording('secure');
    assertSameMedia(tagsOf(recording), tagsOf(AV_FLV));
    assert.equal((await ffprobeFrames(recording)).video?.frames, avFacts.video.frames);
  });

  test('a file that cannot be opened fails with ERR_FILE; the connection still publishes', async () => {
    const pub = await publish(nginx.url('live', 'afterMissing'));
    // Taken with the connection open: a process's first connection also opens lazy, lasting fds.
    const fds = openFds();
    const errorEvents: unknown[] = [];
    pub.on('error', (error) => errorEvents.push(error));
    const missing = await expectRtmpError(pub.sendFile(path.join(tmp, 'no-such.flv')), ErrorCodes.FILE);
    assert.equal(missing.errno, os.constants.errno.ENOENT);
    assert.match(missing.message, /no-such\.flv: No such file/);
    assert.match(missing.stack ?? '', /send-file\.test/, "the caller's stack");
    const directory = await expectRtmpError(pub.sendFile(tmp), ErrorCodes.FILE);
    assert.equal(directory.errno, os.constants.errno.EISDIR);
    assert.equal(pub.closed, false);
    assert.deepEqual(errorEvents, [], "a bad file is the caller's fault, not the connection's: no 'error' event");
    assert.equal(openFds(), fds, 'the failed opens left no descriptor behind');
    await pub.sendFile(AV_FLV);
    await pub.close();
    assert.equal((await ffprobeFrames(await nginx.waitForRecording('afterMissing'))).video?.frames, avFacts.video.frames);
  });

  test('a file that ends inside a tag: the whole tags before it are sent, then ERR_FLV_PARSE with the offset', async () => {
    const bytes = fs.readFileSync(AV_FLV);
    const sent = tagsOf(AV_FLV);
    // Cut the file in the middle of tag 100's body.
    let at = 13;
    for (const tag of sent.slice(0, 100)) at += 11 + tag.data.length + 4;
    const truncated = path.join(tmp, 'truncated.flv');
    fs.writeFileSync(truncated, bytes.subarray(0, at + 11 + 5));
    const pub = await publish(nginx.url('live', 'cut'));
    const error = await expectRtmpError(pub.sendFile(truncated), ErrorCodes.FLV_PARSE);
    assert.match(error.message, new RegExp(`truncated\\.flv at byte ${at}: the file ends inside a tag`));
    assert.equal(pub.stats().messagesOut, 100);
    await pub.close();
    assertSameMedia(tagsOf(await nginx.waitForRecording('cut')), sent.slice(0, 100));
  });

  test('an unknown tag type is ERR_FLV_PARSE; a header too short is too', async () => {
    const badType = path.join(tmp, 'bad-type.flv');
    const tag = encodeTag({ type: 'audio', timestamp: 0, data: Buffer.from([0xaf, 0x01, 0x21]) });
    fs.writeFileSync(badType, Buffer.concat([encodeFlvHeader(), tag, Buffer.from([7]), tag.subarray(1)]));
    const shortHeader = path.join(tmp, 'short-header.flv');
    fs.writeFileSync(shortHeader, Buffer.from('FLV\x01\x05', 'latin1'));
    const pub = await publish(nginx.url('live', 'badType'));
    const error = await expectRtmpError(pub.sendFile(badType), ErrorCodes.FLV_PARSE);
    assert.match(error.message, new RegExp(`at byte ${13 + tag.length}: unknown FLV tag type 7`));
    assert.equal(pub.stats().messagesOut, 1);
    await expectRtmpError(pub.sendFile(shortHeader), ErrorCodes.FLV_PARSE);
    await pub.close();
  });

  // A publisher connected through a relay that has stopped reading from it: a send of
  // `repeated` blocks once the socket buffers are full.
  async function withStalledPublisher(name: string, body: (pub: RtmpConnection) => Promise<void>): Promise<void> {
    const relay = await startThrottledRelay(nginx.port, 10 * 1024 * 1024);
    try {
      const pub = await publish(`rtmp://127.0.0.1:${relay.port}/live/${name}`, { timeout: 60_000 });
      relay.stall();
      await body(pub);
    } finally {
      relay.close();
    }
  }

  test('an AbortSignal ends a send the server stopped reading, and destroys the connection', async () => {
    await withStalledPublisher('stalled', async (pub) => {
      const controller = new AbortController();
      const sending = pub.sendFile(repeated, { signal: controller.signal });
      const closed = new Promise((resolve) => pub.once('close', resolve));
      setImmediate(() => controller.abort());
      await expectRtmpError(sending, ErrorCodes.ABORTED);
      await closed;
      assert.equal(pub.closed, true);
      assert.ok(pub.stats().bytesOut < fs.statSync(repeated).size, 'it did not finish');
    });
  });

  test('background: true sends from a SCHED_IDLE helper thread that ends with the send', async () => {
    await withStalledPublisher('idle', async (pub) => {
      const controller = new AbortController();
      const sending = pub.sendFile(repeated, { background: true, signal: controller.signal });
      const helper = await waitForThreadNamed('librtmp-bulk');
      assert.equal(threadPolicy(helper), 5, 'SCHED_IDLE');
      assert.equal(threadPolicy(await waitForThreadNamed('librtmp-conn')), 0, 'the connection thread keeps its priority');
      controller.abort();
      await expectRtmpError(sending, ErrorCodes.ABORTED);
      assert.equal(threadsNamed('librtmp-bulk'), 0);
    });
  });

  test('realtime: each tag leaves when its timestamp comes due', async () => {
    const all = tagsOf(AV_FLV);
    const prefix = all.slice(0, all.findIndex((tag) => tag.timestamp > 2500));
    const file = path.join(tmp, 'first-2.5s.flv');
    fs.writeFileSync(file, Buffer.concat([encodeFlvHeader(), ...prefix.map(encodeTag)]));
    const url = nginx.url('live', 'paced');
    const player = await connect(url, { live: true });
    const arrivals: { timestamp: number; at: number }[] = [];
    const played = (async () => {
      for await (const tag of player.tags()) if (tag.type !== 'script') arrivals.push({ timestamp: tag.timestamp, at: performance.now() });
    })();
    const pub = await publish(url);
    const started = performance.now();
    assert.equal((await pub.sendFile(file, { realtime: true })).tags, prefix.length);
    const elapsed = performance.now() - started;
    await pub.close();
    await played;
    await player.close();
    const span = prefix.at(-1)!.timestamp - prefix[0].timestamp;
    assert.ok(elapsed >= span - 50, `sent in ${elapsed.toFixed(0)} ms, the file spans ${span} ms`);
    // As a player saw it: no tag long before its time (flat out, all would arrive at once).
    assert.ok(arrivals.length > 100, `${arrivals.length} tags played`);
    for (const { timestamp, at } of arrivals) {
      const early = timestamp - arrivals[0].timestamp - (at - arrivals[0].at);
      assert.ok(early < 200, `the tag at ${timestamp} ms arrived ${early.toFixed(0)} ms early`);
    }
  });

  test('realtime: in a 3 s gap between tags the server is still answered (a ping, then the next tag)', async () => {
    const aac = (timestamp: number, data: number[]): Buffer => encodeTag({ type: 'audio', timestamp, data: Buffer.from(data) });
    const file = path.join(tmp, 'gap.flv');
    // AAC-LC 44.1 kHz stereo configuration, then a frame at 0 and one at 3 s.
    fs.writeFileSync(file, Buffer.concat([encodeFlvHeader({ audio: true, video: false }), aac(0, [0xaf, 0, 0x12, 0x10]), aac(0, [0xaf, 1, 0x21, 0x10, 0x04]), aac(3000, [0xaf, 1, 0x21, 0x10, 0x05])]));
    // Once media flows, the server sends a Window Acknowledgement Size and a ping.
    const server = await startScriptedPublishServer({ csid: 2, type: 5, timestamp: 0, streamId: 0, payload: Buffer.from([0, 0x26, 0x25, 0xa0]) });
    try {
      const pub = await publish(server.url);
      const started = performance.now();
      const sending = pub.sendFile(file, { realtime: true });
      await server.pong;
      const pongAfter = performance.now() - started;
      assert.equal((await sending).tags, 3);
      assert.ok(performance.now() - started >= 2950, 'the last tag waited for its time');
      assert.ok(pongAfter < 2000, `answered ${pongAfter.toFixed(0)} ms in, not when the next tag went out at 3 s`);
      await pub.close();
    } finally {
      await server.close();
    }
  });

  test('realtime: `stop` ends the send gracefully; the recording holds exactly what was sent', async () => {
    const url = nginx.url('live', 'stopped');
    const player = await connect(url, { live: true });
    const pub = await publish(url);
    const stop = new AbortController();
    const sending = pub.sendFile(AV_FLV, { realtime: true, stop: stop.signal });
    // Stop once a player has seen a second of it.
    for await (const tag of player.tags()) if (tag.timestamp >= 1000) break;
    const stoppedAt = performance.now();
    stop.abort();
    const result = await sending;
    // Unstopped, the send would run to the end of the file, 9 s of media more.
    assert.ok(performance.now() - stoppedAt < 5000, 'the wait for the next tag ended');
    assert.equal(result.stopped, true);
    const sent = tagsOf(AV_FLV);
    assert.ok(result.tags > 10 && result.tags < sent.length / 2, `${result.tags} of ${sent.length} tags`);
    assert.equal(pub.closed, false);
    await pub.close();
    await player.close();
    assertSameMedia(tagsOf(await nginx.waitForRecording('stopped')), sent.slice(0, result.tags));
  });

  test('`stop` already aborted: nothing is sent and the connection carries on', async () => {
    const pub = await publish(nginx.url('live', 'stoppedFirst'));
    const result = await pub.sendFile(AV_FLV, { stop: AbortSignal.abort() });
    assert.deepEqual(result, { bytes: 0, tags: 0, stopped: true });
    assert.equal((await pub.sendFile(AV_FLV)).stopped, false);
    await pub.close();
    assert.equal((await ffprobeFrames(await nginx.waitForRecording('stoppedFirst'))).video?.frames, avFacts.video.frames);
  });

  test('realtime: an AbortSignal ends the wait for the next tag at once', async () => {
    const pub = await publish(nginx.url('live', 'pacedAbort'));
    const controller = new AbortController();
    const sending = pub.sendFile(AV_FLV, { realtime: true, signal: controller.signal });
    await new Promise<void>((resolve) => {
      const check = (): void => void (pub.stats().messagesOut > 0 ? resolve() : setImmediate(check));
      check();
    });
    const aborted = performance.now();
    controller.abort();
    await expectRtmpError(sending, ErrorCodes.ABORTED);
    // The file spans 10 s; the wait ends with the abort, not with the file.
    assert.ok(performance.now() - aborted < 5000, `${(performance.now() - aborted).toFixed(0)} ms after the abort`);
  });

  test('bad arguments are ERR_INVALID_ARG; a player cannot send a file; a closed publisher refuses', async () => {
    const pub = await publish(nginx.url('live', 'args'));
    for (const bad of ['', 'a\0b', 42, undefined] as unknown[]) {
      await expectRtmpError(pub.sendFile(bad as string), ErrorCodes.INVALID_ARG);
    }
    await expectRtmpError(pub.sendFile(AV_FLV, { background: 'yes' as unknown as boolean }), ErrorCodes.INVALID_ARG);
    await expectRtmpError(pub.sendFile(AV_FLV, { realtime: 1 as unknown as boolean }), ErrorCodes.INVALID_ARG);
    await expectRtmpError(pub.sendFile(AV_FLV, { stop: true as unknown as AbortSignal }), ErrorCodes.INVALID_ARG);
    await pub.close();
    await expectRtmpError(pub.sendFile(AV_FLV), ErrorCodes.CLOSED);
    const playUrl = nginx.url('live', 'args-play');
    const source = await publish(playUrl);
    const player = await connect(playUrl, { live: true });
    await expectRtmpError(player.sendFile(AV_FLV), ErrorCodes.INVALID_ARG);
    await player.close();
    await source.close();
  });
});
