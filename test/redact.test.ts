// Redaction that neither leaks nor garbles: a one-character stream name leaves every message
// readable (it used to turn "127.0.0.1" into "****27.0.0.****"), and a real-length key is still
// masked wherever it can appear — server replies, log lines, errors, inspect() and the CLI.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import { after, before, describe, test } from 'node:test';
import { encodeAmf0 } from '../lib/amf0';
import { ErrorCodes, RtmpError } from '../lib/errors';
import { FlvParser } from '../lib/flv';
import { publish, type LogEntry } from '../lib/index';
import { KEY_MIN_LENGTH, makeRedactor } from '../lib/redact';
import { parseRtmpUrl } from '../lib/url';
import { makeTestPki, type TestPki } from './helpers/certs';
import { expectRtmpError } from './helpers/expect-error';
import { AV_FLV, FIXTURES_DIR } from './helpers/fixtures';
import { startNginx, type NginxServer } from './helpers/nginx';
import { freePort } from './helpers/ports';
import { startScriptedPublishServer } from './helpers/scripted-publish-server';

const ROOT = path.resolve(FIXTURES_DIR, '..', '..');
const BIN = path.join(ROOT, 'bin', 'librtmp.js');
/** Shaped like a Facebook Live key: long, with dashes. */
const LONG_KEY = 'FB-1029384756-0-AbX9kQ2mZr7TtW';

describe('makeRedactor', () => {
  const MESSAGES = [
    ['1', 'connection refused by 127.0.0.1 port 1935'],
    ['x', 'TLS certificate verification failed: certificate has expired'],
    ['a', 'librtmp: ERR_INPUT: cannot read media/nope.flv: ENOENT'],
    ['1', 'HTTP/1.1 200 OK'],
    ['e', "the server refused: NetStream.Publish.BadName (the name is not allowed here)"],
  ];
  for (const [name, message] of MESSAGES) {
    test(`a stream named '${name}' leaves "${message}" as it is`, () => {
      assert.equal(makeRedactor([name])(message), message);
    });
  }

  test('a short name is masked where a key goes: path segment, query value, quoted name, labelled value', () => {
    const redact = makeRedactor(['1']);
    assert.equal(redact('rtmp://127.0.0.1:1935/live/1'), 'rtmp://127.0.0.1:1935/live/****');
    assert.equal(redact('play?name=1&x=2'), 'play?name=****&x=2');
    assert.equal(redact("publish: name='1' args=''"), "publish: name='****' args=''");
    assert.equal(redact('Playpath : 1'), 'Playpath : ****');
    assert.equal(redact('live%2F1 done'), 'live%2F**** done');
  });

  test(`a key of ${KEY_MIN_LENGTH}+ characters is masked as a whole token anywhere, URL-encoded too`, () => {
    const redact = makeRedactor([LONG_KEY, 'key with/space']);
    const cases: Array<[string, string]> = [
      [`stream ${LONG_KEY} not found`, 'stream **** not found'],
      [`record/${LONG_KEY}.flv`, 'record/****.flv'],
      [`(${LONG_KEY})`, '(****)'],
      [`live%2F${encodeURIComponent(LONG_KEY)}&t=1`, 'live%2F****&t=1'],
      ['a key%20with%2Fspace b', 'a **** b'],
      ['a key%20with/space b', 'a **** b'],
      [`${LONG_KEY}\n${LONG_KEY}`, '****\n****'],
    ];
    for (const [input, expected] of cases) assert.equal(redact(input), expected, input);
    // Glued to other letters it is another word, not this key.
    assert.equal(redact(`x${LONG_KEY}y`), `x${LONG_KEY}y`);
  });

  test('URLs are rendered from their parts; the secrets list holds the key, its query and each token', () => {
    const url = parseRtmpUrl(`rtmp://127.0.0.1/live?auth=tok3n-value/${LONG_KEY}?sig=abcdef012345&e=1`);
    assert.equal(url.redacted, 'rtmp://127.0.0.1:1935/live?****/****');
    for (const secret of [LONG_KEY, `${LONG_KEY}?sig=abcdef012345&e=1`, 'tok3n-value', 'abcdef012345']) {
      assert.ok(url.secrets.includes(secret), secret);
    }
    assert.equal(parseRtmpUrl('rtmp://1.1.1.1/1/1').redacted, 'rtmp://1.1.1.1:1935/1/****');
  });
});

describe('end to end', () => {
  let pki: TestPki;
  let expired: NginxServer;
  let tmp: string;
  before(async () => {
    pki = await makeTestPki();
    expired = await startNginx({ tls: { cert: pki.expired.certPath, key: pki.expired.keyPath } });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redact-'));
  });
  after(async () => {
    await expired?.stop();
    pki?.remove();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test("stream '1': a refused connection names 127.0.0.1 and its port", async () => {
    const port = await freePort();
    const error = await expectRtmpError(publish(`rtmp://127.0.0.1:${port}/live/1`, { timeout: 5000 }), ErrorCodes.CONNECT_REFUSED);
    assert.equal(error.message, `connection refused by 127.0.0.1 port ${port}`);
  });

  test("stream 'x': an expired certificate says 'certificate has expired'", async () => {
    const url = expired.url('live', 'x', 'rtmps', 'localhost');
    const error = await expectRtmpError(publish(url, { tls: { ca: pki.ca.cert }, timeout: 5000 }), ErrorCodes.TLS_CERT_VERIFY);
    assert.match(error.message, /certificate has expired/);
  });

  test("stream 'a': the CLI's usage error names media/nope.flv", async () => {
    const port = await freePort();
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'push', 'media/nope.flv', `rtmp://127.0.0.1:${port}/live/a`], {
        cwd: tmp,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stderr }));
    });
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stderr.trim(), 'librtmp: ERR_INPUT: cannot read media/nope.flv: ENOENT');
  });

  test('a long key a server echoes in its reply is masked in the error, its status and the log', async () => {
    // The server refuses mid-stream, quoting the key plainly and URL-encoded.
    const description = `stream live/${LONG_KEY} (${encodeURIComponent(`live/${LONG_KEY}`)}) is not allowed`;
    const payload = encodeAmf0('onStatus', 0, null, { level: 'error', code: 'NetStream.Publish.BadName', description });
    const server = await startScriptedPublishServer({ csid: 5, type: 20, timestamp: 0, streamId: 1, payload });
    const lines: LogEntry[] = [];
    try {
      const url = server.url.replace(/\/[^/]*$/, `/${LONG_KEY}`);
      const pub = await publish(url, { logger: (e) => lines.push(e), logLevel: 'debug' });
      const tags = new FlvParser().push(fs.readFileSync(AV_FLV));
      let failure: unknown;
      for (const tag of tags) {
        failure = await pub.writeTag(tag).then(() => undefined, (e: unknown) => e);
        if (failure) break;
      }
      assert.ok(failure instanceof RtmpError, 'the refusal reached the writer');
      assert.equal(failure.code, ErrorCodes.RTMP_PUBLISH_REJECTED);
      assert.equal(failure.statusDescription, 'stream live/**** (live%2F****) is not allowed');
      const seen = [util.inspect(failure), String(failure.stack), util.inspect(pub), pub.url, JSON.stringify(lines)];
      for (const text of seen) assert.ok(!text.includes(LONG_KEY) && !text.includes(encodeURIComponent(LONG_KEY)), text.slice(0, 300));
      assert.ok(lines.length > 0, 'debug log lines were checked');
      await pub.destroy();
    } finally {
      await server.close();
    }
  });
});
