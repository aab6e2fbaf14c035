// The short soak (every fault kind once, shortened): a real-time RTMPS camera stream through
// publishCamera to two destinations, the first one's uplink shaped and faulted in a private
// network namespace. Hard assertions on counts: every frame reconciled, the healthy
// destination loses nothing, the faulted one recovers from each fault. `npm run soak` is the
// long run (see docs/RELIABILITY.md).
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

test('short soak: every fault kind once; the healthy destination loses nothing, the faulted one recovers and reconciles', { timeout: 118_000 }, async (t) => {
  const faults = buildSchedule(0, 7, true);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-soak-test-'));
  t.after(() => fs.rmSync(workDir, { recursive: true, force: true }));
  const input: SoakInput = { faults, runMs: scheduleEndMs(faults, true), destinations: 2, workDir, loopSeconds: 6 };
  const { result: report } = await runJsonChild<SoakReport>(CHILD, ['unshare', '--net', '--mount', '--'], input, { timeoutMs: 115_000 }, 'SIGTERM', ' (soak)');

  t.diagnostic(formatReport(report, 7));
  assert.deepEqual(new Set(report.faults.map((f) => f.kind)).size, 7, 'every fault kind ran');
  const [faulted, healthy] = report.destinations;
  for (const d of report.destinations) assertReconciled(d.stats);

  // The healthy destination: every frame due was written and recorded by its nginx. Only a
  // process starved of CPU for longer than the drop threshold (its frames then arrive in a
  // burst) may make the rules drop video there, and then no audio and nothing by disconnect.
  const h = healthy.stats;
  if (report.maxLoopDelayMs < 600) assert.equal(h.videoFramesSent, h.videoFramesIn, JSON.stringify(h));
  else assert.equal(h.videoFramesSent + h.droppedByReason['non-key'].videoFrames + h.droppedByReason['all-video'].videoFrames, h.videoFramesIn);
  assert.equal(h.audioFramesSent, h.audioFramesIn, JSON.stringify(h));
  assert.equal(healthy.received.video, h.videoFramesSent, 'every video frame it sent was recorded');
  assert.equal(healthy.received.audio, h.audioFramesSent, 'every audio frame it sent was recorded');
  assert.equal(h.reconnects, 0);
  assert.equal(healthy.sessions, 1);

  // The faulted one: each fault recovered from, and nothing received that was not sent.
  for (const fault of report.faults) assert.notEqual(fault.recoveryMs, null, `recovered from ${fault.kind}`);
  const f = faulted.stats;
  assert.ok(f.reconnects >= 4, `reconnected after the faults that cut its connection: ${f.reconnects}`);
  assert.equal(f.reconnectRequests, 1, 'the ReconnectRequest was acted on');
  assert.ok(faulted.received.video <= f.videoFramesSent && faulted.received.video > 0);
  assert.ok(faulted.received.audio <= f.audioFramesSent);
  assert.ok(faulted.sessions >= 5, `a recording per session: ${faulted.sessions}`);
  assert.equal(report.events.filter((e) => e.destination === 1).length, 0, 'no event about the healthy destination');
  assert.equal(report.events.filter((e) => e.name === 'failed' || e.name === 'error').length, 0);
  // Nothing grows with the faults: the process ends with the threads and descriptors it had.
  assert.ok(report.process.end.fds <= report.process.start.fds + 2, JSON.stringify(report.process));
});
