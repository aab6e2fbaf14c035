// Enhanced RTMP v2 ReconnectRequest against a scripted server: the camera finishes the GOP on
// the old connection, connects anew (to the server's tcUrl when given, same key) and resumes
// at the keyframe with the headers again and continuous timestamps — an event, not a failure.
// A server that repeats the request, or sends an invalid tcUrl, changes nothing beyond the bound.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ErrorCodes } from '../lib/index';
import { publishCamera, type ReconnectedEvent, type ReconnectRequestedEvent, type ReconnectingPublisher } from '../lib/media/reconnecting-publisher';
import { AAC_FRAME_MS, publishPaced, type Frames } from './helpers/camera';
import { makeElementaryStreams, readStreams } from './helpers/elementary';
import { assertReconciled } from './helpers/reconcile';
import { startReconnectRequestServer, type ReceivedMessage } from './helpers/reconnect-request-server';

const isVideoHeader = (m: ReceivedMessage): boolean => m.type === 'video' && m.head[1] === 0;
const isAudioHeader = (m: ReceivedMessage): boolean => m.type === 'audio' && m.head[1] === 0;
const isVideoFrame = (m: ReceivedMessage): boolean => m.type === 'video' && m.head[1] === 1;
const isAudioFrame = (m: ReceivedMessage): boolean => m.type === 'audio' && m.head[1] === 1;
const isKeyframe = (m: ReceivedMessage): boolean => isVideoFrame(m) && m.head[0] >> 4 === 1;

/** What a session that starts (again) must look like: metadata and both headers, then video from a keyframe. */
function assertStartsClean(media: ReceivedMessage[]): void {
  const firstFrame = media.findIndex((m) => isVideoFrame(m) || isAudioFrame(m));
  const head = media.slice(0, firstFrame);
  assert.ok(head.some((m) => m.type === 'script'), 'onMetaData first');
  assert.ok(head.some(isVideoHeader) && head.some(isAudioHeader), 'both sequence headers before any frame');
  assert.ok(isKeyframe(media.find(isVideoFrame) as ReceivedMessage), 'video starts at a keyframe');
}

function record(camera: ReconnectingPublisher): { name: string; payload: unknown }[] {
  const events: { name: string; payload: unknown }[] = [];
  for (const name of ['reconnectRequest', 'reconnecting', 'reconnected', 'drop', 'failed', 'error']) {
    camera.on(name, (payload: unknown) => events.push({ name, payload }));
  }
  return events;
}

describe('Enhanced RTMP ReconnectRequest', () => {
  let tmp: string;
  let frames: Frames;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-reconnect-request-'));
    const streams = await makeElementaryStreams(tmp, 4);
    const { units, adtsFrames } = readStreams(streams);
    const shift = -Math.min(0, ...streams.videoTimes.map((t) => t.dts));
    frames = {
      video: units.map((data, i) => ({ data, pts: streams.videoTimes[i].pts + shift, dts: streams.videoTimes[i].dts + shift })),
      audio: adtsFrames.map((data, i) => ({ data, pts: Math.round(i * AAC_FRAME_MS) + shift })),
    };
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('without a tcUrl: the same server again, resumed at the next keyframe, timestamps continuous', { timeout: 60_000 }, async (t) => {
    // On the first connection only, after its 40th media message.
    const server = await startReconnectRequestServer((connection, index) => (connection === server.connections[0] && index === 40 ? '' : undefined));
    t.after(() => server.close());
    const key = 'requestKey0123secret';
    const camera = await publishCamera(server.url(key), { reconnect: { initialDelayMs: 100 } });
    const events = record(camera);
    await publishPaced(camera, frames);
    await server.waitFor(() => server.connections.length === 2 && server.connections[1].media.length > 10);
    await camera.close();

    assert.equal(server.connections.length, 2);
    const [old, renewed] = server.connections;
    assert.ok(old.closed, 'the old connection was closed');
    assertStartsClean(renewed.media);
    // Continuous: the new session goes on from where the old one stopped, at the first keyframe after it.
    const oldLast = Math.max(...old.media.filter(isVideoFrame).map((m) => m.timestamp));
    const resumedAt = (renewed.media.find(isVideoFrame) as ReceivedMessage).timestamp;
    assert.ok(resumedAt > oldLast, `resumed at ${resumedAt} ms after ${oldLast} ms`);
    const stats = camera.stats().destinations[0];
    assertReconciled(stats);
    // The switch happens at a keyframe: nothing waits for one; at most what was still queued
    // for the old connection (less than a GOP, 25 frames) is dropped.
    assert.equal(stats.skippedVideoFrames, 0);
    assert.ok(stats.droppedByReason.disconnect.videoFrames < 25, JSON.stringify(stats.droppedByReason));
    // Every video frame reached one of the two sessions or is counted as dropped.
    const received = old.media.filter(isVideoFrame).length + renewed.media.filter(isVideoFrame).length;
    assert.equal(received, stats.videoFramesSent);
    assert.equal(stats.videoFramesSent + stats.droppedByReason.disconnect.videoFrames + stats.skippedVideoFrames, frames.video.length);

    assert.deepEqual(events.map((e) => e.name).filter((n) => n !== 'drop'), ['reconnectRequest', 'reconnected']);
    assert.deepEqual(events[0].payload, { destination: 0, url: camera.url, accepted: true });
    const reconnected = events.find((e) => e.name === 'reconnected')?.payload as ReconnectedEvent;
    assert.equal(reconnected.requested, true);
    assert.equal(stats.reconnectRequests, 1);
    assert.ok(!JSON.stringify(events).includes(key));
  });

  test('with a tcUrl: the stream moves to the new server with the same key', { timeout: 60_000 }, async (t) => {
    const next = await startReconnectRequestServer(() => undefined);
    t.after(() => next.close());
    const newTcUrl = `rtmp://127.0.0.1:${next.port}/live`;
    const first = await startReconnectRequestServer((connection, index) => (index === 40 ? newTcUrl : undefined));
    t.after(() => first.close());
    const key = 'movingKey0123secret';
    const camera = await publishCamera(first.url(key), { reconnect: { initialDelayMs: 100 } });
    const events = record(camera);
    await publishPaced(camera, frames);
    await next.waitFor(() => next.connections.length === 1 && next.connections[0].media.length > 10);
    await camera.close();
    assert.equal(first.connections.length, 1);
    assert.ok(first.connections[0].closed);
    assert.equal(next.connections[0].tcUrl, newTcUrl);
    assertStartsClean(next.connections[0].media);
    assertReconciled(camera.stats().destinations[0]);
    const request = events.find((e) => e.name === 'reconnectRequest')?.payload as ReconnectRequestedEvent;
    assert.deepEqual(request, { destination: 0, url: camera.url, accepted: true, tcUrl: newTcUrl });
    assert.equal(events.filter((e) => e.name === 'reconnecting' || e.name === 'error').length, 0);
  });

  test('a server repeating the request: acted on once per requestIntervalMs, never a loop', { timeout: 60_000 }, async (t) => {
    // After every media message, on every connection.
    const server = await startReconnectRequestServer(() => '');
    t.after(() => server.close());
    const camera = await publishCamera(server.url('hostileRepeat'), { reconnect: { initialDelayMs: 100, requestIntervalMs: 60_000 } });
    const events = record(camera);
    await publishPaced(camera, frames);
    await camera.close();
    const stats = camera.stats().destinations[0];
    assert.equal(server.connections.length, 2, 'one reconnect, however often the server asked');
    assert.equal(stats.reconnectRequests, 1);
    assert.ok(stats.reconnectRequestsIgnored > 20, `${stats.reconnectRequestsIgnored} ignored`);
    const requests = events.filter((e) => e.name === 'reconnectRequest').map((e) => e.payload as ReconnectRequestedEvent);
    assert.deepEqual(
      requests.map((r) => [r.accepted, r.reason]),
      [[true, undefined], [false, 'pending']],
      'one event per interval for the ignored ones',
    );
    assertReconciled(stats);
  });

  test('an invalid tcUrl is a coded error and the old connection goes on', { timeout: 60_000 }, async (t) => {
    const invalid = ['http://127.0.0.1/live', 'rtmpe://127.0.0.1:1935/live', 'rtmp://', 'rtmp://127.0.0.1/live/a/b/c', `rtmp://127.0.0.1/${'x'.repeat(2000)}`];
    const server = await startReconnectRequestServer((connection, index) => (index % 20 === 19 ? invalid[(index - 19) / 20] : undefined));
    t.after(() => server.close());
    const camera = await publishCamera(server.url('invalidTcUrl'), { reconnect: { initialDelayMs: 100, requestIntervalMs: 0 } });
    const events = record(camera);
    await publishPaced(camera, frames);
    await camera.close();
    assert.equal(server.connections.length, 1, 'never reconnected');
    const [only] = server.connections;
    assert.equal(only.requestsAfter.length, invalid.length);
    assert.ok(only.media.length > (only.requestsAfter.at(-1) ?? 0) + 10, 'media kept flowing after the last request');
    const requests = events.filter((e) => e.name === 'reconnectRequest').map((e) => e.payload as ReconnectRequestedEvent);
    assert.equal(requests.length, invalid.length);
    for (const request of requests) {
      assert.equal(request.accepted, false);
      assert.equal(request.reason, ErrorCodes.INVALID_URL);
      assert.equal(request.error?.code, ErrorCodes.INVALID_URL);
    }
    const stats = camera.stats().destinations[0];
    assert.equal(stats.reconnectRequests, 0);
    assert.equal(stats.reconnectRequestsIgnored, invalid.length);
    assert.equal(stats.videoFramesSent, frames.video.length, 'nothing lost');
    assert.equal(events.filter((e) => ['reconnecting', 'reconnected', 'error'].includes(e.name)).length, 0);
  });
});
