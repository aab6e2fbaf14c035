#!/usr/bin/env node
'use strict';

// Connect/publish/close cycles against a local nginx-rtmp, sampling RSS and open fds: both
// must stay flat (a leak of an RTMP or SSL object per cycle shows as steady growth).
//   npm run build:ts && node scripts/leak-cycles.js [--cycles 10000] [--tls]
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');

const dist = path.join(__dirname, '..', 'dist');
const { publish, FlvParser } = require(path.join(dist, 'lib', 'index.js'));
const { startNginx } = require(path.join(dist, 'test', 'helpers', 'nginx.js'));
const { AV_FLV } = require(path.join(dist, 'test', 'helpers', 'fixtures.js'));

const { values } = parseArgs({ options: { cycles: { type: 'string', default: '10000' } } });
const cycles = Number(values.cycles);
const fds = () => fs.readdirSync('/proc/self/fd').length;
const threads = () => fs.readdirSync('/proc/self/task').length;
const rssMb = () => (process.memoryUsage().rss / 1048576).toFixed(1);

(async () => {
  const nginx = await startNginx();
  try {
    const tags = new FlvParser().push(fs.readFileSync(AV_FLV)).slice(0, 5);
    const url = nginx.url('live', 'cycles');
    const samples = [];
    const started = Date.now();
    for (let i = 1; i <= cycles; i++) {
      const pub = await publish(url, { timeout: 5000 });
      await pub.writeTags(tags);
      await pub.close();
      if (i === 100 || i % Math.max(1, Math.floor(cycles / 10)) === 0) {
        if (global.gc) global.gc();
        const s = { cycle: i, rssMb: rssMb(), fds: fds(), threads: threads(), seconds: ((Date.now() - started) / 1000).toFixed(0) };
        samples.push(s);
        console.log(JSON.stringify(s));
      }
    }
  } finally {
    await nginx.stop();
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
