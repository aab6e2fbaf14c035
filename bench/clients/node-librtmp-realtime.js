'use strict';
// N node-librtmp publishers in one process, each paced in real time like a camera: every tag
// is written when its timestamp comes due (the clip loops), as soon as it is due, in one
// writeTags per timer tick. Connections start spread over --ramp-ms.
//
//   node node-librtmp-realtime.js <url-prefix> <clip.flv> --count N --duration S
//                                 [--ca pem-file] [--ramp-ms 2000] [--package dir]
//
// Stream i publishes to <url-prefix><i>. Prints {"phase":"steady"} once every publisher is
// connected, {"phase":"end"} when pacing stops, then one JSON line of results.

const fs = require('node:fs');
const path = require('node:path');
const { createHistogram } = require('node:perf_hooks');
const { parseArgs } = require('node:util');
const { watchEventLoop } = require('../lib/event-loop');

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    count: { type: 'string', default: '50' },
    duration: { type: 'string', default: '30' },
    ca: { type: 'string' },
    'ramp-ms': { type: 'string', default: '2000' },
    package: { type: 'string', default: path.join(__dirname, '..', '..') },
  },
});
const [urlPrefix, clipFile] = positionals;
const { publish, FlvParser } = require(path.join(path.resolve(opts.package), 'dist', 'lib', 'index.js'));

const print = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Sequence headers and metadata go once at the start; the frames after them loop.
function loadClip(file) {
  const tags = new FlvParser().push(fs.readFileSync(file));
  const isHeader = (t) => t.type === 'script' || t.data.length < 2 || t.data[1] === 0;
  const headers = tags.filter(isHeader);
  const frames = tags.filter((t) => !isHeader(t));
  const videoFrames = frames.filter((t) => t.type === 'video');
  const last = frames[frames.length - 1].timestamp;
  const loopMs = Math.round(last + last / Math.max(1, videoFrames.length - 1));
  return { headers, frames, loopMs };
}

class PacedPublisher {
  bytesDue = 0;
  tagsDue = 0;
  tagsWritten = 0;
  error = null;
  #pending = new Set();

  constructor(index, clip, lateness) {
    this.index = index;
    this.clip = clip;
    this.lateness = lateness;
  }

  async start(url, options) {
    this.connection = await publish(url, options);
    this.startedAt = performance.now();
    const { headers } = this.clip;
    this.tagsDue += headers.length;
    this.bytesDue += headers.reduce((sum, t) => sum + t.data.length, 0);
    this.#send(headers, this.startedAt);
  }

  /** Writes every frame due by `now` (and not after `stopAt`); returns when the next is due. */
  tick(now, stopAt) {
    const { frames, headers, loopMs } = this.clip;
    const batch = [];
    let due = 0;
    for (;;) {
      const n = this.tagsDue - headers.length;
      const loop = Math.floor(n / frames.length);
      const frame = frames[n % frames.length];
      const at = this.startedAt + loop * loopMs + frame.timestamp;
      if (at > now || at > stopAt) {
        this.#send(batch, due);
        return at;
      }
      batch.push({ type: frame.type, timestamp: loop * loopMs + frame.timestamp, data: frame.data });
      due = at;
      this.tagsDue += 1;
      this.bytesDue += frame.data.length;
    }
  }

  #send(tags, due) {
    if (tags.length === 0 || this.error) return;
    const write = this.connection.writeTags(tags).then(
      () => {
        this.tagsWritten += tags.length;
        // How long after its due time the last tag of the batch was on the socket.
        this.lateness.record(Math.max(1, Math.round((performance.now() - due) * 1000)));
      },
      (error) => {
        this.error ??= error;
      },
    );
    this.#pending.add(write);
    write.finally(() => this.#pending.delete(write));
  }

  async finish() {
    await Promise.all(this.#pending);
    const stats = this.connection?.stats();
    await this.connection?.close();
    return stats;
  }
}

async function main() {
  const count = Number(opts.count);
  const durationMs = Number(opts.duration) * 1000;
  const rampMs = Number(opts['ramp-ms']);
  const options = opts.ca ? { tls: { ca: fs.readFileSync(opts.ca, 'utf8') } } : {};
  const clip = loadClip(clipFile);
  const lateness = createHistogram();
  const publishers = Array.from({ length: count }, (_, i) => new PacedPublisher(i, clip, lateness));

  // Each publisher runs its own timer chain, like independent cameras.
  const run = async (p) => {
    await sleep((rampMs * p.index) / count);
    try {
      await p.start(`${urlPrefix}${p.index}`, options);
    } catch (error) {
      p.error = error;
      return;
    }
    const stopAt = p.startedAt + durationMs;
    for (;;) {
      const now = performance.now();
      const next = p.tick(now, stopAt);
      if (next > stopAt || p.error) return;
      await sleep(Math.max(0, next - performance.now()));
    }
  };

  const runs = publishers.map(run);
  // Steady state: from the last connection's start to the first publisher's end.
  await sleep(rampMs);
  print({ phase: 'steady' });
  const eventLoop = watchEventLoop();
  const cpuBefore = process.cpuUsage();
  const steadyStart = performance.now();
  await sleep(Math.max(0, durationMs - rampMs));
  const steadySeconds = (performance.now() - steadyStart) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const loop = eventLoop.stop();
  print({ phase: 'end' });
  await Promise.all(runs);
  const stats = await Promise.all(publishers.map((p) => p.finish().catch(() => undefined)));

  const failed = publishers.filter((p) => p.error);
  print({
    count,
    durationSeconds: durationMs / 1000,
    steadySeconds,
    connected: publishers.filter((p) => p.connection).length,
    failed: failed.length,
    firstError: failed[0] ? String(failed[0].error.message || failed[0].error) : null,
    tagsDue: publishers.reduce((s, p) => s + p.tagsDue, 0),
    tagsWritten: publishers.reduce((s, p) => s + p.tagsWritten, 0),
    bytesDue: publishers.reduce((s, p) => s + p.bytesDue, 0),
    bytesWritten: stats.reduce((s, st) => s + (st ? st.bytesOut : 0), 0),
    bytesWrittenPerStream: stats.map((st) => (st ? st.bytesOut : 0)),
    latenessMs: {
      p50: lateness.percentile(50) / 1000,
      p99: lateness.percentile(99) / 1000,
      max: lateness.max / 1000,
    },
    steadyCpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    eventLoop: loop,
  });
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exitCode = 1;
});
