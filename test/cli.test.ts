// The `librtmp` command line, run as child processes against nginx-rtmp: push, pull, info,
// exit codes, signals, progress (JSON and on a pseudo-terminal) and the stream key kept out
// of every byte of output.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeFlvHeader, encodeTag, FlvParser } from '../lib/flv';
import type { ProgressRecord } from '../lib/cli/progress';
import type { InfoReport } from '../lib/cli/info';
import { makeTestPki, type TestPki } from './helpers/certs';
import { ARGV_KEY_WARNING } from '../lib/cli/stream-key';
import { trackChild } from './helpers/children';
import { childPids } from './helpers/processes';
import { fakeCryptodevEnv, fakeCryptodevLibrary } from './helpers/fake-cryptodev';
import { AV_FLV, avFacts, FIXTURES_DIR } from './helpers/fixtures';
import { ffprobeFrames } from './helpers/media';
import { startNginx, type NginxServer } from './helpers/nginx';
import { cveSet, ON_OPENSSL_3, pinnedOpenssl } from './helpers/openssl-line';
import { freePort } from './helpers/ports';

const ROOT = path.resolve(FIXTURES_DIR, '..', '..');
const BIN = path.join(ROOT, 'bin', 'librtmp.js');
/** Every stream name carries this; it must never be printed. */
const KEY = `sk${crypto.randomBytes(6).toString('hex')}`;
const SHORT_CLIP_MAX_MS = 3000;
const PROGRESS_KEYS = ['elapsed', 'media', 'bytes', 'kbps', 'fps', 'queuedBytes', 'dropped', 'reconnects', 'final'].sort();

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  wallMs: number;
}

interface CliRun {
  child: ChildProcess;
  done: Promise<CliResult>;
  /** Resolves with the first stderr line that matches. */
  stderrLine(match: RegExp | ((line: string) => boolean)): Promise<string>;
}

// Everything any run printed, checked for the stream key at the end.
const allOutput: string[] = [];

interface CliOptions {
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** A file to give the command as its stdin. */
  stdinFile?: string;
}

function startCli(args: string[], options: CliOptions = {}): CliRun {
  const started = performance.now();
  const stdin = options.stdinFile === undefined ? 'ignore' : fs.openSync(options.stdinFile, 'r');
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...options.env },
    stdio: [stdin, 'pipe', 'pipe'],
  });
  if (typeof stdin === 'number') fs.closeSync(stdin);
  trackChild(child, { signal: options.signal });
  const out: Buffer[] = [];
  let err = '';
  const waiters: Array<{ test: (line: string) => boolean; resolve: (line: string) => void }> = [];
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
    for (const w of [...waiters]) {
      const line = err.split('\n').find(w.test);
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      allOutput.push(stdout.toString('latin1'), err);
      resolve({ code, signal, stdout, stderr: err, wallMs: performance.now() - started });
    });
  });
  return {
    child,
    done,
    stderrLine: (match) =>
      new Promise((resolve, reject) => {
        const test = match instanceof RegExp ? (l: string) => match.test(l) : match;
        const line = err.split('\n').find(test);
        if (line !== undefined) return resolve(line);
        waiters.push({ test, resolve });
        void done.then(() => reject(new Error(`no stderr line matching ${String(match)}: ${err}`)));
      }),
  };
}

function runCli(args: string[], options?: CliOptions): Promise<CliResult> {
  return startCli(args, options).done;
}

function progressRecords(stderr: string): ProgressRecord[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as ProgressRecord);
}

interface Terminal {
  /** Resolves when what the terminal showed matches. */
  waitFor(pattern: RegExp): Promise<void>;
  /** Keys typed at the terminal (\x03 is Ctrl-C: the terminal sends SIGINT). */
  type(keys: string): void;
  shown(): string;
  exited: Promise<number | null>;
}

/** Runs a shell command on a pseudo-terminal (script(1)); its output is what the terminal showed. */
function startScript(command: string, signal: AbortSignal): Terminal {
  const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  trackChild(child, { signal });
  let shown = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  const onData = (chunk: Buffer): void => {
    shown += chunk.toString('utf8');
    for (const w of [...waiters]) {
      if (w.pattern.test(shown)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      allOutput.push(shown);
      resolve(code);
    });
  });
  return {
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        if (pattern.test(shown)) return resolve();
        waiters.push({ pattern, resolve });
        void exited.then(() => reject(new Error(`the terminal never showed ${pattern}: ${JSON.stringify(shown)}`)));
      }),
    type: (keys) => child.stdin.write(keys),
    shown: () => shown,
    exited,
  };
}

/** Waits for the publisher's session to end; true if it sent deleteStream (unpublished) first. */
async function unpublishedGracefully(nginx: NginxServer, name: string): Promise<boolean> {
  const publish = /\*(\d+) publish/.exec(await nginx.waitForLog(new RegExp(`publish: name='${name}'`)));
  assert.ok(publish, `nginx saw no publish of ${name}`);
  await nginx.waitForLog(new RegExp(`\\*${publish[1]} disconnect`));
  const session = nginx.errorLog().split('\n').filter((l) => l.includes(`*${publish[1]} `));
  const deleted = session.findIndex((l) => / deleteStream/.test(l));
  const disconnected = session.findIndex((l) => / disconnect/.test(l));
  return deleted >= 0 && disconnected >= 0 && deleted < disconnected;
}

describe('the librtmp command line', () => {
  let nginx: NginxServer;
  let strict: NginxServer;
  let tmp: string;
  let shortClip: string;
  let shortClipMediaMs: number;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-cli-'));
    // A few seconds of the fixture, for the real-time runs.
    const tags = new FlvParser().push(fs.readFileSync(AV_FLV)).filter((t) => t.timestamp <= SHORT_CLIP_MAX_MS);
    shortClip = path.join(tmp, 'short.flv');
    fs.writeFileSync(shortClip, Buffer.concat([encodeFlvHeader(), ...tags.map(encodeTag)]));
    const stamps = tags.map((t) => t.timestamp);
    shortClipMediaMs = Math.max(...stamps) - Math.min(...stamps);
    // `nginx` holds players until a publisher comes (idle streams); `strict` refuses them.
    [nginx, strict] = await Promise.all([startNginx({ record: true }), startNginx({ idleStreams: false })]);
  });
  after(async () => {
    await Promise.all([nginx?.stop(), strict?.stop()]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('push --no-realtime publishes the whole file, quietly when stderr is not a terminal', async (t) => {
    const name = `${KEY}-push`;
    // The key from the environment: a key in the URL would be warned about (cli-stream-key.test.ts).
    const result = await runCli(['push', '--no-realtime', AV_FLV, nginx.url('live', '{key}')], { signal: t.signal, env: { LIBRTMP_STREAM_KEY: name } });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.equal(result.stdout.length, 0);
    const probe = await ffprobeFrames(await nginx.waitForRecording(name));
    const source = await ffprobeFrames(AV_FLV);
    assert.equal(probe.video?.frames, source.video?.frames);
    assert.equal(probe.audio?.frames, source.audio?.frames);
  });

  test('push - publishes FLV read from stdin', async (t) => {
    const name = `${KEY}-stdin`;
    const result = await runCli(['push', '--no-realtime', '-', nginx.url('live', name)], { signal: t.signal, stdinFile: AV_FLV });
    assert.equal(result.code, 0, result.stderr);
    const probe = await ffprobeFrames(await nginx.waitForRecording(name));
    const source = await ffprobeFrames(AV_FLV);
    assert.equal(probe.video?.frames, source.video?.frames);
    assert.equal(probe.audio?.frames, source.audio?.frames);
  });

  test('push paces in real time and --progress=json prints one record per second', async (t) => {
    const name = `${KEY}-paced`;
    const result = await runCli(['push', '--progress=json', shortClip, nginx.url('live', '{key}')], { signal: t.signal, env: { LIBRTMP_STREAM_KEY: name } });
    assert.equal(result.code, 0, result.stderr);
    // Pacing can only make it slower than the media: at least ~90% of the media's duration.
    assert.ok(result.wallMs >= 0.9 * shortClipMediaMs, `${Math.round(result.wallMs)} ms for ${shortClipMediaMs} ms of media`);

    const records = progressRecords(result.stderr);
    assert.equal(result.stderr.split('\n').filter((l) => l !== '').length, records.length, 'nothing but JSON lines');
    for (const r of records) {
      assert.deepEqual(Object.keys(r).sort(), PROGRESS_KEYS);
      for (const key of PROGRESS_KEYS.filter((k) => k !== 'final')) assert.equal(typeof r[key as keyof ProgressRecord], 'number', key);
    }
    const periodic = records.filter((r) => !r.final);
    assert.ok(periodic.length >= Math.floor(shortClipMediaMs / 1000) - 1, `${periodic.length} records`);
    // A once-a-second timer fires late on a loaded machine, never early: no two records
    // closer than 0.8 s, and no more of them than whole seconds the push ran.
    for (let i = 1; i < periodic.length; i++) {
      const gap = periodic[i].elapsed - periodic[i - 1].elapsed;
      assert.ok(gap > 0.8, `records ${gap} s apart`);
    }
    assert.ok(periodic.length <= Math.ceil(result.wallMs / 1000), `${periodic.length} records in ${Math.round(result.wallMs)} ms`);
    const last = records[records.length - 1];
    assert.equal(last.final, true);
    assert.equal(records.filter((r) => r.final).length, 1);
    assert.ok(Math.abs(last.media * 1000 - shortClipMediaMs) < 50, `media ${last.media} s`);
    assert.ok(last.bytes > fs.statSync(shortClip).size * 0.9, `${last.bytes} bytes`);
    // fps is frames per second of wall time over the last interval: on a loaded machine frames
    // go out in bursts, so only that a rate was measured is checked here (media time and
    // frame counts are checked above and by ffprobe).
    assert.ok(Number.isFinite(last.fps) && last.fps > 0, `${last.fps} fps`);
    await nginx.waitForRecording(name);
  });

  test('pull writes what a live push sends to a file, ending when the publisher unpublishes', async (t) => {
    const name = `${KEY}-pull`;
    const url = nginx.url('live', name);
    const out = path.join(tmp, 'pulled.flv');
    const pull = startCli(['pull', '--live', url, out], { signal: t.signal });
    await nginx.waitForLog(new RegExp(`play: name='${name}'`));
    const push = await runCli(['push', shortClip, url], { signal: t.signal });
    assert.equal(push.code, 0, push.stderr);
    const pulled = await pull.done;
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal(pulled.stdout.length, 0, 'the FLV went to the file');
    const [probe, source] = await Promise.all([ffprobeFrames(out), ffprobeFrames(shortClip)]);
    assert.equal(probe.video?.codecName, 'h264');
    assert.equal(probe.audio?.codecName, 'aac');
    assert.equal(probe.video?.frames, source.video?.frames);
    assert.equal(probe.audio?.frames, source.audio?.frames);
  });

  test('pull --duration to stdout stops after that much media; SIGINT ends a push gracefully with 130', async (t) => {
    const name = `${KEY}-loop`;
    const url = nginx.url('live', name);
    const push = startCli(['push', '--loop', '--progress=json', shortClip, url], { signal: t.signal });
    // Running and sending: the first progress record is out.
    await push.stderrLine(/^\{/);
    const pull = await runCli(['pull', '--live', '--duration', '1.5', url], { signal: t.signal });
    assert.equal(pull.code, 0, pull.stderr);
    const file = path.join(tmp, 'duration.flv');
    fs.writeFileSync(file, pull.stdout);
    const probe = await ffprobeFrames(file);
    // Audio and video together: a late joiner's video starts at the next keyframe.
    const pts = [...(probe.video?.pts ?? []), ...(probe.audio?.pts ?? [])];
    assert.ok((probe.video?.packets ?? 0) > 0 && (probe.audio?.packets ?? 0) > 0, 'audio and video');
    const span = Math.max(...pts) - Math.min(...pts);
    assert.ok(span > 1.3 && span < 1.5, `${span} s of media`);

    push.child.kill('SIGINT');
    const pushed = await push.done;
    assert.equal(pushed.code, 130, pushed.stderr);
    assert.equal(progressRecords(pushed.stderr).pop()?.final, true);
    assert.ok(await unpublishedGracefully(nginx, name), 'deleteStream before disconnect');
  });

  test('SIGINT stops a real-time file push (sent by the connection thread) gracefully, between two tags', async (t) => {
    const name = `${KEY}-stopfile`;
    const push = startCli(['push', '--progress=json', AV_FLV, nginx.url('live', name)], { signal: t.signal });
    // A second of media out, by the progress records the connection's stats feed.
    await push.stderrLine((line) => line.startsWith('{') && (JSON.parse(line) as ProgressRecord).media >= 1);
    push.child.kill('SIGINT');
    const pushed = await push.done;
    assert.equal(pushed.code, 130, pushed.stderr);
    const last = progressRecords(pushed.stderr).pop();
    assert.equal(last?.final, true);
    assert.ok(last !== undefined && last.media >= 1 && last.media < avFacts.durationSeconds / 2, `stopped at ${last?.media} s`);
    assert.ok(Number.isFinite(last.fps) && last.fps > 0, `${last.fps} fps (a rate over wall time: see the paced push test)`);
    assert.ok(await unpublishedGracefully(nginx, name), 'deleteStream before disconnect');
    const probe = await ffprobeFrames(await nginx.waitForRecording(name));
    assert.equal(probe.stderr, '', 'what was sent decodes');
    assert.ok((probe.video?.frames ?? 0) > 20 && (probe.video?.frames ?? 0) < avFacts.video.frames / 2, `${probe.video?.frames} frames`);
  });

  test('--loop continues the timestamps across passes', async (t) => {
    const name = `${KEY}-looped`;
    const clip = path.join(tmp, 'one-second.flv');
    const tags = new FlvParser().push(fs.readFileSync(shortClip)).filter((tag) => tag.timestamp <= 1000);
    fs.writeFileSync(clip, Buffer.concat([encodeFlvHeader(), ...tags.map(encodeTag)]));
    const push = startCli(['push', '--loop', '--progress=json', clip, nginx.url('live', name)], { signal: t.signal });
    // In real time, past the second pass.
    await push.stderrLine((line) => line.startsWith('{') && (JSON.parse(line) as ProgressRecord).media > 2.5);
    push.child.kill('SIGTERM');
    const result = await push.done;
    assert.equal(result.code, 143, result.stderr);
    const probe = await ffprobeFrames(await nginx.waitForRecording(name));
    const dts = probe.video?.dts ?? [];
    assert.ok(dts.length > 2.5 * 25, `${dts.length} video packets`);
    assert.ok(dts.every((d, i) => i === 0 || d > dts[i - 1]), 'video timestamps always increase');
    const gaps = dts.slice(1).map((d, i) => d - dts[i]);
    assert.ok(Math.max(...gaps) < 0.1, `no jump between passes (largest gap ${Math.max(...gaps)} s)`);
    assert.ok(Math.max(...dts) - Math.min(...dts) > 2.4, 'the timeline went on');
  });

  test('progress on a terminal is one line rewritten in place', async (t) => {
    const name = `${KEY}-tty`;
    // The key from the environment: a key in the URL would add its warning line.
    const command = ['env', `LIBRTMP_STREAM_KEY=${name}`, process.execPath, BIN, 'push', shortClip, nginx.url('live', '{key}')].map((a) => `'${a}'`).join(' ');
    const terminal = startScript(command, t.signal);
    const code = await terminal.exited;
    const shown = terminal.shown();
    assert.equal(code, 0, shown);
    const updates = shown.split('\r').filter((s) => s.startsWith('elapsed '));
    assert.ok(updates.length >= 4, `${updates.length} updates: ${JSON.stringify(shown)}`);
    const ERASE_TO_END = '\x1b[K';
    for (const u of updates) {
      assert.ok(u.includes(ERASE_TO_END), 'each update erases the rest of the old line');
      const line = u.slice(0, u.indexOf(ERASE_TO_END));
      assert.match(line, /^elapsed \d\d:\d\d:\d\d {2}media \d\d:\d\d:\d\d\.\d {2}[\d.]+ (B|KiB|MiB) {2}\d+ kbit\/s {2}[\d.]+ fps {2}queue [\d.]+ (B|KiB|MiB) {2}dropped 0 {2}reconnects 0$/);
    }
    assert.equal(shown.trim().split('\n').length, 1, 'one line, ended once');
    assert.ok(!shown.includes('{'), 'no JSON on a terminal');
  });

  test('Ctrl-C on a terminal: the first stops gracefully, a second quits at once', async (t) => {
    // A server that stops reading (SIGSTOP) makes the graceful close wait for the socket.
    const stalled = await startNginx();
    const workers = childPids(stalled.pid as number);
    try {
      const name = `${KEY}-stalled`;
      const command = [process.execPath, BIN, 'push', '--loop', '--no-realtime', '--timeout', '60', shortClip, stalled.url('live', name)]
        .map((a) => `'${a}'`)
        .join(' ');
      const terminal = startScript(command, t.signal);
      await terminal.waitFor(/elapsed /);
      for (const pid of workers) process.kill(pid, 'SIGSTOP');
      // Blocked: bytes stay queued.
      await terminal.waitFor(/queue [1-9]/);
      terminal.type('\x03');
      await terminal.waitFor(/librtmp: stopping: /);
      const secondAt = performance.now();
      terminal.type('\x03');
      const code = await terminal.exited;
      assert.equal(code, 130, terminal.shown());
      // Far sooner than the 60 s timeout the graceful close would have waited for.
      assert.ok(performance.now() - secondAt < 10_000);
    } finally {
      for (const pid of workers) process.kill(pid, 'SIGCONT');
      await stalled.stop();
    }
  });

  test('info reports versions and that devcrypto is unavailable without /dev/crypto', async () => {
    const library = await fakeCryptodevLibrary();
    const env = fakeCryptodevEnv(library, path.join(tmp, 'absent.json'), { absent: true });
    const text = await runCli(['info'], { env });
    assert.equal(text.code, 0, text.stderr);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
    const out = text.stdout.toString();
    assert.ok(out.startsWith(`${pkg.name} ${pkg.version}\n`), out);
    assert.match(out, /^librtmp +2\.4/m);
    const pinned = pinnedOpenssl();
    const level = `${pinned.version}+${pinned.patchLevel}`;
    const cves = [...cveSet(pinned.patches)];
    assert.ok(out.includes(`\nOpenSSL     OpenSSL ${pinned.version} `), out);
    // The patch level and every CVE the Debian patches fix, as a scanner-reading integrator needs.
    assert.ok(out.includes(`\n  patches   ${level}: Debian security patches for ${cves.length} CVEs\n`), out);
    for (const id of cves) assert.ok(out.includes(id), id);
    if (!ON_OPENSSL_3) assert.match(out, /CVE-2023-5678, CVE-2024-0727,/);
    assert.match(out, /^engine +devcrypto: not available here: .*\/dev\/crypto/m);

    const json = await runCli(['info', '--json', '--camera-preset'], { env });
    const report = JSON.parse(json.stdout.toString()) as InfoReport;
    assert.equal(report.package.version, pkg.version);
    assert.ok(report.openssl.startsWith(`OpenSSL ${pinned.version} `), report.openssl);
    assert.equal(report.opensslPatchLevel, level);
    assert.equal(report.opensslPatchNote, null);
    assert.equal(report.opensslCves.length, cves.length);
    assert.equal(report.engine.available, false);
    assert.deepEqual(
      report.cipherString?.suites.map((s) => [s.name, s.bulkCipher, s.engineServes]),
      [
        ['ECDHE-RSA-AES128-SHA256', 'AES-128-CBC', false],
        ['ECDHE-RSA-AES128-SHA', 'AES-128-CBC', false],
      ],
    );
  });

  test('info --ciphers says which suites the engine would serve when /dev/crypto works', async () => {
    const library = await fakeCryptodevLibrary();
    const env = fakeCryptodevEnv(library, path.join(tmp, 'present.json'));
    const ciphers = 'ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES128-GCM-SHA256:HIGH:!aNULL';
    const json = await runCli(['info', '--json', '--ciphers', ciphers], { env });
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout.toString()) as InfoReport;
    assert.equal(report.engine.available, true);
    assert.ok(report.engine.ciphers.includes('AES-128-CBC'), report.engine.ciphers.join());
    const suites = report.cipherString?.suites ?? [];
    // The explicit names first, then what HIGH adds, as OpenSSL 1.1.1w orders them.
    assert.deepEqual(
      suites.slice(0, 2).map((s) => [s.name, s.engineServes]),
      [
        ['ECDHE-RSA-AES128-SHA256', true],
        ['ECDHE-RSA-AES128-GCM-SHA256', false],
      ],
    );
    assert.ok(suites.length > 10, `HIGH expanded to ${suites.length} suites`);
    for (const s of suites) {
      assert.equal(s.engineServes, /-CBC$/.test(s.bulkCipher) && s.bulkCipher.startsWith('AES'), s.name);
      assert.ok(!/ADH|AECDH|NULL/.test(s.name), `!aNULL honoured: ${s.name}`);
    }
    const invalid = await runCli(['info', '--ciphers', 'NO-SUCH-SUITE'], { env });
    assert.equal(invalid.code, 4, invalid.stderr.toString());
    assert.match(invalid.stderr.toString(), /ERR_TLS_INVALID_CIPHERS/);
    const text = await runCli(['info', '--ciphers', ciphers], { env });
    assert.match(text.stdout.toString(), /ECDHE-RSA-AES128-SHA256 +AES-128-CBC +SHA256 +served by devcrypto/);
  });

  test('usage errors exit 2 with a coded one-line message', async () => {
    const url = strict.url('live', KEY);
    const cases: Array<[string[], RegExp]> = [
      [[], /^$/],
      [['frobnicate'], /^librtmp: ERR_USAGE: unknown command/],
      [['push', '--bogus', AV_FLV, url], /^librtmp: ERR_USAGE: Unknown option '--bogus'/],
      [['push', AV_FLV], /^librtmp: ERR_USAGE: push takes <input> and <url>/],
      [['push', path.join(tmp, 'missing.flv'), url], /^librtmp: ERR_INPUT: cannot read .*missing\.flv: ENOENT$/],
      [['push', '--loop', '-', url], /^librtmp: ERR_USAGE: --loop needs a file/],
      [['push', '--tls-max', '1.1', AV_FLV, url], /^librtmp: ERR_USAGE: --tls-max takes 1\.2 or 1\.3$/],
      [['push', AV_FLV, `ftp://127.0.0.1/live/${KEY}`], /^librtmp: ERR_INVALID_URL: Unsupported URL scheme/],
      [['pull', '--duration', 'x', url], /^librtmp: ERR_USAGE: --duration/],
      [['push', '--family', '5', AV_FLV, url], /^librtmp: ERR_USAGE: --family takes 4 or 6$/],
      [['push', '--local-address', 'eth0', AV_FLV, url], /^librtmp: ERR_INVALID_ARG: options\.localAddress must be an IPv4 or IPv6 address$/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      // Apart from the warning for a stream name written into the URL (cli-stream-key.test.ts).
      const stderr = result.stderr.replace(`${ARGV_KEY_WARNING}\n`, '');
      assert.match(stderr.trim(), message, args.join(' '));
      assert.ok(stderr.split('\n').length <= 2, 'one line');
    }
  });

  test('--help for each command documents the exit codes and the camera preset', async () => {
    const main = await runCli(['--help']);
    assert.equal(main.code, 0);
    for (const code of ['0', '2', '3', '4', '5', '130']) assert.match(main.stdout.toString(), new RegExp(`^ +${code} +\\S`, 'm'));
    for (const command of ['push', 'pull', 'info']) {
      const help = await runCli([command, '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout.toString(), new RegExp(`^Usage: librtmp ${command}`));
      assert.match(help.stdout.toString(), /Examples:/);
    }
    const push = (await runCli(['push', '--help'])).stdout.toString();
    assert.match(push, /--camera-preset --key-file fb\.key .*'rtmps:\/\/live-api-s\.facebook\.com:443\/rtmp\/\{key\}'/s);
  });

  test('a refused connection exits 3, a refused stream 5', async (t) => {
    const closedPort = await freePort();
    const refused = await runCli(['push', AV_FLV, `rtmp://127.0.0.1:${closedPort}/live/${KEY}`]);
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /^librtmp: ERR_CONNECT_REFUSED: /m);
    // TEST-NET-1: never an address of this host.
    const unbound = await runCli(['push', '--local-address', '192.0.2.1', AV_FLV, `rtmp://127.0.0.1:${closedPort}/live/${KEY}`]);
    assert.equal(unbound.code, 3, unbound.stderr);
    assert.match(unbound.stderr, /^librtmp: ERR_BIND_FAILED: could not bind to local address 192\.0\.2\.1/m);

    const missing = await runCli(['pull', strict.url('live', `${KEY}-none`), path.join(tmp, 'none.flv')]);
    assert.equal(missing.code, 5, missing.stderr);
    assert.match(missing.stderr, /^librtmp: ERR_RTMP_STREAM_NOT_FOUND: /m);

    const name = `${KEY}-busy`;
    const first = startCli(['push', '--loop', AV_FLV, strict.url('live', name)], { signal: t.signal });
    await strict.waitForLog(new RegExp(`publish: name='${name}'`));
    const second = await runCli(['push', AV_FLV, strict.url('live', name)]);
    assert.equal(second.code, 5, second.stderr);
    assert.match(second.stderr, /^librtmp: ERR_RTMP_PUBLISH_REJECTED: .*Already publishing/m);
    first.child.kill('SIGINT');
    assert.equal((await first.done).code, 130);
  });

  describe('over TLS', () => {
    let pki: TestPki;
    let secure: NginxServer;
    before(async () => {
      pki = await makeTestPki();
      secure = await startNginx({ record: true, tls: { cert: pki.server.certPath, key: pki.server.keyPath } });
    });
    after(async () => {
      await secure?.stop();
      pki?.remove();
    });

    test('TLS flags reach the connection: --ca and --camera-preset publish; an untrusted server exits 4', async () => {
      const name = `${KEY}-tls`;
      const ok = await runCli(['push', '--no-realtime', '--camera-preset', '--ca', pki.ca.certPath, shortClip, secure.url('live', name, 'rtmps')]);
      assert.equal(ok.code, 0, ok.stderr);
      const [session] = await secure.waitForTlsLog(1);
      assert.equal(session.protocol, 'TLSv1.2');
      assert.equal(session.cipher, 'ECDHE-RSA-AES128-SHA256');
      await secure.waitForRecording(name);

      const untrusted = await runCli(['push', shortClip, secure.url('live', `${KEY}-untrusted`, 'rtmps')]);
      assert.equal(untrusted.code, 4, untrusted.stderr);
      assert.match(untrusted.stderr, /^librtmp: ERR_TLS_CERT_VERIFY: /m);
    });

    test('--engine-required without a usable engine exits 4', async () => {
      const library = await fakeCryptodevLibrary();
      const env = fakeCryptodevEnv(library, path.join(tmp, 'required.json'), { absent: true });
      const result = await runCli(['push', '--engine-required', '--ca', pki.ca.certPath, shortClip, secure.url('live', `${KEY}-eng`, 'rtmps')], { env });
      assert.equal(result.code, 4, result.stderr);
      assert.match(result.stderr, /^librtmp: ERR_ENGINE_UNAVAILABLE: /m);
    });
  });

  test('the stream key appears in no output of any run', () => {
    assert.ok(allOutput.length > 40, `${allOutput.length} outputs checked`);
    for (const text of allOutput) assert.ok(!text.includes(KEY), text.slice(0, 400));
    // The refusals above did print the masked URL or reason, so masking was exercised.
    assert.ok(allOutput.some((text) => text.includes('librtmp: ERR_')));
  });
});
