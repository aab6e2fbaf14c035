'use strict';
// Camera mode (`npm run bench -- --camera`): one live stream, paced in real time, as a camera
// sends it for hours: 1080p30 H.264 High at ~4.5 Mbit/s (keyframe every 2 s) and AAC-LC
// 48 kHz 128 kbit/s, encoded once by ffmpeg into Annex-B and ADTS files (cached in
// bench/out/) and fed through named pipes at their due times, as an encoder delivers them.
// Transport: RTMPS to nginx's TLS front, TLS 1.2, one front per suite that accepts only that
// suite, so every client negotiates it whatever its TLS library. Each client in turn, the
// same input, the same server:
//   node-librtmp     publishCamera() reading the pipes (bench/clients/node-librtmp-camera.js),
//                    the devcrypto engine on through the fake /dev/crypto, TLS verified
//   node-librtmp-coalesce-off   the same with the coalescing window off (coalesceMs: 0)
//   node-librtmp-coalesce-frame the same with a window of one video frame interval (34 ms)
//   node-librtmp-soft           the same with the engine off (software AES and HMAC)
//   node-librtmp-read-streams   the same reading the pipes with fs.createReadStream (libuv's
//                               thread pool) instead of by path (the event loop's epoll)
//   node-librtmp-native         connection.sendCamera() with the two pipes: the connection's
//                               thread reads, splits, packetizes and sends (its default window,
//                               one video frame interval)
//   node-librtmp-native-5ms     the same with publishCamera()'s default window, 5 ms
//   node-librtmp-native-unsampled  node-librtmp-native without the bench's event-loop sampler
//   ffmpeg           -f h264 -i PIPE -f aac -i PIPE -c copy -f flv rtmps://… (Debian's, GnuTLS)
//   gstreamer        filesrc ! h264parse ! flvmux streamable=true ! rtmp2sink, aacparse (GnuTLS)
// Measured from outside through /proc over the steady window (from --warmup seconds after the
// first frame to the start of the strace window), so starting, connecting and exiting are
// left out: the bench's fixed-cost method for a stream measured in time rather than bytes.

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { makeTestPki } = require('../../dist/test/helpers/certs');
const { trackChild, terminate, waitForExit } = require('../../dist/test/helpers/children');
const { fakeCryptodevLibrary } = require('../../dist/test/helpers/fake-cryptodev');
const { findExecutable, installOrExit } = require('../../scripts/apt-install');
const { run } = require('../../scripts/lib/run');
const { startNginx } = require('./nginx');
const { watchProcess } = require('./proc-sampler');
const { fmt, markdownTable } = require('./report');
const { parseTrace } = require('./strace');
const { CAMERA_SAMPLE_MS } = require('./event-loop');
const { startTlsRecordRelay } = require('./tls-record-relay');

const FPS = 30;
const VIDEO_KBPS = 4500;
const AUDIO_KBPS = 128;
const AUDIO_RATE = 48000;
const AAC_FRAME_SAMPLES = 1024;
const CLIP_SECONDS = 20; // encoded once, looped for the duration
const MB = 2 ** 20;
const CAMERA_CLIENT = path.join(__dirname, '..', 'clients', 'node-librtmp-camera.js');
const BYSTANDER = path.join(__dirname, '..', 'clients', 'event-loop-bystander.js');
const SUITES = ['ECDHE-RSA-AES128-SHA256', 'ECDHE-RSA-AES128-SHA'];
// GLib's TLS has no option to name a CA file: every check but the unknown CA (127 = all).
const GST_VALIDATION_FLAGS = 126;
// GnuTLS (FFmpeg's and GLib's TLS) leaves the CBC-SHA256 suites out of its default priorities
// and neither program has an option for them: its system configuration file can add them
// (GNUTLS_SYSTEM_PRIORITY_FILE), read by gnutls_set_default_priority() and GLib alike.
const GNUTLS_PRIORITY_OVERRIDE = '[overrides]\ndefault-priority-string = NORMAL:+SHA256\n';

function gnutlsEnv(dir) {
  const file = path.join(dir, 'gnutls.config');
  fs.writeFileSync(file, GNUTLS_PRIORITY_OVERRIDE);
  return { ...process.env, GNUTLS_SYSTEM_PRIORITY_FILE: file };
}

function log(message) {
  process.stderr.write(`bench: ${message}\n`);
}

// A feeder's open() of a pipe waits (in libuv's thread pool) for a reader; if the client never
// opens it, a reader of our own releases it, or the process could not exit.
const openPipes = new Set();
function releasePipe(pipe) {
  try {
    fs.closeSync(fs.openSync(pipe, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
  } catch {
    // Gone already.
  }
  openPipes.delete(pipe);
}
process.on('exit', () => [...openPipes].forEach(releasePipe));

function checkCameraPrerequisites() {
  const inspect = (element) => findExecutable('gst-inspect-1.0') && spawnSync('gst-inspect-1.0', [element], { stdio: 'ignore' }).status === 0;
  const missing = ['rtmp2sink', 'h264parse', 'aacparse', 'flvmux'].filter((e) => !inspect(e));
  if (missing.length > 0 || !findExecutable('gst-launch-1.0')) {
    log(`GStreamer elements missing: ${missing.join(', ') || 'gst-launch-1.0'}`);
    installOrExit(['gstreamer1.0-tools', 'gstreamer1.0-plugins-good', 'gstreamer1.0-plugins-bad'], 'the camera benchmark');
  }
}

/** The encoder's output, made once: `{ h264, adts }` in `outDir`. */
async function cameraMedia(outDir) {
  const base = path.join(outDir, `camera-1080p30-${VIDEO_KBPS}k-${CLIP_SECONDS}s`);
  const h264 = `${base}.h264`;
  const adts = `${base}.aac`;
  if (fs.existsSync(h264) && fs.existsSync(adts)) return { h264, adts };
  fs.mkdirSync(outDir, { recursive: true });
  log(`encoding ${path.basename(base)} (.h264, .aac) with ffmpeg, once`);
  const tmp = `.tmp-${process.pid}`;
  await run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=${FPS}:duration=${CLIP_SECONDS},noise=alls=10:allf=t`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${AUDIO_RATE}:duration=${CLIP_SECONDS}`,
    // High profile (CABAC, 8x8 transforms), no B-frames (a live camera's low-latency setting:
    // decode order is presentation order), keyframe every 2 s, constant bitrate, SPS/PPS
    // before every keyframe (a raw stream carries them in band).
    '-map', '0:v', '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-bf', '0', '-pix_fmt', 'yuv420p',
    '-g', String(2 * FPS), '-keyint_min', String(2 * FPS), '-sc_threshold', '0',
    '-b:v', `${VIDEO_KBPS}k`, '-maxrate', `${VIDEO_KBPS}k`, '-bufsize', `${VIDEO_KBPS}k`, '-threads', '2',
    '-f', 'h264', `${h264}${tmp}`,
    '-map', '1:a', '-c:a', 'aac', '-b:a', `${AUDIO_KBPS}k`, '-ac', '2', '-f', 'adts', `${adts}${tmp}`,
  ]);
  fs.renameSync(`${h264}${tmp}`, h264);
  fs.renameSync(`${adts}${tmp}`, adts);
  return { h264, adts };
}

/** The clip split into access units and ADTS frames (with the package's own splitters). */
function loadUnits(media, packageRoot) {
  const { AnnexBSplitter, AdtsSplitter } = require(path.join(packageRoot, 'dist', 'lib', 'index.js'));
  const video = new AnnexBSplitter();
  const units = video.push(fs.readFileSync(media.h264));
  units.push(...video.flush());
  const frames = new AdtsSplitter().push(fs.readFileSync(media.adts)).map((f) => f.data);
  return { video: units, audio: frames };
}

/**
 * Writes `durationSeconds` of the looped clip into two named pipes, each unit when it is due
 * from the moment the video pipe is opened. Resolves with what was fed once both are closed.
 */
async function feedPipes({ videoPipe, audioPipe, units, durationSeconds, onStart }) {
  const videoTotal = Math.round(durationSeconds * FPS);
  const audioTotal = Math.round((durationSeconds * AUDIO_RATE) / AAC_FRAME_SAMPLES);
  const streams = {
    video: fs.createWriteStream(videoPipe, { highWaterMark: 1 }),
    audio: fs.createWriteStream(audioPipe, { highWaterMark: 1 }),
  };
  // A client that stops reading (it failed) ends the feed; runClient reports why.
  let failure = null;
  const closed = Object.values(streams).map((s) => new Promise((resolve) => {
    s.on('error', (error) => {
      failure ??= error;
      s.destroy();
    });
    s.once('close', resolve);
  }));
  await new Promise((resolve) => {
    streams.video.once('open', resolve);
    streams.video.once('close', resolve);
  });
  const start = performance.now();
  onStart(start);
  const fed = { videoFrames: 0, audioFrames: 0, bytes: 0 };
  const due = {
    video: (i) => (i * 1000) / FPS,
    audio: (i) => (i * AAC_FRAME_SAMPLES * 1000) / AUDIO_RATE,
  };
  let v = 0;
  let a = 0;
  while ((v < videoTotal || a < audioTotal) && failure === null) {
    const now = performance.now() - start;
    while (v < videoTotal && due.video(v) <= now) {
      const unit = units.video[v % units.video.length];
      streams.video.write(unit);
      fed.bytes += unit.length;
      v += 1;
    }
    while (a < audioTotal && due.audio(a) <= now) {
      const frame = units.audio[a % units.audio.length];
      streams.audio.write(frame);
      fed.bytes += frame.length;
      a += 1;
    }
    const next = Math.min(v < videoTotal ? due.video(v) : Infinity, a < audioTotal ? due.audio(a) : Infinity);
    if (next !== Infinity) await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - (performance.now() - start))));
  }
  fed.videoFrames = v;
  fed.audioFrames = a;
  for (const s of Object.values(streams)) s.end();
  await Promise.all(closed);
  if (failure) throw new Error(`the client stopped reading its input (${failure.code ?? failure.message})`);
  return fed;
}

// The command line of each client.
function clientCommand(client, { dir, url, videoPipe, audioPipe, suite, caFile, packageRoot, deviceLibrary, statsFile }) {
  switch (client) {
    case 'node-librtmp':
    case 'node-librtmp-coalesce-off':
    case 'node-librtmp-coalesce-frame':
    case 'node-librtmp-soft':
    case 'node-librtmp-read-streams':
    case 'node-librtmp-native':
    case 'node-librtmp-native-5ms':
    case 'node-librtmp-native-unsampled': {
      const args = [CAMERA_CLIENT, url, videoPipe, audioPipe, '--fps', String(FPS), '--ciphers', suite, '--ca', caFile, '--package', packageRoot];
      if (client === 'node-librtmp-coalesce-off') args.push('--coalesce-ms', '0');
      if (client === 'node-librtmp-coalesce-frame') args.push('--coalesce-ms', String(Math.ceil(1000 / FPS)));
      if (client.startsWith('node-librtmp-native')) args.push('--native');
      if (client === 'node-librtmp-native-5ms') args.push('--coalesce-ms', '5');
      if (client === 'node-librtmp-native-unsampled') args.push('--no-sampler');
      if (client === 'node-librtmp-read-streams') args.push('--read-streams');
      const env = { ...process.env };
      if (client !== 'node-librtmp-soft') {
        // The fake device writes its counters once, at exit: no file writes while measuring.
        Object.assign(env, { LD_PRELOAD: deviceLibrary, FAKE_CRYPTODEV_STATS: statsFile, FAKE_CRYPTODEV_STATS_EVERY: '0' });
      }
      // BENCH_NODE_ARGS: options for the client's Node, e.g. '--cpu-prof --cpu-prof-dir=DIR' to
      // profile it (NODE_OPTIONS does not take --cpu-prof).
      const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
      return { command: process.execPath, args: [...nodeArgs, ...args], env };
    }
    case 'ffmpeg':
      return {
        command: 'ffmpeg',
        args: [
          '-hide_banner', '-nostdin', '-loglevel', 'error',
          '-probesize', '1M', '-analyzeduration', '1M',
          '-f', 'h264', '-framerate', String(FPS), '-i', videoPipe,
          '-f', 'aac', '-i', audioPipe,
          '-map', '0:v', '-map', '1:a', '-c', 'copy',
          '-tls_verify', '1', '-ca_file', caFile,
          '-f', 'flv', url,
        ],
        env: gnutlsEnv(dir),
      };
    case 'gstreamer':
      return {
        command: 'gst-launch-1.0',
        args: [
          '-q',
          'filesrc', `location=${videoPipe}`, '!', 'h264parse', '!', 'queue', '!',
          'flvmux', 'name=mux', 'streamable=true', '!', 'rtmp2sink', `location=${url}`, `tls-validation-flags=${GST_VALIDATION_FLAGS}`,
          'filesrc', `location=${audioPipe}`, '!', 'aacparse', '!', 'queue', '!', 'mux.',
        ],
        env: gnutlsEnv(dir),
      };
    default:
      throw new Error(`unknown camera client ${client}`);
  }
}

// Write calls on the client's busiest descriptor (its socket) over `seconds`, by attaching
// strace for that long (the CPU window has ended by then).
async function countSocketWrites(pid, seconds) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-bench-strace-'));
  const traceFile = path.join(dir, 'trace.txt');
  try {
    const tracer = spawn('strace', ['-f', '-qq', '-s', '0', '-e', 'trace=write,sendto,sendmsg,writev', '-e', 'signal=none', '-o', traceFile, '-p', String(pid)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    trackChild(tracer);
    const attachedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000)); // the counting window
    const tracedSeconds = (performance.now() - attachedAt) / 1000;
    tracer.kill('SIGINT'); // detaches
    await waitForExit(tracer);
    const counts = parseTrace(fs.readFileSync(traceFile, 'utf8'));
    return { ...counts, seconds: tracedSeconds };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function rssGrowthMb(samples, from, to) {
  const span = Math.min(60000, (to - from) / 3);
  const max = (list) => Math.max(...list.map((s) => s.rssBytes));
  const first = samples.filter((s) => s.at >= from && s.at < from + span);
  const last = samples.filter((s) => s.at > to - span && s.at <= to);
  if (first.length === 0 || last.length === 0) return null;
  return (max(last) - max(first)) / MB;
}

// The event-loop bystander (clients/event-loop-bystander.js) for one client's steady window.
function startBystander() {
  const child = spawn(process.execPath, [BYSTANDER], { stdio: ['pipe', 'pipe', 'inherit'] });
  trackChild(child);
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const exited = waitForExit(child);
  return {
    async stop() {
      child.stdin.end();
      const { code, signal } = await exited;
      if (code !== 0) throw new Error(`the event-loop bystander failed (${code ?? signal})`);
      return lastJson(stdout);
    },
    kill: () => (child.exitCode === null ? terminate(child, 'SIGKILL', 5000) : undefined),
  };
}

async function runClient({ client, suite, nginx, relay, units, durationSeconds, warmupSeconds, straceSeconds, caFile, packageRoot, deviceLibrary }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-bench-camera-'));
  const videoPipe = path.join(dir, 'video.h264');
  const audioPipe = path.join(dir, 'audio.aac');
  const statsFile = path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : dir, `librtmp-bench-device-${process.pid}-${client}.json`);
  spawnSync('mkfifo', [videoPipe, audioPipe]);
  openPipes.add(videoPipe).add(audioPipe);
  const name = `camera-${client}-${suite}-${process.pid}`;
  const url = `rtmps://127.0.0.1:${relay.port}/live/${name}`;
  const { command, args, env } = clientCommand(client, { dir, url, videoPipe, audioPipe, suite, caFile, packageRoot, deviceLibrary, statsFile });
  log(`${client} over ${suite} for ${durationSeconds} s`);
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = waitForExit(child);
  const watcher = watchProcess(child.pid);
  let start;
  const windows = {};
  let bystander;
  const feeding = feedPipes({ videoPipe, audioPipe, units, durationSeconds, onStart: (at) => (start = at) });
  const failedEarly = exited.then(({ code, signal }) => {
    throw new Error(`${client} exited (${code ?? signal}) while publishing:\n${stderr.trim()}`);
  });
  failedEarly.catch(() => undefined);
  const at = (seconds) => new Promise((resolve) => setTimeout(resolve, Math.max(0, start + seconds * 1000 - performance.now())));
  const measuring = (async () => {
    await new Promise((resolve, reject) => {
      const check = setInterval(() => start !== undefined && (clearInterval(check), resolve()), 10);
      failedEarly.catch((e) => (clearInterval(check), reject(e)));
    });
    await at(warmupSeconds);
    bystander = startBystander();
    windows.from = { proc: watcher.mark(), relay: relay.counts() };
    await at(durationSeconds - straceSeconds - 1);
    windows.to = { proc: watcher.mark(), relay: relay.counts() };
    windows.bystander = await bystander.stop();
    windows.writes = await countSocketWrites(child.pid, straceSeconds - 1);
  })();
  try {
    const fed = await Promise.race([Promise.all([feeding, measuring]).then(([f]) => f), failedEarly]).catch(async (error) => {
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
      throw new Error(`${client}: ${error.message}\n${stderr.trim()}`);
    });
    const { code, signal } = await Promise.race([exited, new Promise((_, reject) => setTimeout(() => reject(new Error(`${client} did not exit after its input ended`)), 60000))]);
    const samples = watcher.stop();
    if (code !== 0) throw new Error(`${client} failed (${code ?? signal}):\n${stderr.trim()}`);
    const session = await nginx.waitForSession(name, 30000);
    const seconds = (windows.to.proc.at - windows.from.proc.at) / 1000;
    const result = lastJson(stdout);
    let device = null;
    if (fs.existsSync(statsFile)) {
      device = JSON.parse(fs.readFileSync(statsFile, 'utf8'));
      fs.rmSync(statsFile, { force: true });
    }
    return {
      client,
      suite,
      durationSeconds,
      windowSeconds: seconds,
      fed,
      serverBytesReceived: session.bytesReceived,
      cpuSecondsPerHour: ((windows.to.proc.cpuSeconds - windows.from.proc.cpuSeconds) / seconds) * 3600,
      wakeupsPerSecond: (windows.to.proc.switches - windows.from.proc.switches) / seconds,
      tlsRecordsPerSecond: (windows.to.relay.records - windows.from.relay.records) / seconds,
      socketWritesPerSecond: windows.writes.socketWrites / windows.writes.seconds,
      allWriteCallsPerSecond: windows.writes.allWriteCalls / windows.writes.seconds,
      peakRssMb: Math.max(...samples.map((s) => s.peakRssBytes)) / MB,
      rssGrowthMb: rssGrowthMb(samples, windows.from.proc.at, windows.to.proc.at),
      threads: Math.max(...samples.map((s) => s.threads)),
      eventLoop: result.eventLoop ?? null,
      idleEventLoop: result.idleEventLoop ?? null,
      bystanderEventLoop: windows.bystander,
      framesWritten: result.videoFrames === undefined ? null : { video: result.videoFrames, audio: result.audioFrames },
      tlsInfo: result.tlsInfo ?? null,
      device: device && { total: device.total, algorithms: device.algorithms },
    };
  } finally {
    if (child.exitCode === null) await terminate(child, 'SIGKILL', 5000);
    await bystander?.kill();
    watcher.stop();
    releasePipe(videoPipe);
    releasePipe(audioPipe);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function lastJson(stdout) {
  const line = stdout.trim().split('\n').findLast((l) => l.startsWith('{') && !l.startsWith('{"phase"'));
  return line ? JSON.parse(line) : {};
}

const LABELS = {
  'node-librtmp': 'node-librtmp publishCamera()',
  'node-librtmp-coalesce-off': 'node-librtmp, coalescing off',
  'node-librtmp-coalesce-frame': 'node-librtmp, coalesceMs one frame',
  'node-librtmp-soft': 'node-librtmp, engine off',
  'node-librtmp-read-streams': 'node-librtmp, pipes by fs.createReadStream',
  'node-librtmp-native': 'node-librtmp sendCamera()',
  'node-librtmp-native-5ms': 'node-librtmp sendCamera(), coalesceMs 5',
  'node-librtmp-native-unsampled': 'node-librtmp sendCamera(), no event-loop sampler',
  ffmpeg: 'FFmpeg',
  gstreamer: 'GStreamer',
};

function cameraTable(rows) {
  const header = [
    'suite', 'client', 'CPU s/hour', 'vs FFmpeg', 'vs GStreamer', 'socket writes/s', 'TLS records/s', 'wake-ups/s',
    'peak RSS MB', 'RSS last vs first min MB', 'event loop p50 / p99 ms, busy % (idle p99)', 'bystander p50 / p99 ms, CPU s/hour',
    'server received MB',
  ];
  return markdownTable(
    header,
    rows.map((r) => {
      if (r.failed) return [r.suite, LABELS[r.client], `failed: ${r.failed}`, ...header.slice(3).map(() => '–')];
      const peer = (c) => rows.find((o) => o.client === c && o.suite === r.suite && !o.failed)?.cpuSecondsPerHour ?? null;
      const ratio = (ref) => (ref ? `${(r.cpuSecondsPerHour / ref).toFixed(2)}×` : '–');
      const eld = r.eventLoop
        ? `${fmt(r.eventLoop.p50Ms, 2)} / ${fmt(r.eventLoop.p99Ms, 2)}, ${fmt(r.eventLoop.busyPercent, 1)} % (idle ${fmt(r.idleEventLoop?.p99Ms, 2)})`
        : '–';
      return [
        r.suite, LABELS[r.client], fmt(r.cpuSecondsPerHour, 0), ratio(peer('ffmpeg')), ratio(peer('gstreamer')),
        fmt(r.socketWritesPerSecond, 1), fmt(r.tlsRecordsPerSecond, 1), fmt(r.wakeupsPerSecond, 0), fmt(r.peakRssMb, 1),
        r.rssGrowthMb === null ? '–' : `${r.rssGrowthMb >= 0 ? '+' : ''}${fmt(r.rssGrowthMb, 2)}`, eld,
        r.bystanderEventLoop
          ? `${fmt(r.bystanderEventLoop.p50Ms, 2)} / ${fmt(r.bystanderEventLoop.p99Ms, 2)}, ${fmt(r.bystanderEventLoop.cpuSecondsPerHour, 1)}`
          : '–',
        fmt(r.serverBytesReceived / MB, 1),
      ];
    }),
  );
}

// The goals of issue 18, each as met or missed in this run, for each of the library's ways
// to stream a camera that ran: publishCamera() (JavaScript per frame) and sendCamera().
const JUDGED = ['node-librtmp', 'node-librtmp-native', 'node-librtmp-native-unsampled'];

function goals(rows) {
  const lines = [];
  for (const suite of new Set(rows.map((r) => r.suite))) {
    const get = (c) => rows.find((r) => r.client === c && r.suite === suite && !r.failed);
    const ffmpeg = get('ffmpeg');
    const gst = get('gstreamer');
    for (const client of JUDGED) {
      const node = get(client);
      if (!node) continue;
      const mark = (ok) => (ok === null ? 'not measured' : ok ? 'met' : 'MISSED');
      const check = (ok, text) => lines.push(`- ${suite}, ${LABELS[client]}: ${text}: ${mark(ok)}`);
      check(ffmpeg ? node.cpuSecondsPerHour <= 0.5 * ffmpeg.cpuSecondsPerHour : null, `CPU/hour ≤ 0.5× FFmpeg (${fmt(ffmpeg ? node.cpuSecondsPerHour / ffmpeg.cpuSecondsPerHour : null, 2)}×)`);
      check(gst ? node.cpuSecondsPerHour <= gst.cpuSecondsPerHour : null, `CPU/hour ≤ GStreamer (${fmt(gst ? node.cpuSecondsPerHour / gst.cpuSecondsPerHour : null, 2)}×)`);
      check(node.socketWritesPerSecond <= 35, `≤ 35 socket writes/s (${fmt(node.socketWritesPerSecond, 1)})`);
      check(node.eventLoop ? node.eventLoop.p99Ms < 2 : null,
        `event-loop p99 < 2 ms (${fmt(node.eventLoop?.p99Ms, 2)} ms; a do-nothing Node process beside it: ${fmt(node.bystanderEventLoop?.p99Ms, 2)} ms)`);
      check(node.rssGrowthMb === null ? null : node.rssGrowthMb <= 1, `RSS flat, last vs first minute ≤ +1 MB (${fmt(node.rssGrowthMb, 2)} MB)`);
    }
  }
  return lines.join('\n');
}

async function runCamera({ outDir, durationSeconds, clients, suites, packageRoot }) {
  checkCameraPrerequisites();
  if (durationSeconds < 30) throw new Error('--duration must be at least 30 s in camera mode (warm-up, steady window, strace window)');
  for (const suite of suites) if (!SUITES.includes(suite)) throw new Error(`--suites: ${suite} is not one of ${SUITES.join(', ')}`);
  for (const client of clients) if (!LABELS[client]) throw new Error(`--clients: unknown camera client ${client}`);
  const warmupSeconds = 10;
  const straceSeconds = Math.min(15, Math.round(durationSeconds / 6));
  const media = await cameraMedia(outDir);
  const root = path.resolve(packageRoot);
  const units = loadUnits(media, root);
  const deviceLibrary = await fakeCryptodevLibrary();
  const pki = await makeTestPki();
  const nginx = await startNginx({ cert: pki.server.certPath, key: pki.server.keyPath, tlsSuites: suites });
  const rows = [];
  let negotiated = [];
  try {
    for (const suite of suites) {
      const relay = await startTlsRecordRelay(nginx.frontPort(suite));
      try {
        for (const client of clients) {
          // A client that fails (GStreamer has closed its input pipe early under heavy load) is
          // reported as such; the others of a long run still count.
          try {
            rows.push(await runClient({
              client, suite, nginx, relay, units, durationSeconds, warmupSeconds, straceSeconds, caFile: pki.ca.certPath, packageRoot: root, deviceLibrary,
            }));
          } catch (error) {
            log(`${client} over ${suite} failed: ${error.message}`);
            rows.push({ client, suite, failed: error.message.split('\n')[0] });
          }
        }
      } finally {
        await relay.close();
      }
    }
    negotiated = nginx.tlsSessions().map((s) => `${s.protocol} ${s.cipher}`);
  } finally {
    await nginx.stop();
    pki.remove();
  }
  const markdown = [
    `Camera: one live stream per client, ${durationSeconds} s each, 1080p30 H.264 High ${VIDEO_KBPS} kbit/s (keyframe every 2 s, no B-frames) + ` +
      `AAC-LC ${AUDIO_RATE / 1000} kHz ${AUDIO_KBPS} kbit/s, fed through named pipes at their due times; RTMPS (TLS 1.2) to nginx on loopback. ` +
      `Steady window: ${warmupSeconds} s after the first frame to ${straceSeconds + 1} s before the end; socket writes counted by strace over the last ${straceSeconds - 1} s. ` +
      `Bystander: a Node process that only samples its own event loop (every ${CAMERA_SAMPLE_MS} ms, as the node-librtmp client does), run beside each client over the window: what the shared cores alone do to a timer; its CPU is what that sampling costs, which the node-librtmp client's figure includes.`,
    '',
    cameraTable(rows),
    '',
    goals(rows),
    '',
    `Negotiated (nginx's log): ${[...new Set(negotiated)].join(', ')}.`,
  ].join('\n');
  return { mode: 'camera', parameters: { durationSeconds, clients, suites, warmupSeconds, straceSeconds, package: root }, rows, markdown };
}

module.exports = { runCamera, cameraMedia, feedPipes, loadUnits, FPS, SUITES };
