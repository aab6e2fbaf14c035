'use strict';
// A Node process that does nothing but sample its own event loop as the camera client does,
// run beside each client of the camera workload. Its delay is what the machine alone does to
// a timer's wake-up while the feeder, nginx, the TLS front and the client share the cores;
// a client's delay beyond it is the client's own. (The client's idle baseline, taken before
// it connects, cannot show that contention: nothing else runs yet.)
//
//   node event-loop-bystander.js      samples until its stdin ends, then prints one JSON line

const { watchEventLoop, CAMERA_SAMPLE_MS } = require('../lib/event-loop');

const loop = watchEventLoop(CAMERA_SAMPLE_MS);
process.stdin.resume();
process.stdin.on('end', () => {
  process.stdout.write(`${JSON.stringify(loop.stop())}\n`);
  process.exit(0);
});
