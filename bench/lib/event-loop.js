'use strict';
// Event-loop delay as the benchmark reports it. monitorEventLoopDelay records the interval
// between runs of a timer that is due every ELD_RESOLUTION_MS; the delay is that interval minus
// the period.

const ELD_RESOLUTION_MS = 1;

/** p50, p99 and max in milliseconds, from an (enabled, then disabled) histogram. */
function eventLoopSummary(histogram) {
  const ms = (ns) => Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS);
  return {
    p50Ms: ms(histogram.percentile(50)),
    p99Ms: ms(histogram.percentile(99)),
    maxMs: ms(histogram.max),
    samples: histogram.count,
  };
}

module.exports = { eventLoopSummary, ELD_RESOLUTION_MS };
