'use strict';
// Event-loop delay as the benchmark reports it, and what explains it. monitorEventLoopDelay
// records the interval between runs of a timer that is due every ELD_RESOLUTION_MS; the
// delay is that interval minus the period. A late timer means either that the loop was busy
// (JavaScript, GC: event-loop utilisation says how much) or that the thread was ready and
// waited for a CPU (the kernel's run-queue delay for the thread, from
// /proc/thread-self/schedstat).

const fs = require('node:fs');
const { monitorEventLoopDelay, performance } = require('node:perf_hooks');

const ELD_RESOLUTION_MS = 1;
// The camera workload's sampling period, in its client and its bystander alike: at 1 ms the
// sampler's own timer would be most of a camera client's wake-ups and a good part of its CPU.
const CAMERA_SAMPLE_MS = 20;

// Nanoseconds on a CPU, nanoseconds ready but waiting for one, times run: of the calling thread.
function schedstat() {
  const [runNs, waitNs, slices] = fs.readFileSync('/proc/thread-self/schedstat', 'utf8').trim().split(/\s+/).map(Number);
  return { runNs, waitNs, slices };
}

/**
 * Starts watching this (the main) thread's event loop; stop() returns the summary. A coarser
 * `resolutionMs` samples less often (the sampling timer wakes the thread each period).
 */
function watchEventLoop(resolutionMs = ELD_RESOLUTION_MS) {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  const utilization = performance.eventLoopUtilization();
  const sched = schedstat();
  histogram.enable();
  return {
    stop() {
      histogram.disable();
      const busy = performance.eventLoopUtilization(utilization);
      const now = schedstat();
      const ms = (ns) => Math.max(0, ns / 1e6 - resolutionMs);
      const wakeups = now.slices - sched.slices;
      return {
        p50Ms: ms(histogram.percentile(50)),
        p99Ms: ms(histogram.percentile(99)),
        maxMs: ms(histogram.max),
        samples: histogram.count,
        busyPercent: busy.utilization * 100,
        cpuWaitMs: (now.waitNs - sched.waitNs) / 1e6,
        wakeups,
      };
    },
  };
}

module.exports = { watchEventLoop, ELD_RESOLUTION_MS, CAMERA_SAMPLE_MS };
