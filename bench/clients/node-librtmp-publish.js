'use strict';
// One node-librtmp publisher, flat out. By default through the JavaScript API: reads the FLV
// file in slices, parses each into tags (FlvParser) and sends them with one writeTags() per
// slice, with a few batches in flight. With --send-file, through connection.sendFile(): the
// connection thread reads and sends the file itself (--background: from a SCHED_IDLE helper
// thread). Run as its own process so that its CPU time is its own.
//
//   node node-librtmp-publish.js <url> <file.flv> [--ca pem-file] [--batch-kb 512]
//                                [--in-flight 4] [--send-file [--background]] [--package dir]
//   node node-librtmp-publish.js --idle-only
//
// Prints one JSON line: bytes, publish seconds, CPU, peak RSS, event-loop delay (with how busy
// the loop was and how long its thread waited for a CPU); with --idle-only, the same of this
// process doing nothing for a second (the baseline).

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { watchEventLoop } = require('../lib/event-loop');

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ca: { type: 'string' },
    'batch-kb': { type: 'string', default: '512' },
    'in-flight': { type: 'string', default: '4' },
    package: { type: 'string', default: path.join(__dirname, '..', '..') },
    'send-file': { type: 'boolean', default: false },
    background: { type: 'boolean', default: false },
    'idle-only': { type: 'boolean', default: false },
  },
});

function print(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function idleOnly() {
  const idle = watchEventLoop();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  print({ eventLoop: idle.stop() });
}

async function publishFile(url, file) {
  const { publish, FlvParser } = require(path.join(path.resolve(opts.package), 'dist', 'lib', 'index.js'));
  const inFlight = Number(opts['in-flight']);
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const eventLoop = watchEventLoop();
  const connection = await publish(url, opts.ca ? { tls: { ca: fs.readFileSync(opts.ca, 'utf8') } } : {});
  let bytes = 0;
  if (opts['send-file']) {
    await connection.sendFile(file, { background: opts.background });
    bytes = fs.statSync(file).size;
  } else {
    const parser = new FlvParser();
    const pending = [];
    const slices = fs.createReadStream(file, { highWaterMark: Number(opts['batch-kb']) * 1024 });
    for await (const slice of slices) {
      pending.push(connection.writeTags(parser.push(slice)));
      bytes += slice.length;
      if (pending.length >= inFlight) await pending.shift();
    }
    await Promise.all(pending);
  }
  const stats = connection.stats();
  await connection.close();
  const loop = eventLoop.stop();
  const cpu = process.cpuUsage(cpuBefore);
  print({
    bytes,
    publishSeconds: Number(process.hrtime.bigint() - started) / 1e9,
    messages: stats.messagesOut,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    eventLoop: loop,
  });
}

(opts['idle-only'] ? idleOnly() : publishFile(positionals[0], positionals[1])).catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exitCode = 1;
});
