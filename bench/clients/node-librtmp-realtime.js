'use strict';
// N node-librtmp publishers in one process, each paced in real time like a camera: every tag
// is written when its timestamp comes due (the clip loops), as soon as it is due, in one
// writeTags per timer tick. With --send-file, each connection's own thread paces instead:
// sendFile({ realtime: true }) of the clip looped into one file, ended by `stop` at the end
// of the duration. Connections start spread over --ramp-ms.
//
//   node node-librtmp-realtime.js <url-prefix> <clip.flv> --count N --duration S
//                                 [--send-file] [--ca pem-file] [--ramp-ms 2000] [--package dir]
//
// Stream i publishes to <url-prefix><i>. Prints {"phase":"steady"} once every publisher is
// connected, {"phase":"end"} when pacing stops, then one JSON line of results.

const fs = require('node:fs');
const os = require('node:os');
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
    'send-file': { type: 'boolean', default: false },
    package: { type: 'string', default: path.join(__dirname, '..', '..') },
  },
});
const [urlPrefix, clipFile] = positionals;
const { publish, FlvParser, encodeFlvHeader, encodeTag } = require(path.join(path.resolve(opts.package), 'dist', 'lib', 'index.js'));

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

// Steady state: from the last connection's start (after the ramp) to the end of the duration;
// then every publisher finishes and closes. CPU and the event loop are of the steady state.
async function steadyState(publishers, runs, rampMs, durationMs) {
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
  return { steadySeconds, steadyCpuSeconds: (cpu.user + cpu.system) / 1e6, eventLoop: loop, stats };
}

// The one JSON line of results; `due` is what each pacing counts as due, and its lateness.
function printResults(count, durationMs, publishers, steady, due) {
  const failed = publishers.filter((p) => p.error);
  print({
    count,
    durationSeconds: durationMs / 1000,
    steadySeconds: steady.steadySeconds,
    connected: publishers.filter((p) => p.connection).length,
    failed: failed.length,
    firstError: failed[0] ? String(failed[0].error.message || failed[0].error) : null,
    tagsDue: due.tags,
    tagsWritten: publishers.reduce((s, p) => s + p.tagsWritten, 0),
    bytesDue: due.bytes,
    bytesWritten: steady.stats.reduce((s, st) => s + (st ? st.bytesOut : 0), 0),
    bytesWrittenPerStream: steady.stats.map((st) => (st ? st.bytesOut : 0)),
    latenessMs: due.latenessMs,
    steadyCpuSeconds: steady.steadyCpuSeconds,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    eventLoop: steady.eventLoop,
  });
}

// The clip's frames looped (timestamps going on) after its headers, for `durationMs` and a
// little more, as one FLV file; and the due time of each of its tags, ms.
function loopedFile(clip, durationMs) {
  const tags = [...clip.headers];
  for (let loop = 0; loop * clip.loopMs <= durationMs + 5000; loop++) {
    for (const frame of clip.frames) tags.push({ ...frame, timestamp: loop * clip.loopMs + frame.timestamp });
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-bench-looped-'));
  const file = path.join(dir, 'looped.flv');
  fs.writeFileSync(file, Buffer.concat([encodeFlvHeader(), ...tags.map(encodeTag)]));
  return { file, dir, tags };
}

// One publisher whose connection thread paces the looped file; `stop` ends it at the duration.
class FilePublisher {
  tagsWritten = 0;
  error = null;

  constructor(index, looped) {
    this.index = index;
    this.looped = looped;
  }

  async start(url, options, durationMs) {
    this.connection = await publish(url, options);
    this.startedAt = performance.now();
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), durationMs);
    this.sending = this.connection.sendFile(this.looped.file, { realtime: true, stop: stop.signal }).then(
      (result) => {
        this.tagsWritten = result.tags;
        this.endedAt = performance.now();
      },
      (error) => {
        this.error ??= error;
      },
    );
    this.sending.finally(() => clearTimeout(timer));
  }

  // What was due by the end: the tags whose time (since the first) had come.
  get due() {
    const elapsed = (this.endedAt ?? performance.now()) - this.startedAt;
    const tags = this.looped.tags.filter((t) => t.timestamp <= elapsed);
    return { tags: tags.length, bytes: tags.reduce((sum, t) => sum + t.data.length, 0) };
  }

  async finish() {
    await this.sending;
    const stats = this.connection?.stats();
    await this.connection?.close();
    return stats;
  }
}

async function mainSendFile() {
  const count = Number(opts.count);
  const durationMs = Number(opts.duration) * 1000;
  const rampMs = Number(opts['ramp-ms']);
  const options = opts.ca ? { tls: { ca: fs.readFileSync(opts.ca, 'utf8') } } : {};
  const looped = loopedFile(loadClip(clipFile), durationMs);
  const publishers = Array.from({ length: count }, (_, i) => new FilePublisher(i, looped));
  const runs = publishers.map(async (p) => {
    await sleep((rampMs * p.index) / count);
    try {
      await p.start(`${urlPrefix}${p.index}`, options, durationMs);
    } catch (error) {
      p.error = error;
    }
  });
  const steady = await steadyState(publishers, runs, rampMs, durationMs);
  fs.rmSync(looped.dir, { recursive: true, force: true });
  const connected = publishers.filter((p) => p.connection);
  printResults(count, durationMs, publishers, steady, {
    tags: connected.reduce((s, p) => s + p.due.tags, 0),
    bytes: connected.reduce((s, p) => s + p.due.bytes, 0),
    // Paced natively: no per-write completion to time in JavaScript.
    latenessMs: { p50: null, p99: null, max: null },
  });
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
  const steady = await steadyState(publishers, runs, rampMs, durationMs);
  printResults(count, durationMs, publishers, steady, {
    tags: publishers.reduce((s, p) => s + p.tagsDue, 0),
    bytes: publishers.reduce((s, p) => s + p.bytesDue, 0),
    latenessMs: { p50: lateness.percentile(50) / 1000, p99: lateness.percentile(99) / 1000, max: lateness.max / 1000 },
  });
}

(opts['send-file'] ? mainSendFile() : main()).catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exitCode = 1;
});
