// Every exit code `librtmp --help` documents is what the command returns: the table in
// --help, the one in docs/CLI.md and ExitCodes list the same codes, and a real run produces
// each of them (bad input such as a truncated FLV included: it exits 2, as documented).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { classify, ExitCodes } from '../lib/cli/exit-codes';
import { ErrorCodes, RtmpError } from '../lib/errors';
import { ARGV_KEY_WARNING } from '../lib/cli/stream-key';
import { encodeFlvHeader, encodeTag, FlvParser } from '../lib/flv';
import { trackChild } from './helpers/children';
import { AV_FLV, FIXTURES_DIR } from './helpers/fixtures';
import { startNginx, type NginxServer } from './helpers/nginx';
import { freePort } from './helpers/ports';

const ROOT = path.resolve(FIXTURES_DIR, '..', '..');
const BIN = path.join(ROOT, 'bin', 'librtmp.js');

interface Run {
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Resolves once a --progress json record shows media sent. */
  sending: Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

function start(args: string[], signal: AbortSignal): Run {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child, { signal });
  let stdout = '';
  let stderr = '';
  let onSending = (): void => {};
  const sending = new Promise<void>((resolve) => (onSending = resolve));
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    const records = stderr.split('\n').filter((l) => l.startsWith('{'));
    if (records.some((l) => (JSON.parse(l) as { bytes: number }).bytes > 0)) onSending();
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  void done.then(() => onSending());
  return { done, sending, kill: (s) => child.kill(s) };
}

/** The codes a table documents: `  N    text` lines in --help, `| N | text |` rows in markdown. */
function documentedCodes(text: string, row: RegExp): number[] {
  return [...text.matchAll(row)].map((m) => Number(m[1])).sort((a, b) => a - b);
}

describe('CLI exit codes: documented = returned', () => {
  let nginx: NginxServer;
  let tmp: string;
  let help: string;
  before(async () => {
    nginx = await startNginx({ idleStreams: false });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'exit-codes-'));
  });
  after(async () => {
    await nginx?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('--help, docs/CLI.md and ExitCodes list the same codes', async (t) => {
    const result = await start(['--help'], t.signal).done;
    assert.equal(result.code, 0);
    help = result.stdout;
    const section = help.slice(help.indexOf('Exit codes:'));
    const inHelp = documentedCodes(section.slice(0, section.indexOf('\n\n')), /^ {2}(\d+) {2,}\S/gm);
    const defined = Object.values(ExitCodes).sort((a, b) => a - b);
    assert.deepEqual(inHelp, defined);
    const docs = fs.readFileSync(path.join(ROOT, 'docs', 'CLI.md'), 'utf8');
    assert.deepEqual(documentedCodes(docs, /^\| (\d+) \| /gm), defined);
  });

  // Each case: the command, the code it must exit with, and its one-line error.
  const cases: Array<[string, number, () => Promise<string[]>, RegExp | null]> = [
    ['0: a file published to the end', 0, async () => ['push', '--no-realtime', AV_FLV, nginx.url('live', 'done')], null],
    ['2: an unknown flag', 2, async () => ['push', '--bogus', AV_FLV, nginx.url('live', 'x1')], /ERR_USAGE/],
    [
      '2: a truncated FLV (bad input)',
      2,
      async () => {
        const truncated = path.join(tmp, 'truncated.flv');
        const bytes = fs.readFileSync(AV_FLV);
        fs.writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
        return ['push', '--no-realtime', truncated, nginx.url('live', 'truncated')];
      },
      /ERR_FLV_PARSE/,
    ],
    ['2: an output that cannot be written', 2, async () => ['pull', nginx.url('live', 'x2'), path.join(tmp, 'no', 'such', 'dir', 'out.flv')], /ERR_OUTPUT/],
    ['3: a refused connection', 3, async () => ['push', AV_FLV, `rtmp://127.0.0.1:${await freePort()}/live/x3`], /ERR_CONNECT_REFUSED/],
    ['4: a cipher list that matches nothing', 4, async () => ['info', '--ciphers', 'NO-SUCH-SUITE'], /ERR_TLS_INVALID_CIPHERS/],
    ['5: a stream the server does not have', 5, async () => ['pull', nginx.url('live', 'missing'), path.join(tmp, 'missing.flv')], /ERR_RTMP_STREAM_NOT_FOUND/],
    [
      '6: check finds a rule of the profile broken (no audio for Facebook)',
      6,
      async () => {
        const videoOnly = path.join(tmp, 'video-only.flv');
        const tags = new FlvParser().push(fs.readFileSync(AV_FLV)).filter((tag) => tag.type !== 'audio');
        fs.writeFileSync(videoOnly, Buffer.concat([encodeFlvHeader(), ...tags.map((tag) => encodeTag(tag))]));
        return ['check', '--profile', 'facebook', videoOnly];
      },
      null,
    ],
  ];
  for (const [name, code, args, error] of cases) {
    test(name, async (t) => {
      const result = await start(await args(), t.signal).done;
      assert.equal(result.code, code, result.stderr);
      if (error) assert.match(result.stderr, new RegExp(`^librtmp: ${error.source}: `, 'm'));
      // Nothing but the warning for the stream name written into the URL (cli-stream-key.test.ts).
      if (code === 0) assert.equal(result.stderr, `${ARGV_KEY_WARNING}\n`);
    });
  }

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    test(`${code}: ${signal} while publishing, after a graceful close`, async (t) => {
      const run = start(['push', '--loop', '--progress', 'json', AV_FLV, nginx.url('live', `sig${code}`)], t.signal);
      await run.sending;
      run.kill(signal);
      const result = await run.done;
      assert.equal(result.code, code, result.stderr);
    });
  }

  test('4: every TLS and engine code of the library', () => {
    const tlsCodes = Object.values(ErrorCodes).filter((code) => /^ERR_(TLS|ENGINE)_/.test(code));
    assert.ok(tlsCodes.includes(ErrorCodes.TLS_RENEGOTIATION));
    for (const code of tlsCodes) assert.equal(classify(new RtmpError(code, 'x')).exitCode, ExitCodes.TLS, code);
  });

  test('1: anything unclassified (a bug) is an internal error', () => {
    // A deliberate bug cannot be provoked in a real run; the mapping is what decides it.
    assert.deepEqual(classify(new TypeError('boom')), { code: 'ERR_INTERNAL', exitCode: 1, message: 'boom' });
    assert.match(help, /^ {2}1 {2,}internal error$/m);
  });
});
