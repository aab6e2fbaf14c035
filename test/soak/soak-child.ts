// The soak, inside its own network and mount namespaces (`unshare --net --mount`, as root):
// a real-time camera stream (H.264 Annex-B + AAC ADTS made by ffmpeg once, looped with rising
// timestamps) through publishCamera over RTMPS to one nginx-rtmp per destination, each behind
// its own TLS front. Destination 0 is the faulted one: its uplink is shaped with tc (htb) and
// the schedule's faults hit only it; the others must lose nothing. Prints one JSON report.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { publishCamera, type DestinationStats, type ReconnectingPublisher } from '../../lib/media/reconnecting-publisher';
import { readAccessUnits } from '../../lib/media/annexb-splitter';
import { readAdtsFrames } from '../../lib/media/adts-splitter';
import { FlvParser } from '../../lib/flv';
import { makeTestPki } from '../helpers/certs';
import { bringLoopbackUp } from '../helpers/netns';
import { startRtmpInjector, type RtmpInjector } from './rtmp-injector';
import { type Fault, type FaultKind } from './schedule';

export interface SoakInput {
  faults: Fault[];
  /** The stream runs this long, ms. */
  runMs: number;
  destinations: number;
  workDir: string;
  /** The source loop's length, seconds. */
  loopSeconds?: number;
}

export interface FaultReport {
  kind: FaultKind;
  atMs: number;
  durationMs: number;
  /** From the fault's end to the faulted destination's first frame written after it, ms. */
  recoveryMs: number | null;
  /** Over the window from this fault's start to the next one's (or the end). */
  video: FrameCounts;
  audio: FrameCounts;
  reconnects: number;
  /** Each reconnection in the window: resumed TLS session or full handshake. */
  handshakes: ('resumed' | 'full')[];
  /**
   * The first recording session that started in the window: its first video frame's time
   * minus its first audio frame's, ms (audio resumes at once, video at the next keyframe).
   */
  videoAfterAudioMs: number | null;
}

export interface FrameCounts {
  due: number;
  sent: number;
  droppedByRule: Record<string, number>;
  skippedForKeyframe: number;
  lostInFlight: number;
}

export interface DestinationReport {
  url: string;
  faulted: boolean;
  stats: DestinationStats;
  sessions: number;
  received: { video: number; audio: number };
}

export interface ProcessSample {
  rssMb: number;
  fds: number;
  threads: number;
}

export interface SoakReport {
  runMs: number;
  bitrateKbps: number;
  uplinkKbps: number;
  faults: FaultReport[];
  destinations: DestinationReport[];
  process: { start: ProcessSample; max: ProcessSample; end: ProcessSample };
  cpuSeconds: number;
  cpuSecondsPerHour: number;
  /** The longest the event loop was held up (a starved process bursts frames into the queues). */
  maxLoopDelayMs: number;
  events: { name: string; atMs: number; destination: number; detail: string }[];
}

const LOOPBACK = '127.0.0.1';
const FAULTED_HOST = 'localhost'; // resolved from a private /etc/hosts, so DNS can fail
const HOSTS_FILE_LINE = '127.0.0.1 localhost\n';
const MODULES = '/usr/lib/nginx/modules';
const VIDEO_MS = 40; // 25 fps

function run(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)); // the schedule's clock

// --- Servers ----------------------------------------------------------------------------------

class Nginx {
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  constructor(
    readonly name: string,
    readonly config: string,
  ) {}

  async start(port: number): Promise<void> {
    const child = spawn('nginx', ['-p', path.dirname(this.config), '-c', this.config], { stdio: 'ignore' });
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await waitForPort(port);
  }

  signal(signal: NodeJS.Signals): void {
    this.#child?.kill(signal);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.#child?.kill('SIGCONT');
    this.#child?.kill(signal);
    await this.#exited;
    this.#child = undefined;
  }
}

async function waitForPort(port: number): Promise<void> {
  const net = await import('node:net');
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, LOOPBACK);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(25);
  }
  throw new Error(`nothing listens on ${port}`);
}

function common(dir: string): string {
  return `daemon off; master_process off; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;\n`;
}

// A publisher whose link died stays live on the server until the server drops it, and its
// stream name with it: every new publish to the name is refused meanwhile ("Already
// publishing"). nginx-rtmp alone never drops it here (the TLS front keeps the dead session's
// upstream open and quiet): after a 30 s link-down the camera's publishes were refused for
// over a minute (measured). drop_idle_publisher frees the name after 10 s without media, as
// an ingest server must for cameras to come back.
const DROP_IDLE_PUBLISHER = '10s';

function rtmpConfig(dir: string, port: number, recordDir: string): string {
  return (
    common(dir) +
    `load_module ${MODULES}/ngx_rtmp_module.so;\nevents { worker_connections 256; }\n` +
    `rtmp { access_log off; server { listen ${LOOPBACK}:${port}; chunk_size 4096;\n` +
    `  application live { live on; drop_idle_publisher ${DROP_IDLE_PUBLISHER}; record all; record_path ${recordDir}; record_unique on; } } }\n`
  );
}

function frontConfig(dir: string, port: number, target: number, cert: string, key: string): string {
  return (
    common(dir) +
    `load_module ${MODULES}/ngx_stream_module.so;\nevents { worker_connections 256; }\n` +
    `stream { server { listen ${LOOPBACK}:${port} ssl; ssl_certificate ${cert}; ssl_certificate_key ${key};\n` +
    `  ssl_protocols TLSv1.2 TLSv1.3; ssl_session_tickets on; ssl_session_cache shared:soak:1m;\n` +
    `  proxy_pass ${LOOPBACK}:${target}; } }\n`
  );
}

// --- The faulted uplink: htb on the loopback, the faulted TLS front's port in its own class ---

class Uplink {
  readonly #queuePackets: number;
  constructor(
    readonly port: number,
    readonly kbit: number,
  ) {
    // About 3 s of queue at the rate (field notes: a short queue stalls instead of trickling).
    this.#queuePackets = Math.max(20, Math.round((kbit * 1000 * 3) / 8 / 1500));
  }

  setUp(): void {
    run('ip', ['link', 'set', 'lo', 'mtu', '1500']);
    run('tc', ['qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'htb', 'default', '10']);
    run('tc', ['class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:10', 'htb', 'rate', '10gbit']);
    run('tc', ['class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:20', 'htb', ...this.#rateArgs(this.kbit)]);
    this.#queue(this.#queuePackets);
    for (const field of ['dport', 'sport']) {
      run('tc', ['filter', 'add', 'dev', 'lo', 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32',
        'match', 'ip', field, String(this.port), '0xffff', 'flowid', '1:20']);
    }
  }

  /**
   * Link down: the class's queue holds nothing (pfifo limit 0), so every packet either way is
   * dropped silently, as on a dead radio link (connects time out); up: the queue is back.
   * Not a near-zero rate: htb charges a 1.5 KB packet at 8 bit/s its 60 s token floor
   * (`mbuffer`), and `tc class change` keeps that debt, so the class stayed shut for up to a
   * minute after the link came back (measured: tokens -60 s, connects timing out).
   */
  linkUp(up: boolean): void {
    this.#queue(up ? this.#queuePackets : 0);
  }

  /** The faulted link's rate (a capacity cut and its end). */
  rate(kbit: number): void {
    run('tc', ['class', 'change', 'dev', 'lo', 'parent', '1:', 'classid', '1:20', 'htb', ...this.#rateArgs(kbit)]);
  }

  #queue(packets: number): void {
    run('tc', ['qdisc', 'replace', 'dev', 'lo', 'parent', '1:20', 'handle', '20:', 'pfifo', 'limit', String(packets)]);
  }

  // The ceiling too: htb lets a class borrow up to its ceil, which `change` would keep.
  #rateArgs(kbit: number): string[] {
    const rate = `${kbit}kbit`;
    return ['rate', rate, 'ceil', rate, 'burst', '3000', 'cburst', '3000'];
  }
}

// --- Media ------------------------------------------------------------------------------------

interface Source {
  video: { data: Buffer; ms: number }[];
  audio: { data: Buffer; ms: number }[];
  loopMs: number;
  bitrateKbps: number;
}

async function makeSource(dir: string, seconds: number): Promise<Source> {
  const h264 = path.join(dir, 'camera.h264');
  const adts = path.join(dir, 'camera.adts');
  run('ffmpeg', [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=25:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`,
    '-map', '0:v', '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '0', '-g', '50', '-b:v', '800k', '-maxrate', '900k',
    '-bufsize', '900k', '-pix_fmt', 'yuv420p', '-x264-params', 'aud=1', '-threads', '2', '-f', 'h264', h264,
    '-map', '1:a', '-c:a', 'aac', '-ac', '2', '-b:a', '64k', '-f', 'adts', adts,
  ]);
  const video: Source['video'] = [];
  for await (const unit of readAccessUnits(fs.createReadStream(h264))) video.push({ data: unit, ms: video.length * VIDEO_MS });
  const audio: Source['audio'] = [];
  for await (const frame of readAdtsFrames(fs.createReadStream(adts))) {
    audio.push({ data: frame.data, ms: Math.round((audio.length * 1024 * 1000) / 44100) });
  }
  const loopMs = video.length * VIDEO_MS;
  // Whole loops of audio only: the next loop's audio starts where its video does.
  const audioInLoop = audio.filter((a) => a.ms < loopMs);
  const bytes = [...video, ...audioInLoop].reduce((n, f) => n + f.data.length, 0);
  return { video, audio: audioInLoop, loopMs, bitrateKbps: Math.round((bytes * 8) / loopMs) };
}

/** Writes the looped source with rising timestamps until `runMs`; the camera paces it. */
async function feed(camera: ReconnectingPublisher, source: Source, runMs: number, stopped: () => boolean): Promise<void> {
  for (let loop = 0; !stopped(); loop++) {
    const base = loop * source.loopMs;
    let a = 0;
    for (let v = 0; v < source.video.length && !stopped(); v++) {
      const ms = base + source.video[v].ms;
      if (ms >= runMs) return;
      while (a < source.audio.length && base + source.audio[a].ms <= ms) {
        await camera.writeAudio({ data: source.audio[a].data, pts: base + source.audio[a].ms });
        a++;
      }
      await camera.writeVideo({ data: source.video[v].data, pts: ms, dts: ms });
    }
  }
}

// --- What arrived -----------------------------------------------------------------------------

interface Session {
  startedAtMs: number;
  video: number;
  audio: number;
  videoAfterAudioMs: number | null;
}

// record_unique names each session's file <name>-<unix seconds>.flv.
const sessionStart = (file: string, epochMs: number): number => Number(/-(\d+)\.flv$/.exec(file)?.[1] ?? 0) * 1000 - epochMs;

/**
 * nginx opens a session's recording when the publish starts: a connection that got no media
 * through (the link went, the server stopped) leaves a file with at most the FLV header and
 * metadata, which ffprobe refuses ("Invalid data found"). Such a file is a session of 0 frames.
 */
function hasNoMedia(file: string): boolean {
  if (fs.statSync(file).size > 1 << 20) return false; // a megabyte holds media
  try {
    return new FlvParser().push(fs.readFileSync(file)).every((tag) => tag.type === 'script');
  } catch {
    return false; // not FLV as we know it: ffprobe says what is wrong
  }
}

function probeSession(file: string, epochMs: number): Session {
  if (hasNoMedia(file)) return { startedAtMs: sessionStart(file, epochMs), video: 0, audio: 0, videoAfterAudioMs: null };
  const counts = JSON.parse(
    run('ffprobe', ['-v', 'error', '-count_packets', '-show_entries', 'stream=codec_type,nb_read_packets', '-of', 'json', file]),
  ) as { streams: { codec_type: string; nb_read_packets?: string }[] };
  const count = (type: string): number => Number(counts.streams.find((s) => s.codec_type === type)?.nb_read_packets ?? 0);
  const first = JSON.parse(
    run('ffprobe', ['-v', 'error', '-read_intervals', '%+#200', '-show_entries', 'packet=codec_type,pts_time', '-of', 'json', file]),
  ) as { packets?: { codec_type: string; pts_time?: string }[] };
  const start = (type: string): number | undefined => {
    const p = first.packets?.find((x) => x.codec_type === type && x.pts_time !== undefined);
    return p ? Number(p.pts_time) * 1000 : undefined;
  };
  const v = start('video');
  const a = start('audio');
  return { startedAtMs: sessionStart(file, epochMs), video: count('video'), audio: count('audio'), videoAfterAudioMs: v !== undefined && a !== undefined ? Math.round(v - a) : null };
}

// --- The run ----------------------------------------------------------------------------------

function sample(): ProcessSample {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  return {
    rssMb: Math.round((process.memoryUsage().rss / 1048576) * 10) / 10,
    fds: fs.readdirSync('/proc/self/fd').length,
    threads: Number(/Threads:\s+(\d+)/.exec(status)?.[1] ?? 0),
  };
}

function counts(before: DestinationStats, after: DestinationStats, track: 'video' | 'audio'): FrameCounts {
  const v = track === 'video';
  const droppedByRule: Record<string, number> = {};
  for (const [reason, n] of Object.entries(after.droppedByReason)) {
    const prev = before.droppedByReason[reason as keyof DestinationStats['droppedByReason']];
    droppedByRule[reason] = v ? n.videoFrames - prev.videoFrames : n.audioFrames - prev.audioFrames;
  }
  return {
    due: v ? after.videoFramesIn - before.videoFramesIn : after.audioFramesIn - before.audioFramesIn,
    sent: v ? after.videoFramesSent - before.videoFramesSent : after.audioFramesSent - before.audioFramesSent,
    droppedByRule,
    skippedForKeyframe: v ? after.skippedVideoFrames - before.skippedVideoFrames : 0,
    lostInFlight: v ? after.videoFramesLostInFlight - before.videoFramesLostInFlight : after.audioFramesLostInFlight - before.audioFramesLostInFlight,
  };
}

export async function runSoak(input: SoakInput): Promise<SoakReport> {
  bringLoopbackUp();
  const work = input.workDir;
  fs.mkdirSync(work, { recursive: true });
  // A private /etc/hosts (this mount namespace only): the faulted host's name can stop resolving.
  const hosts = path.join(work, 'hosts');
  fs.writeFileSync(hosts, HOSTS_FILE_LINE);
  run('mount', ['--bind', hosts, '/etc/hosts']);
  const pki = await makeTestPki();
  const source = await makeSource(work, input.loopSeconds ?? 10);

  const basePort = 20000 + Math.floor(Math.random() * 20000);
  const servers: { rtmp: Nginx; front: Nginx; rtmpPort: number; frontPort: number; recordDir: string }[] = [];
  let injector: RtmpInjector | undefined;
  for (let i = 0; i < input.destinations; i++) {
    const dir = path.join(work, `destination-${i}`);
    const recordDir = path.join(dir, 'record');
    fs.mkdirSync(recordDir, { recursive: true });
    fs.mkdirSync(path.join(dir, 'front'), { recursive: true });
    const rtmpPort = basePort + i * 3;
    const frontPort = rtmpPort + 1;
    const injectorPort = rtmpPort + 2;
    const rtmpConf = path.join(dir, 'rtmp.conf');
    fs.writeFileSync(rtmpConf, rtmpConfig(dir, rtmpPort, recordDir));
    const frontConf = path.join(dir, 'front', 'front.conf');
    fs.writeFileSync(frontConf, frontConfig(path.join(dir, 'front'), frontPort, i === 0 ? injectorPort : rtmpPort, pki.server.certPath, pki.server.keyPath));
    if (i === 0) injector = await startRtmpInjector(injectorPort, rtmpPort);
    const rtmp = new Nginx(`rtmp-${i}`, rtmpConf);
    const front = new Nginx(`front-${i}`, frontConf);
    await rtmp.start(rtmpPort);
    await front.start(frontPort);
    servers.push({ rtmp, front, rtmpPort, frontPort, recordDir });
  }
  // The faulted uplink carries three times the stream; a capacity cut leaves it a third.
  const uplink = new Uplink(servers[0].frontPort, source.bitrateKbps * 3);
  uplink.setUp();

  const keys = servers.map((_, i) => `soakKey${i}x${Math.random().toString(36).slice(2, 12)}`);
  const urls = servers.map((s, i) => `rtmps://${i === 0 ? FAULTED_HOST : LOOPBACK}:${s.frontPort}/live/${keys[i]}`);
  const epochMs = Date.now();
  const started = performance.now();
  const now = (): number => Math.round(performance.now() - started);
  const cpuStart = process.cpuUsage();
  const camera = await publishCamera({
    destinations: urls,
    rtmp: { tls: { ca: pki.ca.cert }, timeout: 5000 },
    reconnect: { initialDelayMs: 1000, factor: 1.5, maxDelayMs: 8000, jitter: 0.05, retries: 10_000, requestIntervalMs: 5000 },
    pace: true,
  });
  const events: SoakReport['events'] = [];
  const handshakes: { atMs: number; resumed: boolean }[] = [];
  for (const name of ['reconnecting', 'reconnected', 'failed', 'reconnectRequest', 'error']) {
    camera.on(name, (event: { destination?: number; code?: string; attempt?: number; accepted?: boolean; reason?: string }) => {
      const destination = event.destination ?? -1;
      const detail = [event.code, event.attempt !== undefined ? `attempt ${event.attempt}` : undefined, event.accepted !== undefined ? `accepted ${event.accepted}` : undefined, event.reason]
        .filter(Boolean)
        .join(', ');
      events.push({ name, atMs: now(), destination, detail });
      if (name === 'reconnected') {
        const tls = camera.connectionOf(destination)?.tlsInfo();
        if (destination === 0 && tls) handshakes.push({ atMs: now(), resumed: tls.resumed });
      }
    });
  }
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  const startSample = sample();
  const maxSample = { ...startSample };
  const sampler = setInterval(() => {
    const s = sample();
    maxSample.rssMb = Math.max(maxSample.rssMb, s.rssMb);
    maxSample.fds = Math.max(maxSample.fds, s.fds);
    maxSample.threads = Math.max(maxSample.threads, s.threads);
  }, 1000);

  let stop = false;
  const feeding = feed(camera, source, input.runMs, () => stop);
  const faulted = servers[0];
  const snapshots: DestinationStats[] = [];
  const recoveries: (number | null)[] = [];
  for (const [index, fault] of input.faults.entries()) {
    await sleep(fault.atMs - now());
    snapshots.push(camera.stats().destinations[0]);
    switch (fault.kind) {
      case 'link-down':
        uplink.linkUp(false);
        await sleep(fault.durationMs);
        uplink.linkUp(true);
        break;
      case 'capacity-cut':
        uplink.rate(Math.round(source.bitrateKbps / 3));
        await sleep(fault.durationMs);
        uplink.rate(source.bitrateKbps * 3);
        break;
      case 'nginx-kill':
        await faulted.rtmp.stop('SIGKILL');
        await faulted.rtmp.start(faulted.rtmpPort);
        break;
      case 'tls-front-restart':
        await faulted.front.stop();
        await faulted.front.start(faulted.frontPort);
        break;
      case 'server-stops-reading':
        faulted.rtmp.signal('SIGSTOP');
        await sleep(fault.durationMs);
        faulted.rtmp.signal('SIGCONT');
        break;
      case 'dns-failure':
        fs.writeFileSync(hosts, '# the faulted host does not resolve\n');
        // Its connection must go for the failure to matter: the TLS front restarts.
        await faulted.front.stop();
        await faulted.front.start(faulted.frontPort);
        await sleep(fault.durationMs);
        fs.writeFileSync(hosts, HOSTS_FILE_LINE);
        break;
      case 'reconnect-request':
        injector?.inject('');
        break;
    }
    // Recovered: connected, and a frame written after the fault ended.
    const endedAt = now();
    const sentAtEnd = camera.stats().destinations[0].videoFramesSent;
    let recovery: number | null = null;
    const until = Math.min(input.faults[index + 1]?.atMs ?? Infinity, input.runMs);
    while (now() < until) {
      const d = camera.stats().destinations[0];
      if (d.connected && d.videoFramesSent > sentAtEnd) {
        recovery = now() - endedAt;
        break;
      }
      await sleep(100);
    }
    recoveries.push(recovery);
  }
  await feeding;
  stop = true;
  snapshots.push(camera.stats().destinations[0]);
  await camera.close();
  clearInterval(sampler);
  const endSample = sample();
  const cpu = process.cpuUsage(cpuStart);
  const elapsedMs = performance.now() - started;
  const finalStats = camera.stats().destinations;
  await injector?.close();
  for (const s of servers) {
    await s.front.stop();
    await s.rtmp.stop();
  }

  const sessionsOf = (dir: string): Session[] =>
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.flv'))
      .sort()
      .map((f) => probeSession(path.join(dir, f), epochMs));
  const sessions = servers.map((s) => sessionsOf(s.recordDir));
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const report: SoakReport = {
    runMs: Math.round(elapsedMs),
    bitrateKbps: source.bitrateKbps,
    uplinkKbps: source.bitrateKbps * 3,
    faults: input.faults.map((fault, i) => {
      const from = snapshots[i];
      const to = snapshots[i + 1];
      const windowEnd = input.faults[i + 1]?.atMs ?? Infinity;
      const inWindow = handshakes.filter((h) => h.atMs >= fault.atMs && h.atMs < windowEnd);
      const session = sessions[0].find((s) => s.startedAtMs >= fault.atMs - 1000 && s.startedAtMs < windowEnd);
      return {
        ...fault,
        recoveryMs: recoveries[i],
        video: counts(from, to, 'video'),
        audio: counts(from, to, 'audio'),
        reconnects: to.reconnects - from.reconnects,
        handshakes: inWindow.map((h) => (h.resumed ? 'resumed' : 'full')),
        videoAfterAudioMs: session?.videoAfterAudioMs ?? null,
      };
    }),
    destinations: finalStats.map((stats, i) => ({
      url: stats.url,
      faulted: i === 0,
      stats,
      sessions: sessions[i].length,
      received: { video: sessions[i].reduce((n, s) => n + s.video, 0), audio: sessions[i].reduce((n, s) => n + s.audio, 0) },
    })),
    process: { start: startSample, max: maxSample, end: endSample },
    cpuSeconds: Math.round(cpuSeconds * 10) / 10,
    cpuSecondsPerHour: Math.round((cpuSeconds / (elapsedMs / 3_600_000)) * 10) / 10,
    maxLoopDelayMs: Math.round(loopDelay.max / 1e6),
    events,
  };
  pki.remove();
  const text = JSON.stringify(report);
  for (const key of keys) if (text.includes(key)) throw new Error('a stream key reached the report');
  return report;
}

if (require.main === module) {
  const input = JSON.parse(process.argv[2] ?? '{}') as SoakInput;
  runSoak(input).then(
    (report) => {
      process.stdout.write(`${JSON.stringify(report)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
