// What the libFuzzer targets (native/fuzz) found, end to end through the addon: a server sends
// the message to a publisher mid-stream, then a ping, and the publisher must answer the ping
// and close cleanly. Before native/patches/0018 each message killed the process (SIGSEGV), so
// a regression shows as this file dying. The targets replay their inputs in
// test/scripts/fuzz-native.test.js.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { FlvParser } from '../lib/flv';
import { publish } from '../lib/index';
import { AV_FLV } from './helpers/fixtures';
import type { RtmpMessage } from './helpers/rtmp-chunks';
import { startScriptedPublishServer } from './helpers/scripted-publish-server';

const tags = new FlvParser().push(fs.readFileSync(AV_FLV));

/** onStatus, transaction 0, null, then one strict array per level holding the next. */
function nestedStrictArrays(depth: number): Buffer {
  const head = Buffer.from('0200086f6e5374617475730000000000000000000005', 'hex');
  return Buffer.concat([head, Buffer.from('0a00000001'.repeat(depth), 'hex'), Buffer.from([5])]);
}

const CASES: Array<[string, RtmpMessage]> = [
  ['an empty Flex message (type 17)', { csid: 3, type: 17, timestamp: 0, streamId: 0, payload: Buffer.alloc(0) }],
  // 500 KB; 30,000 levels were enough to overflow the connection thread's 8 MB stack.
  ['a command nesting strict arrays 100,000 deep', { csid: 3, type: 20, timestamp: 0, streamId: 0, payload: nestedStrictArrays(100_000) }],
];

for (const [what, message] of CASES) {
  test(`a publisher carries on after ${what}`, async () => {
    const server = await startScriptedPublishServer(message);
    try {
      const pub = await publish(server.url);
      // Each write also takes in what the server sent; the server sends the message after the
      // first media, so the pong comes a few writes later.
      for (let i = 0; i < tags.length && !server.ponged; i++) await pub.writeTag(tags[i]);
      assert.ok(server.ponged, `no pong after ${tags.length} tags`);
      await pub.close();
    } finally {
      await server.close();
    }
  });
}
