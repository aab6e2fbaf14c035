// The pacer's rule (lib/media/pacer.ts; the native Pacer in file_sender.cc keeps the same):
// deadlines from one anchor, lateness never accumulates, a timestamp before the anchor's
// re-anchors. On a fake clock: no timing involved.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pacer } from '../lib/media/pacer';

test('deadlines come from one anchor; a late tick does not push the next deadline', () => {
  let now = 5000;
  const pacer = new Pacer(undefined, () => now);
  assert.equal(pacer.delayFor(100), 0, 'the first timestamp is due at once: it sets the anchor');
  assert.equal(pacer.delayFor(140), 40);
  now += 70; // woke 30 ms late
  assert.equal(pacer.delayFor(140), -30, 'overdue');
  assert.equal(pacer.delayFor(180), 10, 'the next one is still due at anchor + 80 ms');
});

test('a timestamp before the anchor re-anchors there (a spliced input going back)', () => {
  let now = 0;
  const pacer = new Pacer(undefined, () => now);
  pacer.delayFor(10_000);
  now = 1000;
  assert.equal(pacer.delayFor(11_000), 0);
  assert.equal(pacer.delayFor(500), 0, 'back in time: due now, and the new anchor');
  assert.equal(pacer.delayFor(540), 40, 'later tags count from the new anchor');
  assert.equal(pacer.delayFor(10_500), 10_000, 'not from the old one');
});

test('waitFor resolves at once when its signal aborts', async () => {
  const pacer = new Pacer(undefined, () => 0);
  pacer.delayFor(0);
  const controller = new AbortController();
  const waiting = pacer.waitFor(3_600_000, controller.signal);
  controller.abort();
  await waiting; // an hour of media away: only the abort can end it
});
