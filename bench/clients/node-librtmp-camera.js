'use strict';
// The camera workload's node-librtmp client: what an application on a camera does with the
// library. publishCamera() to the URL, the encoder's H.264 Annex-B and AAC ADTS pipes handed
// to pipeVideo() / pipeAudio(), each unit written as it arrives with the timestamp its
// position gives (the pipes are paced by the bench, as an encoder paces them). --native:
// publish() and connection.sendCamera() with the two pipes instead (the connection's thread
// reads and sends every frame; no JavaScript per frame). --no-sampler: without the bench's
// event-loop sampler (a timer every 20 ms), which an application would not run.
//
//   node node-librtmp-camera.js <url> <video-pipe> <audio-pipe> --fps 30 [--ciphers LIST]
//        [--ca pem-file] [--coalesce-ms N] [--read-streams] [--native] [--no-sampler]
//        [--package dir]
//
// Prints {"phase":"publishing"} once connected, then one JSON line of results at the end.

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { watchEventLoop, CAMERA_SAMPLE_MS } = require('../lib/event-loop');

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    fps: { type: 'string', default: '30' },
    ciphers: { type: 'string' },
    ca: { type: 'string' },
    'coalesce-ms': { type: 'string' },
    'read-streams': { type: 'boolean', default: false },
    native: { type: 'boolean', default: false },
    'no-sampler': { type: 'boolean', default: false },
    package: { type: 'string', default: path.join(__dirname, '..', '..') },
  },
});
const [url, videoPipe, audioPipe] = positionals;
const { publish, publishCamera } = require(path.join(path.resolve(opts.package), 'dist', 'lib', 'index.js'));

const watch = () => (opts['no-sampler'] ? { stop: () => null } : watchEventLoop(CAMERA_SAMPLE_MS));
const print = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
const IDLE_BASELINE_MS = 3000;

async function main() {
  const tls = { maxVersion: 'TLSv1.2' };
  if (opts.ciphers) tls.ciphers = opts.ciphers;
  if (opts.ca) tls.ca = fs.readFileSync(opts.ca, 'utf8');
  const options = { rtmp: { tls, engine: 'auto' } };
  if (opts['coalesce-ms'] !== undefined) options.coalesceMs = Number(opts['coalesce-ms']);
  // The same process idle first: what the machine alone does to timers (a vCPU's wake-up).
  const idle = watch();
  await new Promise((resolve) => setTimeout(resolve, IDLE_BASELINE_MS));
  const idleEventLoop = idle.stop();
  if (opts.native) return sendCamera(options, idleEventLoop);
  const camera = await publishCamera(url, options);
  print({ phase: 'publishing' });
  const loop = watchEventLoop(CAMERA_SAMPLE_MS);
  // The encoder paces its pipes: stamp frame n at n / fps, write each as it arrives.
  // The pipes by path, as docs/API.md advises (a named pipe is then read through the event
  // loop); --read-streams hands fs.createReadStream()s instead (the thread pool), for comparison.
  const source = (pipe) => (opts['read-streams'] ? fs.createReadStream(pipe) : pipe);
  const [video, audio] = await Promise.all([
    camera.pipeVideo(source(videoPipe), { frameRate: Number(opts.fps), pace: false }),
    camera.pipeAudio(source(audioPipe), { pace: false }),
  ]);
  const eventLoop = loop.stop();
  const tlsInfo = camera.connectionOf(0)?.tlsInfo() ?? null;
  await camera.close();
  print({ videoFrames: video.frames, audioFrames: audio.frames, eventLoop, idleEventLoop, tlsInfo, stats: camera.stats() });
}

async function sendCamera(options, idleEventLoop) {
  const connection = await publish(url, options.rtmp);
  print({ phase: 'publishing' });
  const loop = watch();
  const sent = await connection.sendCamera({ video: videoPipe, audio: audioPipe, frameRate: Number(opts.fps), coalesceMs: options.coalesceMs });
  const eventLoop = loop.stop();
  const tlsInfo = connection.tlsInfo();
  await connection.close();
  print({ videoFrames: sent.videoFrames, audioFrames: sent.audioFrames, eventLoop, idleEventLoop, tlsInfo, stats: sent });
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
