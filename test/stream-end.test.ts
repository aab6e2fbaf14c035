// A server that dies mid-stream is not a normal end. A play ends normally only when the
// server says so (Play.Complete/Stop/UnpublishNotify or StreamEOF) or this side closes; a
// connection that closes or resets without that is ERR_CONNECTION_CLOSED from readTags(),
// the iterator and the readable stream, and `librtmp pull` exits non-zero leaving no output
// file. Two independent servers: nginx-rtmp (its worker killed under the players) and
// Node-Media-Server (killed; and silent when its publisher leaves).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { ErrorCodes, RtmpError } from '../lib/errors';
import { FlvParser } from '../lib/flv';
import { connect, publish, type RtmpConnection } from '../lib/index';
import { trackChild } from './helpers/children';
import { AV_FLV, FIXTURES_DIR } from './helpers/fixtures';
import { startNginx, type NginxServer } from './helpers/nginx';
import { startNodeMediaServer, type NodeMediaServer } from './helpers/node-media-server';
import { childPids } from './helpers/processes';

const ROOT = path.resolve(FIXTURES_DIR, '..', '..');
const BIN = path.join(ROOT, 'bin', 'librtmp.js');
/** Tags each player reads before the server is killed: well inside the 10 s fixture. */
const BEFORE_KILL = 20;

/** nginx dies under its players: its worker processes (which hold the connections) are killed. */
function killNginxWorkers(nginx: NginxServer): void {
  assert.ok(nginx.pid !== undefined);
  const workers = childPids(nginx.pid);
  assert.ok(workers.length > 0, 'nginx has workers');
  for (const pid of workers) process.kill(pid, 'SIGKILL');
}

/** Publishes the fixture in real time; resolves or rejects when the send ends. */
async function startPublisher(url: string): Promise<{ pub: RtmpConnection; sending: Promise<unknown> }> {
  const pub = await publish(url);
  const sending = pub.sendFile(AV_FLV, { realtime: true }).catch((e: unknown) => e);
  return { pub, sending };
}

interface Reader {
  name: string;
  /** Resolves with the number of tags read and how it ended. */
  done: Promise<{ tags: number; error?: unknown }>;
  reached: Promise<void>;
}

type ReadWay = 'readTags()' | 'for await' | 'readable()';

/** Reads a play one of the three ways: readTags(), the async iterator, or readable(). */
function startReader(name: ReadWay, player: RtmpConnection): Reader {
  let tags = 0;
  let reach = (): void => {};
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const count = (n: number): void => {
    tags += n;
    if (tags >= BEFORE_KILL) reach();
  };
  const consume = async (): Promise<void> => {
    if (name === 'readTags()') {
      for (;;) {
        const batch = await player.readTags();
        if (batch === null) return;
        count(batch.length);
      }
    } else if (name === 'for await') {
      for await (const tag of player) count(tag ? 1 : 0);
    } else {
      const parser = new FlvParser();
      await pipeline(
        player.readable(),
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            count(parser.push(chunk).length);
            callback();
          },
        }),
      );
    }
  };
  const done = consume().then(
    () => ({ tags }),
    (error: unknown) => ({ tags, error }),
  );
  // A reader that ends before it reached the count lets the test go on (and fail).
  void done.then(() => reach());
  return { name, done, reached };
}

const WAYS: ReadWay[] = ['readTags()', 'for await', 'readable()'];

function readers(players: RtmpConnection[]): Reader[] {
  return WAYS.map((way, i) => startReader(way, players[i]));
}

function assertConnectionClosed(reader: { name: string }, result: { tags: number; error?: unknown }): void {
  assert.ok(result.tags >= BEFORE_KILL, `${reader.name}: ${result.tags} tags before the kill`);
  assert.ok(result.error instanceof RtmpError, `${reader.name} ended without an error after ${result.tags} tags`);
  assert.equal(result.error.code, ErrorCodes.CONNECTION_CLOSED, `${reader.name}: ${result.error.message}`);
  assert.match(result.error.message, /without ending the stream/);
}

interface CliRun {
  done: Promise<{ code: number | null; stderr: string }>;
  /** Resolves once a --progress json record shows media written. */
  receiving: Promise<void>;
}

function startCli(args: string[], signal: AbortSignal): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  trackChild(child, { signal });
  let stderr = '';
  let onReceiving = (): void => {};
  const receiving = new Promise<void>((resolve) => (onReceiving = resolve));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    const records = stderr.split('\n').filter((l) => l.startsWith('{'));
    if (records.some((l) => (JSON.parse(l) as { bytes: number }).bytes > 0)) onReceiving();
  });
  const done = new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
  void done.then(() => onReceiving());
  return { done, receiving };
}

describe('nginx-rtmp dies under its players', () => {
  let nginx: NginxServer;
  let tmp: string;
  before(async () => {
    nginx = await startNginx();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-end-'));
  });
  after(async () => {
    await nginx?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('readTags(), the iterator and readable() fail with ERR_CONNECTION_CLOSED', async () => {
    const { pub, sending } = await startPublisher(nginx.url('live', 'killed'));
    const players = await Promise.all([0, 1, 2].map(() => connect(nginx.url('live', 'killed'), { live: true })));
    const all = readers(players);
    await Promise.all(all.map((r) => r.reached));
    killNginxWorkers(nginx);
    for (const reader of all) assertConnectionClosed(reader, await reader.done);
    // A failed read stays failed.
    await assert.rejects(players[0].readTags(), { code: ErrorCodes.CONNECTION_CLOSED });
    await sending;
    await Promise.all([...players, pub].map((c) => c.destroy()));
  });

  test('a normal end still reads as one: StreamEOF after the publisher leaves', async () => {
    const { pub, sending } = await startPublisher(nginx.url('live', 'ends'));
    const player = await connect(nginx.url('live', 'ends'), { live: true });
    const reader = startReader('readTags()', player);
    await reader.reached;
    await pub.close();
    await sending;
    const result = await reader.done;
    assert.equal(result.error, undefined);
    assert.ok(result.tags >= BEFORE_KILL);
    await player.close();
  });

  test('librtmp pull exits 3 and leaves no output file; --keep-partial keeps <output>.part', async (t) => {
    const { pub, sending } = await startPublisher(nginx.url('live', 'pulled'));
    const out = path.join(tmp, 'pulled.flv');
    const kept = path.join(tmp, 'kept.flv');
    const pulls = [
      startCli(['pull', '--live', '--progress', 'json', nginx.url('live', 'pulled'), out], t.signal),
      startCli(['pull', '--live', '--progress', 'json', '--keep-partial', nginx.url('live', 'pulled'), kept], t.signal),
    ];
    await Promise.all(pulls.map((p) => p.receiving));
    killNginxWorkers(nginx);
    const [plain, keep] = await Promise.all(pulls.map((p) => p.done));
    assert.equal(plain.code, 3, plain.stderr);
    assert.match(plain.stderr, /^librtmp: ERR_CONNECTION_CLOSED: the server (closed|reset) the connection without ending the stream/m);
    assert.ok(!fs.existsSync(out) && !fs.existsSync(`${out}.part`), 'no output file left behind');
    assert.equal(keep.code, 3, keep.stderr);
    assert.ok(!fs.existsSync(kept), 'the output name is given only to a complete pull');
    const partial = new FlvParser().push(fs.readFileSync(`${kept}.part`));
    assert.ok(partial.length > 0, 'what arrived is kept in .part');
    await sending;
    await pub.destroy();
  });
});

describe('Node-Media-Server', () => {
  let nms: NodeMediaServer;
  before(async () => {
    nms = await startNodeMediaServer();
  });
  after(async () => {
    await nms?.stop();
  });

  test('it never signals the end of a live stream: the player times out saying so', async () => {
    const { pub, sending } = await startPublisher(nms.url('live', 'silent'));
    const player = await connect(nms.url('live', 'silent'), { live: true, timeout: 2000 });
    const reader = startReader('readTags()', player);
    await reader.reached;
    await pub.close();
    await sending;
    const result = await reader.done;
    assert.ok(result.error instanceof RtmpError, 'no success without an end of stream');
    assert.equal(result.error.code, ErrorCodes.TIMEOUT);
    assert.match(result.error.message, /has not ended the stream.*Node-Media-Server/);
    await player.destroy();
  });

  test('killed under its players: ERR_CONNECTION_CLOSED from every reader', async () => {
    const { pub, sending } = await startPublisher(nms.url('live', 'killed'));
    const players = await Promise.all([0, 1, 2].map(() => connect(nms.url('live', 'killed'), { live: true })));
    const all = readers(players);
    await Promise.all(all.map((r) => r.reached));
    await nms.kill();
    for (const reader of all) assertConnectionClosed(reader, await reader.done);
    await sending;
    await Promise.all([...players, pub].map((c) => c.destroy()));
  });
});
