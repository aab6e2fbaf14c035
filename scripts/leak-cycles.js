#!/usr/bin/env node
'use strict';

// Connect/publish/close cycles against a local nginx-rtmp, sampling RSS, open fds, threads and
// the addon's live native objects (liveObjects(): SSL, SSL_CTX, RTMP structs, librtmp's heap
// blocks...): all must stay flat; a leaked object shows as steady growth. Exits 1 if anything
// is left at the end.
//   npm run build:ts && node scripts/leak-cycles.js [--cycles 10000] [--tls | --rtmpe] [--failures]
// --tls: RTMPS through nginx's TLS front (a test CA made for the run); --rtmpe: RTMPE through
// the test RTMPE proxy (test/helpers/rtmpe-proxy.ts, in a child process). --failures: each
// cycle also makes a connect that fails (refused; with --tls a certificate that does not
// verify, with --rtmpe a corrupted handshake). Under LeakSanitizer (npm run build:asan first):
//   LSAN=1 scripts/with-asan.sh node scripts/leak-cycles.js --tls --cycles 300 --failures
const { spawn } = require('node:child_process');
const { once } = require('node:events');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { parseArgs } = require('node:util');
const { setImmediate: tick } = require('node:timers/promises');

const dist = path.join(__dirname, '..', 'dist');
const { publish, FlvParser, RtmpError } = require(path.join(dist, 'lib', 'index.js'));
const helper = (name) => require(path.join(dist, 'test', 'helpers', `${name}.js`));
const { startNginx } = helper('nginx');
const { AV_FLV } = helper('fixtures');
const { makeTestPki } = helper('certs');
const { freePort, LOOPBACK } = helper('ports');
const { liveObjects, collectGarbage } = helper('live-objects');

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '10000' },
    tls: { type: 'boolean', default: false },
    rtmpe: { type: 'boolean', default: false },
    failures: { type: 'boolean', default: false },
  },
});
if (values.tls && values.rtmpe) throw new Error('--tls or --rtmpe, not both');
const cycles = Number(values.cycles);
const scheme = values.tls ? 'rtmps' : values.rtmpe ? 'rtmpe' : 'rtmp';
const fds = () => fs.readdirSync('/proc/self/fd').length;
const threads = () => fs.readdirSync('/proc/self/task').length;
const mb = (bytes) => Number((bytes / 1048576).toFixed(1));
// RSS, and of it the JS heap and buffers: growth in these is JS's, not the addon's.
const memory = () => {
  const m = process.memoryUsage();
  return { rssMb: mb(m.rss), jsHeapMb: mb(m.heapUsed), buffersMb: mb(m.external) };
};

/** The servers for the scheme: where a cycle publishes, and where its failure happens. */
async function startServers() {
  const stops = [];
  const pki = values.tls ? await makeTestPki() : undefined;
  if (pki) stops.push(async () => pki.remove());
  const nginx = await startNginx(pki ? { tls: { cert: pki.server.certPath, key: pki.server.keyPath } } : {});
  stops.push(() => nginx.stop());
  const refused = await freePort();
  const servers = { stop: async () => Promise.all(stops.map((stop) => stop())) };
  if (scheme === 'rtmp') {
    return { ...servers, url: (key) => nginx.url('live', key), failing: [[(key) => `rtmp://${LOOPBACK}:${refused}/live/${key}`, {}]] };
  }
  if (scheme === 'rtmps') {
    const tls = { tls: { ca: pki.ca.cert } };
    return {
      ...servers,
      url: (key) => nginx.url('live', key, 'rtmps', 'localhost'),
      options: tls,
      failing: [
        [(key) => `rtmps://localhost:${refused}/live/${key}`, tls],
        [(key) => nginx.url('live', key, 'rtmps', 'localhost'), { tls: { ca: pki.selfSigned.cert } }],
      ],
    };
  }
  const proxies = await startRtmpeProxies(nginx.port);
  stops.unshift(() => proxies.stop());
  return {
    ...servers,
    url: (key) => `rtmpe://${LOOPBACK}:${proxies.port}/live/${key}`,
    failing: [
      [(key) => `rtmpe://${LOOPBACK}:${refused}/live/${key}`, {}],
      [(key) => `rtmpe://${LOOPBACK}:${proxies.corruptPort}/live/${key}`, {}],
    ],
  };
}

/**
 * The RTMPE proxies (a working one and one that corrupts S2) in a child process of their own:
 * in this one, the RSS that the proxy's Node crypto takes on with its handshakes would be
 * counted as the client's. The child runs a plain Node (no sanitizer preload).
 */
async function startRtmpeProxies(nginxPort) {
  const proxyModule = path.join(dist, 'test', 'helpers', 'rtmpe-proxy.js');
  const source = `
    const { startRtmpeProxy } = require(${JSON.stringify(proxyModule)});
    Promise.all([startRtmpeProxy({ port: ${nginxPort} }), startRtmpeProxy({ port: ${nginxPort} }, { corruptS2: true })]).then((proxies) => {
      process.once('SIGTERM', () => Promise.all(proxies.map((p) => p.stop())).then(() => process.exit(0)));
      console.log(JSON.stringify(proxies.map((p) => p.port)));
    });`;
  const env = { ...process.env, LD_PRELOAD: '', NODE_OPTIONS: '' };
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'], env });
  const exited = once(child, 'exit');
  const [line] = await Promise.race([
    once(readline.createInterface({ input: child.stdout }), 'line'),
    exited.then(([code]) => Promise.reject(new Error(`the RTMPE proxy process exited (${code})`))),
  ]);
  const [port, corruptPort] = JSON.parse(line);
  return {
    port,
    corruptPort,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Collects garbage over a few event-loop turns (wrappers are finalized on a later turn). */
async function settle() {
  for (let i = 0; i < 10; i++) {
    collectGarbage();
    await tick();
  }
}

(async () => {
  const servers = await startServers();
  try {
    const tags = new FlvParser().push(fs.readFileSync(AV_FLV)).slice(0, 5);
    const samples = [];
    const started = Date.now();
    // A function of its own, so that nothing of a cycle is still referenced when sampling.
    const cycle = async () => {
      const pub = await publish(servers.url('cycles'), { timeout: 5000, ...servers.options });
      await pub.writeTags(tags);
      await pub.close();
      if (!values.failures) return;
      for (const [url, options] of servers.failing) {
        const failed = await publish(url('cycles'), { timeout: 5000, ...options }).then(
          (c) => c.close().then(() => new Error('connected where it should have failed')),
          (e) => (e instanceof RtmpError ? undefined : e),
        );
        if (failed) throw failed;
      }
    };
    for (let i = 1; i <= cycles; i++) {
      await cycle();
      if (i === 100 || i % Math.max(1, Math.floor(cycles / 10)) === 0 || i === cycles) {
        await settle();
        const s = { cycle: i, ...memory(), fds: fds(), threads: threads(), seconds: Math.round((Date.now() - started) / 1000), live: liveObjects() };
        samples.push(s);
        console.log(JSON.stringify(s));
      }
    }
    const first = samples[0];
    const last = samples[samples.length - 1];
    const live = last.live;
    const leftLive = Object.entries(live).filter(([, n]) => n !== 0);
    const summary = {
      scheme,
      cycles,
      failures: values.failures,
      seconds: last.seconds,
      rssMb: [first.rssMb, last.rssMb],
      jsHeapMb: [first.jsHeapMb, last.jsHeapMb],
      fds: [first.fds, last.fds],
      threads: [first.threads, last.threads],
      liveAtEnd: live,
    };
    console.log(JSON.stringify(summary));
    if (leftLive.length > 0 || last.fds > first.fds || last.threads > first.threads) {
      console.error(`left behind: ${JSON.stringify({ live: Object.fromEntries(leftLive), fds: summary.fds, threads: summary.threads })}`);
      process.exitCode = 1;
    }
  } finally {
    await servers.stop();
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
