'use strict';
// Flat-out mode: each client publishes the whole file as fast as it can, in the same run, one
// client at a time, rounds interleaved (every client and transport once per round). Then one
// shorter run per client under strace, through a relay that counts TLS records.

const fs = require('node:fs');
const path = require('node:path');
const { makeTestPki } = require('../../dist/test/helpers/certs');
const { benchFile } = require('./media');
const { lastJsonLine, processCpuSeconds, runMeasured } = require('./measure');
const { startNginx } = require('./nginx');
const { median, throughputTable } = require('./report');
const { stockPublisher } = require('./stock-librtmp');
const { countWrites } = require('./strace');
const { startTlsRecordRelay } = require('./tls-record-relay');

const MB = 2 ** 20;
const GB = 2 ** 30;
const NODE_CLIENT = path.join(__dirname, '..', 'clients', 'node-librtmp-publish.js');
const WARM_UP_FILE = path.join(__dirname, '..', '..', 'test', 'fixtures', 'av.flv');

function log(message) {
  process.stderr.write(`bench: ${message}\n`);
}

/** How to run each client: [command, args] for a URL and a file. */
function clientDefinitions(ctx) {
  return {
    'node-librtmp': {
      label: 'node-librtmp, writeTags()',
      command: (url, file) => [
        process.execPath,
        [NODE_CLIENT, url, file, '--ca', ctx.caFile, '--batch-kb', String(ctx.batchKb), '--in-flight', String(ctx.inFlight),
          '--package', ctx.packageRoot],
      ],
    },
    'node-librtmp-file': {
      label: 'node-librtmp, sendFile()',
      command: (url, file) => [process.execPath, [NODE_CLIENT, url, file, '--ca', ctx.caFile, '--send-file', '--package', ctx.packageRoot]],
    },
    'node-librtmp-file-bg': {
      label: 'node-librtmp, sendFile() background',
      command: (url, file) => [
        process.execPath,
        [NODE_CLIENT, url, file, '--ca', ctx.caFile, '--send-file', '--background', '--package', ctx.packageRoot],
      ],
    },
    ffmpeg: {
      label: 'FFmpeg',
      command: (url, file) => ['ffmpeg', ['-hide_banner', '-nostats', '-loglevel', 'error', '-i', file, '-c', 'copy', '-f', 'flv', url]],
    },
    'stock-librtmp': {
      label: 'stock librtmp',
      command: (url, file) => [ctx.stockBinary, [url, file]],
    },
  };
}

let streamCounter = 0;
const nextStreamName = (client) => `${client}-${process.pid}-${streamCounter++}`;

async function timedRun(ctx, client, scheme, file) {
  const name = nextStreamName(client.key);
  const worker = ctx.nginx.workerPid();
  const tlsBefore = ctx.nginx.tlsSessions().length;
  const serverCpuBefore = processCpuSeconds(worker);
  const [command, args] = client.command(ctx.nginx.url(scheme, name), file);
  const measured = await runMeasured(command, args);
  const session = await ctx.nginx.waitForSession(name);
  const tls = scheme === 'rtmps' ? (await ctx.nginx.waitForTlsSessions(tlsBefore + 1)).at(-1) : null;
  const serverCpuSeconds = processCpuSeconds(worker) - serverCpuBefore;
  const bytes = fs.statSync(file).size;
  const report = lastJsonLine(measured.stdout);
  return {
    bytes,
    wallSeconds: measured.wallSeconds,
    userSeconds: measured.userSeconds,
    sysSeconds: measured.sysSeconds,
    serverCpuSeconds,
    serverBytesReceived: session.bytesReceived,
    tls: tls && { protocol: tls.protocol, cipher: tls.cipher },
    mbPerSecond: bytes / MB / measured.wallSeconds,
    clientCpuSecondsPerGb: measured.cpuSeconds / (bytes / GB),
    serverCpuSecondsPerGb: serverCpuSeconds / (bytes / GB),
    client: report,
  };
}

// The shorter run under strace; RTMPS goes through the record-counting relay.
async function tracedRun(ctx, client, scheme, file) {
  const name = nextStreamName(client.key);
  const relay = scheme === 'rtmps' ? await startTlsRecordRelay(ctx.nginx.tlsPort) : null;
  try {
    const url = relay ? `rtmps://127.0.0.1:${relay.port}/live/${name}` : ctx.nginx.url(scheme, name);
    const [command, args] = client.command(url, file);
    const writes = await countWrites(command, args);
    await ctx.nginx.waitForSession(name);
    const bytes = fs.statSync(file).size;
    const records = relay ? relay.counts() : null;
    return {
      bytes,
      ...writes,
      socketWritesPerMb: writes.socketWrites / (bytes / MB),
      tlsRecords: records?.records ?? null,
      tlsRecordsPerMb: records ? records.records / (bytes / MB) : null,
      tlsBytesPerMediaByte: records ? records.bytes / bytes : null,
    };
  } finally {
    await relay?.close();
  }
}

// CPU per GB beyond the fixed cost: the slope between the warm-up publish and a full run,
// so a runtime's start-up (Node's ~0.15 s, FFmpeg's less) does not count as per-GB work.
function marginalCpuSecondsPerGb(sample, startup) {
  const extraBytes = sample.bytes - startup.bytes;
  return extraBytes > 0 ? (sample.userSeconds + sample.sysSeconds - startup.cpuSeconds) / (extraBytes / GB) : null;
}

function summarize(client, scheme, samples, traced, startup) {
  const pick = (f) => median(samples.map(f));
  const maxRss = pick((s) => s.client.maxRssBytes);
  return {
    client: client.key,
    label: client.label,
    scheme,
    runs: samples.length,
    mbPerSecond: pick((s) => s.mbPerSecond),
    clientCpuSecondsPerGb: pick((s) => s.clientCpuSecondsPerGb),
    marginalClientCpuSecondsPerGb: pick((s) => marginalCpuSecondsPerGb(s, startup)),
    serverCpuSecondsPerGb: pick((s) => s.serverCpuSecondsPerGb),
    eventLoopP50Ms: pick((s) => s.client.eventLoop?.p50Ms),
    eventLoopP99Ms: pick((s) => s.client.eventLoop?.p99Ms),
    eventLoopMaxMs: pick((s) => s.client.eventLoop?.maxMs),
    eventLoopBusyPercent: pick((s) => s.client.eventLoop?.busyPercent),
    // The main thread's run-queue delay per second of publishing: time it was ready to run
    // (a timer due, a callback to make) but every CPU was taken.
    eventLoopCpuWaitMsPerSecond: pick((s) => s.client.eventLoop && s.client.eventLoop.cpuWaitMs / s.client.publishSeconds),
    peakRssMb: maxRss === null ? null : maxRss / MB,
    socketWritesPerMb: traced?.socketWritesPerMb ?? null,
    tlsRecordsPerMb: traced?.tlsRecordsPerMb ?? null,
    tlsBytesPerMediaByte: traced?.tlsBytesPerMediaByte ?? null,
    tls: samples.find((s) => s.tls)?.tls ?? null,
  };
}

async function runThroughput({ outDir, sizeMB, runs, clients, schemes, batchKb, inFlight, strace, packageRoot }) {
  const media = await benchFile(outDir, sizeMB);
  const pki = await makeTestPki();
  const ctx = { batchKb, inFlight, packageRoot: path.resolve(packageRoot), caFile: pki.ca.certPath };
  if (clients.includes('stock-librtmp')) ctx.stockBinary = await stockPublisher(outDir);
  const definitions = clientDefinitions(ctx);
  const chosen = clients.map((key) => {
    if (!definitions[key]) throw new Error(`unknown client ${key} (${Object.keys(definitions).join(', ')})`);
    return { key, ...definitions[key] };
  });
  ctx.nginx = await startNginx({ cert: pki.server.certPath, key: pki.server.keyPath });
  try {
    // Page cache and binaries warm before the first measured run.
    for await (const slice of fs.createReadStream(media.file, { highWaterMark: 4 * MB })) void slice;
    // Their figures are each client's fixed cost: start-up, connect and a 0.5 MB publish.
    const startup = new Map();
    for (const client of chosen) {
      for (const scheme of schemes) {
        const sample = await timedRun(ctx, client, scheme, WARM_UP_FILE);
        startup.set(`${client.key}/${scheme}`, {
          bytes: sample.bytes,
          wallSeconds: sample.wallSeconds,
          cpuSeconds: sample.userSeconds + sample.sysSeconds,
        });
      }
    }

    const samples = new Map();
    for (let round = 1; round <= runs; round++) {
      for (const client of chosen) {
        for (const scheme of schemes) {
          const sample = await timedRun(ctx, client, scheme, media.file);
          const key = `${client.key}/${scheme}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
          log(`round ${round}/${runs} ${key}: ${sample.mbPerSecond.toFixed(0)} MB/s, ` +
            `client ${sample.clientCpuSecondsPerGb.toFixed(2)} CPU s/GB, server ${sample.serverCpuSecondsPerGb.toFixed(2)}`);
        }
      }
    }

    const traced = new Map();
    if (strace) {
      for (const client of chosen) {
        for (const scheme of schemes) {
          const result = await tracedRun(ctx, client, scheme, media.clip);
          traced.set(`${client.key}/${scheme}`, result);
          log(`strace ${client.key}/${scheme}: ${result.socketWritesPerMb.toFixed(0)} socket writes/MB` +
            (result.tlsRecordsPerMb === null ? '' : `, ${result.tlsRecordsPerMb.toFixed(0)} TLS records/MB`));
        }
      }
    }

    // The idle baseline is noisy on a VM (an idle vCPU wakes late): the median of three.
    const idleRuns = [];
    for (let i = 0; i < 3; i++) idleRuns.push(lastJsonLine((await runMeasured(process.execPath, [NODE_CLIENT, '--idle-only'])).stdout).eventLoop);
    const idle = { p50Ms: median(idleRuns.map((r) => r.p50Ms)), p99Ms: median(idleRuns.map((r) => r.p99Ms)), runs: idleRuns };
    const summaries = chosen.flatMap((client) =>
      schemes.map((scheme) => {
        const key = `${client.key}/${scheme}`;
        return { ...summarize(client, scheme, samples.get(key), traced.get(key), startup.get(key)), startup: startup.get(key) };
      }),
    );
    const startupNote = summaries
      .map((s) => `${s.label} ${s.scheme.toUpperCase()} ${s.startup.cpuSeconds.toFixed(2)} s CPU / ${s.startup.wallSeconds.toFixed(2)} s`)
      .join('; ');
    const fileMb = fs.statSync(media.file).size / MB;
    const clipMb = fs.statSync(media.clip).size / MB;
    const markdown = [
      `Flat out: ${fileMb.toFixed(0)} MB FLV (720p30 H.264 ~6 Mbit/s + AAC 128 kbit/s), medians of ${runs} runs; ` +
        `MB = 2^20 bytes, GB = 2^30 bytes.`,
      '',
      throughputTable(summaries),
      '',
      `MB/s and CPU: whole client process (start to exit, user + sys of all its threads); server: the nginx worker.`,
      `Fixed cost included in those (start, connect, publish a 0.5 MB file, exit): ${startupNote}; ` +
        `"beyond fixed cost" is the CPU per GB between that run and a full one.`,
      strace
        ? `Socket writes: strace of a ${clipMb.toFixed(0)} MB run (write/sendto/sendmsg/writev on the connection's socket); ` +
          `TLS records: counted by a loopback relay reading the record headers the client sent.`
        : 'strace runs skipped (--skip-strace).',
      `TLS: ${[...new Set(summaries.filter((s) => s.tls).map((s) => `${s.label} ${s.tls.protocol} ${s.tls.cipher}`))].join('; ')}.`,
      `Event loop (node-librtmp): monitorEventLoopDelay at 1 ms resolution, interval minus 1 ms; ` +
        `the same process idle (median of 3): p50 ${idle.p50Ms.toFixed(2)} ms, p99 ${idle.p99Ms.toFixed(2)} ms ` +
        `(the three p99s: ${idle.runs.map((r) => r.p99Ms.toFixed(2)).join(', ')} ms).`,
      `While publishing, the loop was busy (event-loop utilisation) and its thread waited for a CPU (run-queue delay): ` +
        summaries
          .filter((s) => s.eventLoopBusyPercent !== null)
          .map((s) => `${s.label} ${s.scheme.toUpperCase()} ${s.eventLoopBusyPercent.toFixed(1)} % busy, ${s.eventLoopCpuWaitMsPerSecond.toFixed(0)} ms/s waiting`)
          .join('; ') + '.',
    ].join('\n');
    return {
      mode: 'throughput',
      parameters: { sizeMB, runs, clients, schemes, batchKb, inFlight, strace, package: ctx.packageRoot, file: path.basename(media.file), fileBytes: fs.statSync(media.file).size },
      summaries,
      idleEventLoop: idle,
      samples: Object.fromEntries(samples),
      traced: Object.fromEntries(traced),
      markdown,
    };
  } finally {
    await ctx.nginx.stop();
    pki.remove();
  }
}

module.exports = { runThroughput };
