// The frame count every destination must balance: each frame it was handed went out, was
// dropped by a named rule, was skipped waiting for a keyframe or was lost with a connection.
import assert from 'node:assert/strict';
import type { DestinationStats } from '../../lib/media/reconnecting-publisher';

/** Every frame a destination was handed is accounted for by exactly one of its counters. */
export function assertReconciled(stats: DestinationStats): void {
  const dropped = Object.values(stats.droppedByReason);
  const video =
    stats.videoFramesSent + stats.skippedVideoFrames + stats.videoFramesLostInFlight + stats.videoFramesAfterFailure +
    dropped.reduce((n, d) => n + d.videoFrames, 0);
  const audio =
    stats.audioFramesSent + stats.audioFramesLostInFlight + stats.audioFramesAfterFailure + dropped.reduce((n, d) => n + d.audioFrames, 0);
  assert.equal(stats.queuedTags, 0, 'nothing left queued');
  assert.equal(video, stats.videoFramesIn, `video reconciles: ${JSON.stringify(stats)}`);
  assert.equal(audio, stats.audioFramesIn, `audio reconciles: ${JSON.stringify(stats)}`);
}
