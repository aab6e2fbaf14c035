'use strict';
// `npm run bench`: node-librtmp against FFmpeg and stock librtmp, publishing the same FLV to
// nginx-rtmp on loopback over RTMP and RTMPS. See bench/README.md for the method.
//
//   npm run bench [-- --size 300 --runs 3 --clients node-librtmp,node-librtmp-file,node-librtmp-file-bg,ffmpeg,stock-librtmp
//                     --schemes rtmp,rtmps --batch-kb 512 --in-flight 4 --skip-strace --package DIR]
//   npm run bench -- --concurrent 200 --bitrate 4000 [--duration 30 --schemes rtmps --pacing writeTags,sendFile]
//   npm run bench -- --handshake [--handshakes 100 --tls-versions TLSv1.2,TLSv1.3 --openssl-lines 1.1.1,3.5]
//   npm run bench -- --camera [--duration 120 --suites ECDHE-RSA-AES128-SHA256,ECDHE-RSA-AES128-SHA
//                     --clients node-librtmp,node-librtmp-coalesce-off,ffmpeg,gstreamer]

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { checkPrerequisites, describeMachine } = require('./lib/environment');
const { runCamera, SUITES } = require('./lib/camera');
const { runConcurrent } = require('./lib/concurrent');
const { runHandshakes } = require('./lib/handshake');
const { runThroughput } = require('./lib/throughput');

const OUT_DIR = path.join(__dirname, 'out');

const { values: opts } = parseArgs({
  options: {
    size: { type: 'string', default: '300' },
    runs: { type: 'string', default: '3' },
    clients: { type: 'string' },
    schemes: { type: 'string' },
    'batch-kb': { type: 'string', default: '512' },
    'in-flight': { type: 'string', default: '4' },
    'skip-strace': { type: 'boolean', default: false },
    package: { type: 'string', default: path.join(__dirname, '..') },
    concurrent: { type: 'string' },
    bitrate: { type: 'string', default: '4000' },
    duration: { type: 'string' },
    camera: { type: 'boolean', default: false },
    suites: { type: 'string', default: SUITES.join(',') },
    pacing: { type: 'string', default: 'writeTags,sendFile' },
    handshake: { type: 'boolean', default: false },
    handshakes: { type: 'string', default: '100' },
    'tls-versions': { type: 'string', default: 'TLSv1.2,TLSv1.3' },
    'openssl-lines': { type: 'string', default: '1.1.1' },
    help: { type: 'boolean', default: false },
  },
});

function positiveNumber(name, fallback) {
  const value = Number(opts[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

async function main() {
  if (opts.help) {
    process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 10).join('\n').replace(/^\/\/ ?/gm, '') + '\n');
    return;
  }
  checkPrerequisites(opts.package);
  const machine = describeMachine();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  let result;
  if (opts.camera) {
    result = await runCamera({
      outDir: OUT_DIR,
      durationSeconds: positiveNumber('duration', '120'),
      clients: (opts.clients ?? 'node-librtmp,node-librtmp-coalesce-off,ffmpeg,gstreamer').split(','),
      suites: opts.suites.split(','),
      packageRoot: opts.package,
    });
  } else if (opts.handshake) {
    result = await runHandshakes({
      outDir: OUT_DIR,
      count: positiveNumber('handshakes'),
      versions: opts['tls-versions'].split(','),
      lines: opts['openssl-lines'].split(','),
      packageRoot: opts.package,
    });
  } else if (opts.concurrent !== undefined) {
    result = await runConcurrent({
      outDir: OUT_DIR,
      count: positiveNumber('concurrent'),
      kbps: positiveNumber('bitrate'),
      durationSeconds: positiveNumber('duration', '30'),
      schemes: (opts.schemes ?? 'rtmps').split(','),
      pacings: opts.pacing.split(','),
      packageRoot: opts.package,
    });
  } else {
    result = await runThroughput({
      outDir: OUT_DIR,
      sizeMB: positiveNumber('size'),
      runs: positiveNumber('runs'),
      clients: (opts.clients ?? 'node-librtmp,node-librtmp-file,node-librtmp-file-bg,ffmpeg,stock-librtmp').split(','),
      schemes: (opts.schemes ?? 'rtmp,rtmps').split(','),
      batchKb: positiveNumber('batch-kb'),
      inFlight: positiveNumber('in-flight'),
      strace: !opts['skip-strace'],
      packageRoot: opts.package,
    });
  }
  const file = path.join(OUT_DIR, `${result.mode}-${stamp}.json`);
  fs.writeFileSync(file, `${JSON.stringify({ machine, ...result }, null, 2)}\n`);
  process.stdout.write(`\n${machine.summary}\n\n${result.markdown}\n\nJSON: ${path.relative(process.cwd(), file)}\n`);
}

// Interrupted: exit through process.exit so the 'exit' handlers stop nginx and the clients
// (a signal's default action would skip them and leave servers running).
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(128 + os.constants.signals[signal]));
}

main().catch((error) => {
  process.stderr.write(`bench: ${error.stack || error}\n`);
  process.exitCode = 1;
});
