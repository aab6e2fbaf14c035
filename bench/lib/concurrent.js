'use strict';
// Concurrent mode: N node-librtmp publishers in one process, paced in real time at a given
// bitrate, for a given duration. Reports what was due, written and received by the server,
// how late writes were, and CPU, RSS and event-loop delay in the steady state (every
// publisher connected).

const path = require('node:path');
const { makeTestPki } = require('../../dist/test/helpers/certs');
const { clip } = require('./media');
const { lastJsonLine, processCpuSeconds, runMeasured } = require('./measure');
const { startNginx } = require('./nginx');
const { fmt, markdownTable } = require('./report');

const MB = 2 ** 20;
const REALTIME_CLIENT = path.join(__dirname, '..', 'clients', 'node-librtmp-realtime.js');

function log(message) {
  process.stderr.write(`bench: ${message}\n`);
}

// How the publishers are paced: tag by tag in JavaScript (writeTags), or by each connection's
// thread (sendFile({ realtime: true })).
const PACINGS = { writeTags: [], sendFile: ['--send-file'] };

async function runScheme({ nginx, scheme, pacing, count, kbps, durationSeconds, clipFile, caFile, packageRoot }) {
  const prefix = `rt-${scheme}-${pacing}-${process.pid}-`;
  const worker = nginx.workerPid();
  const serverCpu = {};
  log(`${count} × ${kbps} kbit/s over ${scheme.toUpperCase()} paced by ${pacing} for ${durationSeconds} s`);
  const measured = await runMeasured(
    process.execPath,
    [REALTIME_CLIENT, nginx.url(scheme, prefix), clipFile, '--count', String(count), '--duration', String(durationSeconds),
      '--ca', caFile, '--package', packageRoot, ...PACINGS[pacing]],
    {
      timeoutMs: (durationSeconds + 120) * 1000,
      // The server's CPU over the client's steady phase.
      onLine: (line) => {
        if (line === '{"phase":"steady"}') serverCpu.start = processCpuSeconds(worker);
        if (line === '{"phase":"end"}') serverCpu.end = processCpuSeconds(worker);
      },
    },
  );
  const client = lastJsonLine(measured.stdout);
  const sessions = await nginx.waitForSessions(prefix, client.connected, 60000);
  const received = new Map(sessions.map((s) => [s.name, s.bytesReceived]));
  // A stream is short when the server received fewer bytes than its tag bodies.
  const short = client.bytesWrittenPerStream.filter((bytes, i) => (received.get(`${prefix}${i}`) ?? 0) < bytes).length;
  const serverBytes = sessions.reduce((sum, s) => sum + s.bytesReceived, 0);
  return {
    scheme,
    pacing,
    count,
    kbps,
    durationSeconds,
    connected: client.connected,
    failed: client.failed,
    firstError: client.firstError,
    tagsDue: client.tagsDue,
    tagsWritten: client.tagsWritten,
    bytesDue: client.bytesDue,
    bytesWritten: client.bytesWritten,
    serverBytesReceived: serverBytes,
    streamsShort: short,
    deliveredKbpsPerStream: (client.bytesWritten * 8) / 1000 / durationSeconds / Math.max(1, client.connected),
    latenessMs: client.latenessMs,
    clientCpuPercent: (100 * client.steadyCpuSeconds) / client.steadySeconds,
    serverCpuPercent: (100 * (serverCpu.end - serverCpu.start)) / client.steadySeconds,
    clientCpuSecondsTotal: measured.cpuSeconds,
    peakRssMb: client.maxRssBytes / MB,
    eventLoop: client.eventLoop,
  };
}

function concurrentTable(rows) {
  const header = [
    'transport', 'paced by', 'publishers', 'connected / failed', 'tags written / due', 'kbit/s per stream', 'server received MB',
    'short streams', 'write lateness p99 / max ms', 'client CPU %', 'server CPU %', 'peak RSS MB', 'event loop p50 / p99 / max ms',
  ];
  return markdownTable(
    header,
    rows.map((r) => [
      r.scheme.toUpperCase(), r.pacing, `${r.count} × ${r.kbps} kbit/s`, `${r.connected} / ${r.failed}`, `${r.tagsWritten} / ${r.tagsDue}`,
      fmt(r.deliveredKbpsPerStream, 0), fmt(r.serverBytesReceived / MB, 0), String(r.streamsShort),
      `${fmt(r.latenessMs.p99, 1)} / ${fmt(r.latenessMs.max, 1)}`, fmt(r.clientCpuPercent, 0), fmt(r.serverCpuPercent, 0),
      fmt(r.peakRssMb, 0), `${fmt(r.eventLoop.p50Ms, 2)} / ${fmt(r.eventLoop.p99Ms, 2)} / ${fmt(r.eventLoop.maxMs, 1)}`,
    ]),
  );
}

async function runConcurrent({ outDir, count, kbps, durationSeconds, schemes, pacings, packageRoot }) {
  for (const pacing of pacings) {
    if (!PACINGS[pacing]) throw new Error(`unknown pacing ${pacing} (${Object.keys(PACINGS).join(', ')})`);
  }
  const clipFile = await clip(outDir, { seconds: 20, kbps });
  const pki = await makeTestPki();
  const nginx = await startNginx({ cert: pki.server.certPath, key: pki.server.keyPath, connections: count + 16 });
  try {
    const rows = [];
    for (const scheme of schemes) {
      for (const pacing of pacings) {
        rows.push(await runScheme({ nginx, scheme, pacing, count, kbps, durationSeconds, clipFile, caFile: pki.ca.certPath, packageRoot: path.resolve(packageRoot) }));
      }
    }
    const markdown = [
      `Concurrent: ${count} node-librtmp publishers in one process, each paced in real time at ${kbps} kbit/s ` +
        `(720p30 H.264 + AAC clip, looped), ${durationSeconds} s; connections started over 2 s.`,
      '',
      concurrentTable(rows),
      '',
      'CPU, RSS and event loop: steady state (all connected), client process and nginx worker; 100 % = one core. ' +
        'Write lateness: from a tag\'s due time to its write completing (writeTags only: sendFile paces on the ' +
        'connection thread). A short stream: the server received fewer bytes than its tag bodies.',
    ].join('\n');
    return { mode: 'concurrent', parameters: { count, kbps, durationSeconds, schemes, pacings, package: path.resolve(packageRoot) }, rows, markdown };
  } finally {
    await nginx.stop();
    pki.remove();
  }
}

module.exports = { runConcurrent };
