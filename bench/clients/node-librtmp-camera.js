'use strict';
// The camera workload's node-librtmp client: what an application on a camera does with the
// library. publishCamera() to the URL, the encoder's H.264 Annex-B and AAC ADTS pipes read
// with readAccessUnits() / readAdtsFrames(), each unit written as it arrives with the
// timestamp its position gives (the pipes are paced by the bench, as an encoder paces them).
//
//   node node-librtmp-camera.js <url> <video-pipe> <audio-pipe> --fps 30 [--ciphers LIST]
//        [--ca pem-file] [--coalesce-ms N] [--package dir]
//
// Prints {"phase":"publishing"} once connected, then one JSON line of results at the end.

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { watchEventLoop } = require('../lib/event-loop');

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    fps: { type: 'string', default: '30' },
    ciphers: { type: 'string' },
    ca: { type: 'string' },
    'coalesce-ms': { type: 'string' },
    package: { type: 'string', default: path.join(__dirname, '..', '..') },
  },
});
const [url, videoPipe, audioPipe] = positionals;
const { publishCamera, readAccessUnits, readAdtsFrames } = require(path.join(path.resolve(opts.package), 'dist', 'lib', 'index.js'));

const print = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
// The delay sampler's own timer wakes the thread every period: at 1 ms it would be most of
// the process's wake-ups and a good part of its CPU, so a camera-like 20 ms.
const LOOP_SAMPLE_MS = 20;
const IDLE_BASELINE_MS = 3000;

async function main() {
  const tls = { maxVersion: 'TLSv1.2' };
  if (opts.ciphers) tls.ciphers = opts.ciphers;
  if (opts.ca) tls.ca = fs.readFileSync(opts.ca, 'utf8');
  const options = { rtmp: { tls, engine: 'auto' } };
  if (opts['coalesce-ms'] !== undefined) options.coalesceMs = Number(opts['coalesce-ms']);
  // The same process idle first: what the machine alone does to timers (a vCPU's wake-up).
  const idle = watchEventLoop(LOOP_SAMPLE_MS);
  await new Promise((resolve) => setTimeout(resolve, IDLE_BASELINE_MS));
  const idleEventLoop = idle.stop();
  const camera = await publishCamera(url, options);
  print({ phase: 'publishing' });
  const loop = watchEventLoop(LOOP_SAMPLE_MS);
  const frameMs = 1000 / Number(opts.fps);
  const counts = { video: 0, audio: 0 };
  const video = async () => {
    for await (const unit of readAccessUnits(fs.createReadStream(videoPipe))) {
      const pts = counts.video * frameMs;
      counts.video += 1;
      await camera.writeVideo({ data: unit, pts });
    }
  };
  const audio = async () => {
    let pts = 0;
    for await (const frame of readAdtsFrames(fs.createReadStream(audioPipe))) {
      counts.audio += 1;
      await camera.writeAudio({ data: frame.data, pts });
      pts += (frame.samples * 1000) / frame.sampleRate;
    }
  };
  await Promise.all([video(), audio()]);
  const eventLoop = loop.stop();
  const tlsInfo = camera.tlsInfo();
  await camera.close();
  print({ videoFrames: counts.video, audioFrames: counts.audio, eventLoop, idleEventLoop, tlsInfo, stats: camera.stats() });
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
