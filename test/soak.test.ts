// The short soak (every fault kind once, shortened): a real-time RTMPS camera stream through
// publishCamera to two destinations, the first one's uplink shaped and faulted in private
// network and mount namespaces (root, tc, nginx-rtmp, ffmpeg). Hard assertions on counts and
// events, none on durations: the healthy destination loses nothing, the faulted one recovers
// from each fault and reconciles every frame, no stream key reaches the report, and the
// process ends with the descriptors and threads it had. `npm run soak` is the long run (see
// docs/RELIABILITY.md).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runJsonChild } from './helpers/node-child';
import { assertReconciled } from './helpers/reconcile';
import type { SoakInput, SoakReport } from './soak/soak-child';
import { formatReport } from './soak/report';
import { buildSchedule, scheduleEndMs } from './soak/schedule';

const CHILD = path.join(__dirname, 'soak', 'soak-child.js');
const SEED = 7;

// About 85 s of real-time stream plus set-up and analysis: the file's whole budget.
test('short soak: every fault kind once; the healthy destination loses nothing, the faulted one recovers and reconciles', { timeout: 118_000 }, async (t) => {
  const faults = buildSchedule(0, SEED, true);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-soak-test-'));
  t.after(() => fs.rmSync(workDir, { recursive: true, force: true }));
  const input: SoakInput = { faults, runMs: scheduleEndMs(faults, true), destinations: 2, workDir, loopSeconds: 6 };
  const { result: report } = await runJsonChild<SoakReport>(CHILD, ['unshare', '--net', '--mount', '--'], input, { timeoutMs: 115_000 }, 'SIGTERM', ' (soak)');

  t.diagnostic(formatReport(report, SEED));
  assert.equal(new Set(report.faults.map((f) => f.kind)).size, 7, 'every fault kind ran');
  // Stream keys are made 'soakKey<i>x<random>' by the child: none may reach the report.
  assert.ok(!JSON.stringify(report).includes('soakKey'), 'no stream key in the report');
  const [faulted, healthy] = report.destinations;
  for (const d of report.destinations) assertReconciled(d.stats);

  // The healthy destination: every frame due was sent and recorded by its nginx (ffprobe of
  // the recording). Only a process starved of CPU longer than the queue's drop threshold
  // (its frames then arrive in a burst, measured as the longest event-loop delay) may make the
  // rules drop non-key video there; never audio, never by disconnect, and what was sent arrived.
  const h = healthy.stats;
  if (report.maxLoopDelayMs < 600) assert.equal(h.videoFramesSent, h.videoFramesIn, JSON.stringify(h));
  else assert.equal(h.videoFramesSent + h.droppedByReason['non-key'].videoFrames + h.droppedByReason['all-video'].videoFrames, h.videoFramesIn);
  assert.equal(h.audioFramesSent, h.audioFramesIn, JSON.stringify(h));
  assert.equal(healthy.received.video, h.videoFramesSent, 'every video frame it sent was recorded');
  assert.equal(healthy.received.audio, h.audioFramesSent, 'every audio frame it sent was recorded');
  assert.equal(h.reconnects, 0);
  assert.equal(healthy.sessions, 1);
  assert.equal(report.events.filter((e) => e.destination === 1).length, 0, 'no event about the healthy destination');

  // The faulted one: each fault kind recovered from (a frame written after the fault ended,
  // within the settle time that follows it: 15 s after a link outage for TCP's retransmission
  // backoff or the write timeout, then a reconnect; 7 s after the others; wide on purpose, the
  // bound is only "it came back before the next fault"), nothing received that was not sent.
  for (const fault of report.faults) assert.notEqual(fault.recoveryMs, null, `recovered from ${fault.kind}`);
  const f = faulted.stats;
  assert.ok(f.reconnects >= 4, `reconnected after the faults that cut its connection: ${f.reconnects}`);
  assert.equal(f.reconnectRequests, 1, 'the ReconnectRequest was acted on');
  assert.ok(faulted.received.video <= f.videoFramesSent && faulted.received.video > 0);
  assert.ok(faulted.received.audio <= f.audioFramesSent);
  assert.ok(faulted.sessions >= 5, `a recording per session: ${faulted.sessions}`);
  assert.equal(report.events.filter((e) => e.name === 'failed' || e.name === 'error').length, 0);

  // Nothing grows with the faults: the process ends with the descriptors and threads it had
  // (a little slack for a connection thread still winding down), and its memory stays within
  // a bound far above the queues' (their media-time bound is seconds of an 800 kbit/s stream).
  const p = report.process;
  assert.ok(p.end.fds <= p.start.fds + 2, JSON.stringify(p));
  assert.ok(p.end.threads <= p.start.threads + 2, JSON.stringify(p));
  assert.ok(p.max.rssMb <= p.start.rssMb + 150, JSON.stringify(p));
});
