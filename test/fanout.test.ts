// Several destinations from one encode: the options refused before anything connects, and a
// real nginx-rtmp fed by two destinations of one camera, one of them stalled, cut and
// restored while the other goes on untouched — counted frame by frame, decoded by ffprobe.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ErrorCodes, RtmpError } from '../lib/index';
import {
  publishCamera,
  type DestinationDropEvent,
  type ReconnectedEvent,
  type ReconnectingEvent,
} from '../lib/media/reconnecting-publisher';
import { AAC_FRAME_MS, firstVideoPacket, publishPaced, type Frames } from './helpers/camera';
import { makeElementaryStreams, readStreams, type ElementaryStreams } from './helpers/elementary';
import { ffprobeFrames } from './helpers/media';
import { startNginx, type NginxServer } from './helpers/nginx';
import { LOOPBACK } from './helpers/ports';
import { assertReconciled } from './helpers/reconcile';
import { startSwitchableForwarder } from './helpers/switchable-forwarder';

describe('publishCamera({ destinations }) refuses bad lists before connecting', () => {
  test('empty, duplicate, malformed, conflicting: coded errors, no key, no connection', async (t) => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
    t.after(() => server.close());
    const { port } = server.address() as net.AddressInfo;
    const key = 'fanOutSecretKey0123';
    const url = (name: string): string => `rtmp://127.0.0.1:${port}/live/${key}${name}`;
    const cases: [unknown, string, RegExp][] = [
      [{ destinations: [] }, ErrorCodes.INVALID_ARG, /empty/],
      [{ destinations: 'rtmp://h/a/b' }, ErrorCodes.INVALID_ARG, /array/],
      [{}, ErrorCodes.INVALID_ARG, /URL or options.destinations/],
      [{ destinations: [url('a'), url('a')] }, ErrorCodes.INVALID_ARG, /destinations\[0\] and \[1\] are the same stream/],
      [{ destinations: [url('a'), `RTMP://127.0.0.1:${port}/live/${key}a`] }, ErrorCodes.INVALID_ARG, /same stream/],
      [{ destinations: [url('a'), { url: url('b'), rtmp: { playpath: `${key}a` } }] }, ErrorCodes.INVALID_ARG, /same stream/],
      [{ destinations: [url('a'), `http://127.0.0.1/live/${key}`] }, ErrorCodes.INVALID_URL, /^destinations\[1\]: /],
      [{ destinations: [url('a'), `rtmp://127.0.0.1:${port}/live`] }, ErrorCodes.INVALID_URL, /destinations\[1\].*no stream name/],
      [{ destinations: [url('a'), 42] }, ErrorCodes.INVALID_ARG, /destinations\[1\] must be a URL/],
      [{ destinations: [{ url: url('a'), videoCodec: 'hevc' }] }, ErrorCodes.INVALID_ARG, /videoCodec belongs to the encode/],
      [{ destinations: [{ url: url('a'), tiemout: 5 }] }, ErrorCodes.INVALID_ARG, /tiemout is not a destination option/],
      [{ destinations: [{ url: url('a'), reconnect: false, retryFirstConnection: true }] }, ErrorCodes.INVALID_ARG, /needs reconnect/],
      [{ destinations: [{ url: url('a'), dropThresholdMs: 2000 }] }, ErrorCodes.INVALID_ARG, /dropThresholdMs <= pframeDropThresholdMs/],
      [{ destinations: [{ url: url('a'), maxQueuedMs: -1 }] }, ErrorCodes.INVALID_ARG, /maxQueuedMs must be a positive/],
      [{ destinations: [{ url: url('a'), rtmp: { timeout: -1 } }] }, ErrorCodes.INVALID_ARG, /timeout/],
      [{ destinations: [url('a')], reconnect: { factor: 0.5 } }, ErrorCodes.INVALID_ARG, /reconnect.factor/],
      [{ destinations: [url('a')], reconnect: { retries: 1.5 } }, ErrorCodes.INVALID_ARG, /reconnect.retries/],
      [{ destinations: [{ url: url('a'), reconnect: { initialDelayMs: 'soon' } }] }, ErrorCodes.INVALID_ARG, /initialDelayMs/],
      [{ destinations: Array.from({ length: 17 }, (_, i) => url(String(i))) }, ErrorCodes.INVALID_ARG, /more than 16/],
    ];
    for (const [options, code, message] of cases) {
      await assert.rejects(publishCamera(options as never), (error: unknown) => {
        assert.ok(error instanceof RtmpError, String(error));
        assert.equal(error.code, code, error.message);
        assert.match(error.message, message);
        assert.ok(!`${error.message}${error.stack}`.includes(key), error.message);
        return true;
      });
    }
    await assert.rejects(publishCamera(url('a'), { destinations: [url('b')] }), { code: ErrorCodes.INVALID_ARG, message: /not both/ });
    assert.equal(connections, 0, 'nothing connected');
  });
});

describe('publishCamera({ destinations }) against nginx-rtmp', () => {
  let nginx: NginxServer;
  let tmp: string;
  let frames: Frames;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-fanout-'));
    let streams: ElementaryStreams;
    [nginx, streams] = await Promise.all([startNginx({ record: true }), makeElementaryStreams(tmp, 8)]);
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

  test('one destination stalled, cut and restored: the other loses nothing; the faulted one resumes at a keyframe', { timeout: 90_000 }, async (t) => {
    const forwarder = await startSwitchableForwarder(nginx.port);
    t.after(() => forwarder.close());
    const healthyKey = 'fanHealthyKey0123';
    const faultedKey = 'fanFaultedKey0123';
    const camera = await publishCamera({
      destinations: [nginx.url('live', healthyKey), { url: `rtmp://127.0.0.1:${forwarder.port}/live/${faultedKey}`, rtmp: { timeout: 3000 } }],
      reconnect: { initialDelayMs: 100, factor: 1.5, maxDelayMs: 400, jitter: 0, retries: 50 },
    });
    const events: { name: string; payload: unknown }[] = [];
    for (const name of ['reconnecting', 'reconnected', 'connected', 'drop', 'failed', 'error']) {
      camera.on(name, (payload: unknown) => events.push({ name, payload }));
    }
    // Stalled at 2 s, cut at 3 s, restored once the faulted destination has been refused twice.
    let stalled = false;
    let cut: Promise<void> | undefined;
    camera.on('reconnecting', (event: ReconnectingEvent) => {
      if (event.destination === 1 && event.attempt === 2) void cut?.then(() => forwarder.restore());
    });
    const reconnected = new Promise<ReconnectedEvent>((resolve) => camera.once('reconnected', resolve));
    await publishPaced(camera, frames, (mediaMs) => {
      if (mediaMs >= 2000 && !stalled) {
        stalled = true;
        forwarder.stall();
      }
      if (mediaMs >= 3000 && !cut) cut = forwarder.cut();
    });
    const { destination } = await reconnected;
    assert.equal(destination, 1);
    fs.rmSync(`${nginx.recordedFile(faultedKey)}.done`, { force: true });
    await camera.close();

    const [healthy, faulted] = camera.stats().destinations;
    for (const stats of [healthy, faulted]) assertReconciled(stats);
    // The healthy destination: every frame written, nothing dropped, no reconnect.
    assert.equal(healthy.videoFramesIn, frames.video.length);
    assert.equal(healthy.videoFramesSent, frames.video.length);
    assert.equal(healthy.audioFramesSent, frames.audio.length);
    assert.equal(healthy.reconnects, 0);
    assert.equal(healthy.droppedFrames + healthy.droppedAudioFrames + healthy.skippedVideoFrames, 0);
    const healthyProbe = await ffprobeFrames(await nginx.waitForRecording(healthyKey));
    assert.equal(healthyProbe.stderr, '');
    assert.equal(healthyProbe.video?.frames, frames.video.length, 'the healthy destination received every video frame');
    assert.equal(healthyProbe.audio?.frames, frames.audio.length, 'and every audio frame');

    // The faulted one: reconnected, lost frames only by its own counters, resumed at a keyframe.
    assert.ok(faulted.reconnects >= 1);
    assert.ok(faulted.videoFramesSent < frames.video.length);
    assert.ok(faulted.skippedVideoFrames + faulted.videoFramesLostInFlight + faulted.droppedByReason.disconnect.videoFrames > 0);
    const recording = await nginx.waitForRecording(faultedKey);
    const probe = await ffprobeFrames(recording);
    assert.equal(probe.stderr, '', 'the session after the reconnect decodes');
    assert.match((await firstVideoPacket(recording)).flags, /K/, 'it starts at a keyframe');
    assert.ok(probe.video && probe.video.frames > 0 && probe.video.frames === probe.video.packets);
    assert.ok((probe.audio?.frames ?? 0) > 0);

    const byDestination = (n: number): unknown[] => events.filter((e) => (e.payload as { destination?: number }).destination === n);
    assert.equal(byDestination(0).length, 0, `no event about the healthy destination: ${JSON.stringify(byDestination(0))}`);
    assert.ok(events.some((e) => e.name === 'reconnecting'));
    assert.ok(events.filter((e) => e.name === 'drop').every((e) => (e.payload as DestinationDropEvent).destination === 1));
    assert.equal(events.filter((e) => e.name === 'error' || e.name === 'failed').length, 0);
    const text = JSON.stringify(events) + JSON.stringify(camera.stats()) + camera.urls.join();
    assert.ok(!text.includes(healthyKey) && !text.includes(faultedKey), 'no stream key in events, stats or URLs');
  });

  test('a destination that gives up fails alone; writes fail once every destination has', { timeout: 60_000 }, async (t) => {
    const forwarder = await startSwitchableForwarder(nginx.port);
    t.after(() => forwarder.close());
    const camera = await publishCamera({
      destinations: [nginx.url('live', 'fanStays'), `rtmp://127.0.0.1:${forwarder.port}/live/fanGivesUp`],
      reconnect: { initialDelayMs: 50, factor: 1, jitter: 0, retries: 1 },
      audio: false,
    });
    const failed = new Promise<{ destination: number; code: string }>((resolve) => camera.once('failed', resolve));
    let errors = 0;
    camera.on('error', () => errors++);
    await forwarder.cut();
    const start = performance.now();
    let v = 0;
    let failure: { destination: number; code: string } | undefined;
    void failed.then((event) => (failure = event));
    // Until the faulted destination has given up, and 50 frames (2 s) more.
    let after = 0;
    while (v < frames.video.length && after < 50) {
      const due = start + frames.video[v].dts - performance.now();
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due)); // pacing, not synchronisation
      await camera.writeVideo(frames.video[v++]);
      if (failure) after++;
    }
    const event = await failed;
    assert.equal(event.destination, 1);
    assert.equal(event.code, ErrorCodes.CONNECT_REFUSED);
    assert.equal(errors, 0, 'the camera goes on with its other destination');
    await camera.close();
    const [stays, gaveUp] = camera.stats().destinations;
    assertReconciled(stays);
    assertReconciled(gaveUp);
    assert.equal(stays.videoFramesSent, v);
    assert.ok(gaveUp.videoFramesAfterFailure > 0);
    assert.equal(gaveUp.failed, true);
    assert.equal(stays.failed, false);
  });
});
