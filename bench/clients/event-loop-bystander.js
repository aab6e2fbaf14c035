'use strict';
// A Node process that does nothing but sample its own event loop as the camera client does,
// run beside each client of the camera workload. Its delay is what the machine alone does to
// a timer's wake-up while the feeder, nginx, the TLS front and the client share the cores;
// a client's delay beyond it is the client's own. (The client's idle baseline, taken before
// it connects, cannot show that contention: nothing else runs yet.)
//
//   node event-loop-bystander.js      samples until its stdin ends, then prints one JSON line

const { watchEventLoop, CAMERA_SAMPLE_MS } = require('../lib/event-loop');

// Its own CPU over the window is what the sampling costs a Node process: the node-librtmp
// client pays the same for its sampler, which a camera application would not run.
const cpuFrom = process.cpuUsage();
const from = performance.now();
const loop = watchEventLoop(CAMERA_SAMPLE_MS);
process.stdin.resume();
process.stdin.on('end', () => {
  const summary = loop.stop();
  const { user, system } = process.cpuUsage(cpuFrom);
  const cpuSecondsPerHour = ((user + system) / 1e6 / ((performance.now() - from) / 1000)) * 3600;
  process.stdout.write(`${JSON.stringify({ ...summary, cpuSecondsPerHour })}\n`);
  process.exit(0);
});
