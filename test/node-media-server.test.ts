// Node-Media-Server 4.x as a second, independent server beside nginx-rtmp: publish and play
// through the API and the CLI, over RTMP and verified RTMPS, and what arrived decodes with
// every frame. (Its stream ends are covered in stream-end.test.ts: it never signals one.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeFlvHeader, encodeTag, FlvParser, type FlvTag } from '../lib/flv';
import { isSequenceHeader } from '../lib/flv-tags';
import { connect, publish, type RtmpConnection, type RtmpOptions } from '../lib/index';
import { makeTestPki, type TestPki } from './helpers/certs';
import { trackChild } from './helpers/children';
import { AV_FLV, avFacts, FIXTURES_DIR } from './helpers/fixtures';
import { ffprobeFrames } from './helpers/media';
import { startNodeMediaServer, type NodeMediaServer } from './helpers/node-media-server';

const ROOT = path.resolve(FIXTURES_DIR, '..', '..');
const BIN = path.join(ROOT, 'bin', 'librtmp.js');
const SENT = new FlvParser().push(fs.readFileSync(AV_FLV));
/** Frames of a type, sequence headers aside (Node-Media-Server sends the cached ones again). */
const count = (tags: FlvTag[], type: FlvTag['type']): number => tags.filter((t) => t.type === type && !isSequenceHeader(t)).length;

/** Reads until every audio and video frame of the fixture arrived (the server never ends the play). */
async function readAll(player: RtmpConnection): Promise<FlvTag[]> {
  const got: FlvTag[] = [];
  while (count(got, 'video') < count(SENT, 'video') || count(got, 'audio') < count(SENT, 'audio')) {
    const batch = await player.readTags();
    if (batch === null) break;
    got.push(...batch);
  }
  return got;
}

function cli(args: string[], signal: AbortSignal): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  trackChild(child, { signal });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

describe('Node-Media-Server: publish and play', () => {
  let pki: TestPki;
  let nms: NodeMediaServer;
  let tmp: string;
  before(async () => {
    pki = await makeTestPki();
    nms = await startNodeMediaServer({ tls: { cert: pki.server.certPath, key: pki.server.keyPath } });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nms-'));
  });
  after(async () => {
    await nms?.stop();
    pki?.remove();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  for (const scheme of ['rtmp', 'rtmps'] as const) {
    test(`the API over ${scheme}: every frame arrives and decodes`, async () => {
      const url = nms.url('live', `api-${scheme}`, scheme, 'localhost');
      const options: RtmpOptions = scheme === 'rtmps' ? { tls: { ca: pki.ca.cert } } : {};
      // The player first: Node-Media-Server holds it until the publisher comes.
      const player = await connect(url, { ...options, live: true, timeout: 10_000 });
      const pub = await publish(url, options);
      if (scheme === 'rtmps') assert.equal(pub.tlsInfo()?.authorized, true);
      const sent = await pub.sendFile(AV_FLV);
      assert.equal(sent.tags, SENT.length);
      const got = await readAll(player);
      await pub.close();
      await player.close();
      assert.equal(count(got, 'video'), count(SENT, 'video'));
      assert.equal(count(got, 'audio'), count(SENT, 'audio'));
      const file = path.join(tmp, `api-${scheme}.flv`);
      fs.writeFileSync(file, Buffer.concat([encodeFlvHeader(), ...got.filter((t) => t.type !== 'script').map((t) => encodeTag(t))]));
      const probe = await ffprobeFrames(file);
      assert.equal(probe.video?.frames, avFacts.video.frames);
      assert.equal(probe.audio?.frames, avFacts.audio.frames);
    });
  }

  test('the CLI over verified rtmps: push, and pull --duration', async (t) => {
    const url = nms.url('live', 'cli', 'rtmps', 'localhost');
    const out = path.join(tmp, 'cli.flv');
    const pulling = cli(['pull', '--live', '--duration', '5', '--ca', pki.ca.certPath, url, out], t.signal);
    // The pull is attached once the server logs its play; then the file goes out in real time.
    await nms.waitForLog(/start play \/live\/cli/);
    const pushed = await cli(['push', '--ca', pki.ca.certPath, AV_FLV, url], t.signal);
    assert.equal(pushed.code, 0, pushed.stderr);
    const pulled = await pulling;
    assert.equal(pulled.code, 0, pulled.stderr);
    const probe = await ffprobeFrames(out);
    assert.ok((probe.video?.frames ?? 0) >= 100, `${probe.video?.frames} video frames in 5 s of media`);
    assert.ok((probe.audio?.frames ?? 0) > 0);
  });
});
