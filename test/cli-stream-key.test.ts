// The stream key off the command line: `librtmp push/pull` with `{key}` in the URL and the key
// from --key-file, --key-stdin or LIBRTMP_STREAM_KEY, against the test nginx; the errors of
// each source; the warning for a key written into the URL; and the key in no byte of output
// and not in the process's command line (what `ps` shows).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CliContext } from '../lib/cli/context';
import { secretMaskingNotes } from '../lib/cli/main';
import { ARGV_KEY_WARNING, resolveStreamUrl, STREAM_KEY_ENV } from '../lib/cli/stream-key';
import { trackChild } from './helpers/children';
import { AV_FLV, FIXTURES_DIR } from './helpers/fixtures';
import { ffprobeFrames } from './helpers/media';
import { startNginx, type NginxServer } from './helpers/nginx';

const BIN = path.join(path.resolve(FIXTURES_DIR, '..', '..'), 'bin', 'librtmp.js');
// Distinct per run, and long enough that any leak is found by a plain substring search.
const KEY = `fbsk-${crypto.randomBytes(8).toString('hex')}`;

interface CliRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

// Everything any run printed, searched for the key at the end.
const printed: string[] = [];

function startCli(args: string[], options: { env?: NodeJS.ProcessEnv; stdinFile?: string; signal?: AbortSignal } = {}): CliRun {
  const stdin = options.stdinFile === undefined ? 'ignore' : fs.openSync(options.stdinFile, 'r');
  // The variable is removed unless a test sets it: the test runner's own environment plays no part.
  const env: NodeJS.ProcessEnv = { ...process.env, [STREAM_KEY_ENV]: undefined, ...options.env };
  if (env[STREAM_KEY_ENV] === undefined) delete env[STREAM_KEY_ENV];
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: [stdin, 'pipe', 'pipe'] });
  if (typeof stdin === 'number') fs.closeSync(stdin);
  trackChild(child, { signal: options.signal });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('latin1')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      printed.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, done };
}

const runCli = (args: string[], options?: Parameters<typeof startCli>[1]): CliRun['done'] => startCli(args, options).done;

let nginx: NginxServer;
let tmp: string;
let keyFile: string;

before(async () => {
  nginx = await startNginx({ record: true });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-cli-key-'));
  keyFile = path.join(tmp, 'fb.key');
  fs.writeFileSync(keyFile, `${KEY}\n`, { mode: 0o600 });
});

after(async () => {
  await nginx?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  for (const text of printed) assert.ok(!text.includes(KEY), `the key was printed: ${text}`);
});

/** A URL of the test nginx with the placeholder where the stream name goes. */
function keyUrl(app = 'live'): string {
  return `rtmp://127.0.0.1:${nginx.port}/${app}/{key}`;
}

/** Pushes the fixture flat out with the key in place of `{key}`; checks what nginx recorded. */
async function assertPublishedAs(name: string, result: { code: number | null; stderr: string }): Promise<void> {
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '', 'no warning, no message');
  const [probe, source] = await Promise.all([ffprobeFrames(await nginx.waitForRecording(name)), ffprobeFrames(AV_FLV)]);
  assert.equal(probe.video?.frames, source.video?.frames);
  assert.equal(probe.audio?.frames, source.audio?.frames);
}

describe('each key source, end to end', () => {
  test('--key-file: the file\'s line (final newline dropped) becomes the stream name', async (t) => {
    await assertPublishedAs(KEY, await runCli(['push', '--no-realtime', '--key-file', keyFile, AV_FLV, keyUrl()], { signal: t.signal }));
  });

  test(`${STREAM_KEY_ENV}: the environment's key`, async (t) => {
    const key = `${KEY}-env`;
    await assertPublishedAs(key, await runCli(['push', '--no-realtime', AV_FLV, keyUrl()], { env: { [STREAM_KEY_ENV]: key }, signal: t.signal }));
  });

  test('--key-stdin: the key piped in', async (t) => {
    const file = path.join(tmp, 'stdin.key');
    fs.writeFileSync(file, `${KEY}-stdin`);
    await assertPublishedAs(`${KEY}-stdin`, await runCli(['push', '--no-realtime', '--key-stdin', AV_FLV, keyUrl()], { stdinFile: file, signal: t.signal }));
  });

  test('--key-file wins over the environment', async (t) => {
    await assertPublishedAs(
      KEY,
      await runCli(['push', '--no-realtime', '--key-file', keyFile, AV_FLV, keyUrl()], { env: { [STREAM_KEY_ENV]: `${KEY}-not-this` }, signal: t.signal }),
    );
  });

  test('pull --key-file plays what a push with the key from the environment sends', async (t) => {
    const name = `${KEY}-live`;
    const nameFile = path.join(tmp, 'live.key');
    fs.writeFileSync(nameFile, `${name}\n`);
    const out = path.join(tmp, 'pulled.flv');
    const pull = startCli(['pull', '--live', '--key-file', nameFile, keyUrl(), out], { signal: t.signal });
    await nginx.waitForLog(new RegExp(`play: name='${name}'`));
    const push = await runCli(['push', AV_FLV, keyUrl()], { env: { [STREAM_KEY_ENV]: name }, signal: t.signal });
    assert.equal(push.code, 0, push.stderr);
    const pulled = await pull.done;
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal(pulled.stderr, '');
    const [probe, source] = await Promise.all([ffprobeFrames(out), ffprobeFrames(AV_FLV)]);
    assert.equal(probe.video?.frames, source.video?.frames);
    assert.equal(probe.audio?.frames, source.audio?.frames);
  });
});

describe('refusals: exit 2 with a code, before connecting', () => {
  const cases: Array<[string, () => string[], NodeJS.ProcessEnv, string, RegExp]> = [
    ['a missing key file', () => ['push', '--key-file', path.join(tmp, 'none.key'), AV_FLV, keyUrl()], {}, 'ERR_STREAM_KEY', /none\.key: ENOENT/],
    ['an empty key file', () => ['push', '--key-file', writeKey('empty.key', '\n'), AV_FLV, keyUrl()], {}, 'ERR_STREAM_KEY', /is empty/],
    ['a key file of two lines', () => ['pull', '--key-file', writeKey('two.key', `${KEY}\nsecond\n`), keyUrl(), '-'], {}, 'ERR_STREAM_KEY', /more than one line/],
    ['a folder as the key file', () => ['push', '--key-file', tmp, AV_FLV, keyUrl()], {}, 'ERR_STREAM_KEY', /not a regular file/],
    ['an empty environment variable', () => ['push', AV_FLV, keyUrl()], { [STREAM_KEY_ENV]: '' }, 'ERR_STREAM_KEY', new RegExp(`${STREAM_KEY_ENV} is empty`)],
    ['{key} in the URL and no key source', () => ['push', AV_FLV, keyUrl()], {}, 'ERR_USAGE', /--key-file, --key-stdin or LIBRTMP_STREAM_KEY/],
    ['--key-file with a URL without {key}', () => ['push', '--key-file', keyFile, AV_FLV, nginx.url('live', 'plain')], {}, 'ERR_USAGE', /needs \{key\} in the URL/],
    ['--key-stdin with a URL without {key}', () => ['pull', '--key-stdin', nginx.url('live', 'plain'), '-'], {}, 'ERR_USAGE', /needs \{key\} in the URL/],
    ['--key-stdin with the input from stdin', () => ['push', '--key-stdin', '-', keyUrl()], {}, 'ERR_USAGE', /--key-stdin and the input - both read stdin/],
    ['--key-stdin with --audio -', () => ['push', '--key-stdin', '--audio', '-', 'video.h264', keyUrl()], {}, 'ERR_USAGE', /--key-stdin and --audio - both read stdin/],
    ['--key-file and --key-stdin together', () => ['push', '--key-file', keyFile, '--key-stdin', AV_FLV, keyUrl()], {}, 'ERR_USAGE', /one way/],
  ];
  for (const [what, args, env, code, reason] of cases) {
    test(what, async (t) => {
      const logBefore = nginx.errorLog().length;
      const result = await runCli(args(), { env, signal: t.signal });
      assert.equal(result.code, 2, result.stderr);
      const lines = result.stderr.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0], new RegExp(`^librtmp: ${code}: `));
      assert.match(lines[0], reason);
      // Nothing reached the server.
      assert.doesNotMatch(nginx.errorLog().slice(logBefore), /client connected/);
    });
  }

  function writeKey(name: string, content: string): string {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, content);
    return file;
  }
});

describe('the key is never shown', () => {
  test('a command refused for its arguments says only why, even with a key in the URL', async (t) => {
    const result = await runCli(['push', path.join(tmp, 'missing.flv'), nginx.url('live', `${KEY}-unused`)], { signal: t.signal });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^librtmp: ERR_INPUT: [^\n]*\n$/);
  });

  test('a key written into the URL still works, with one warning that does not name it', async (t) => {
    const name = `${KEY}-argv`;
    const result = await runCli(['push', '--no-realtime', AV_FLV, nginx.url('live', name)], { signal: t.signal });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, `${ARGV_KEY_WARNING}\n`);
    await nginx.waitForRecording(name);
  });

  test('an error after the substitution masks the key from a file', async (t) => {
    // An application nginx does not have: the connect is refused.
    const result = await runCli(['push', '--key-file', keyFile, AV_FLV, keyUrl('noapp')], { signal: t.signal });
    assert.equal(result.code, 5, result.stderr);
    assert.match(result.stderr, /^librtmp: ERR_RTMP_CONNECT_REJECTED: /m);
    assert.ok(!result.stderr.includes(KEY), result.stderr);
  });

  test('the running command line (/proc/<pid>/cmdline, what ps shows) holds no key; with the key in the URL it does', async (t) => {
    const commandLine = (pid: number): string => fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ');
    const check = async (name: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> => {
      const run = startCli(['push', '--loop', ...args], { env, signal: t.signal });
      // Publishing: the key has been read and used.
      await nginx.waitForLog(new RegExp(`publish: name='${name}'`));
      const line = commandLine(run.child.pid ?? 0);
      run.child.kill('SIGINT');
      assert.equal((await run.done).code, 130);
      return line;
    };
    // Names not published before: waitForLog finds the first matching line of the whole log.
    const psKeyFile = path.join(tmp, 'ps.key');
    fs.writeFileSync(psKeyFile, `${KEY}-ps-file\n`);
    const fromFile = await check(`${KEY}-ps-file`, ['--key-file', psKeyFile, AV_FLV, keyUrl()], {});
    assert.match(fromFile, /\{key\}/);
    assert.ok(!fromFile.includes(KEY), fromFile);
    const fromEnv = await check(`${KEY}-ps-env`, [AV_FLV, keyUrl()], { [STREAM_KEY_ENV]: `${KEY}-ps-env` });
    assert.ok(!fromEnv.includes(KEY), fromEnv);
    // The check can fail: a key in the URL is there for every user to read.
    const inArgv = await check(`${KEY}-ps-argv`, [AV_FLV, nginx.url('live', `${KEY}-ps-argv`)], {});
    assert.ok(inArgv.includes(`${KEY}-ps-argv`));
  });
});

describe('the key read is a secret of every message (in process)', () => {
  test('resolveStreamUrl registers the key before returning, and the notes mask it from then on', async () => {
    const lines: string[] = [];
    const notes = secretMaskingNotes(['push', 'clip.flv', 'rtmps://host/rtmp/{key}'], (line) => lines.push(line));
    const ctx = { env: { [STREAM_KEY_ENV]: ` ${KEY}\n` }, stdin: process.stdin, ...notes } as unknown as CliContext;
    notes.note(`before: ${KEY}`);
    const target = await resolveStreamUrl('rtmps://host/rtmp/{key}', {}, ctx);
    assert.deepEqual(target, { url: `rtmps://host/rtmp/${KEY}`, keyOnCommandLine: false });
    notes.note(`after: ${KEY} and ${encodeURIComponent(KEY)}`);
    assert.deepEqual(lines, [`before: ${KEY}\n`, 'after: **** and ****\n']);
  });
});
