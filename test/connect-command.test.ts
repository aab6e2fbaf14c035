// The connect command as it crosses the wire: the client's bytes, captured by a relay in
// front of nginx-rtmp, decoded as RTMP chunks and AMF0. Extra properties (Enhanced RTMP's
// fourCcList) must sit inside the command object, where servers look for them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ErrorCodes, publish, publishCamera, RtmpError } from '../lib/index';
import { decodeAmf0, type Amf0Value } from '../lib/amf0';
import { startHandshakeRelay, type HandshakeRelay } from './helpers/handshake-relay';
import { startNginx, type NginxServer } from './helpers/nginx';
import { ChunkParser } from './helpers/rtmp-chunks';

// C0+C1 and C2: what the client sends before its first chunk.
const HANDSHAKE_BYTES = 1 + 1536 + 1536;
const COMMAND_AMF0 = 20;

/** The client's first AMF0 command after the handshake, decoded. */
function firstCommand(clientBytes: Buffer): Amf0Value[] {
  const messages = new ChunkParser().push(clientBytes.subarray(HANDSHAKE_BYTES));
  const command = messages.find((m) => m.type === COMMAND_AMF0);
  assert.ok(command, 'the client sent a command message');
  return decodeAmf0(command.payload);
}

describe('the connect command', () => {
  let nginx: NginxServer;
  let relay: HandshakeRelay;
  before(async () => {
    nginx = await startNginx();
    relay = await startHandshakeRelay({ port: nginx.port });
  });
  after(async () => {
    await relay.stop();
    await nginx.stop();
  });

  const viaRelay = (name: string): string => `rtmp://127.0.0.1:${relay.port}/live/${name}`;

  test('fourCcList and connectProperties go inside the command object', async () => {
    const pub = await publish(viaRelay('enhanced'), {
      fourCcList: ['hvc1', 'av01', '*'],
      connectProperties: { capsEx: 1, videoFourCcInfoMap: { hvc1: 4 } },
    });
    await pub.close();
    const [name, transaction, object, ...rest] = firstCommand(relay.captures.at(-1)!.client);
    assert.equal(name, 'connect');
    assert.equal(transaction, 1);
    assert.deepEqual(rest, [], 'nothing after the command object');
    const properties = object as Record<string, Amf0Value>;
    assert.equal(properties.app, 'live');
    assert.equal(properties.type, 'nonprivate');
    assert.deepEqual(properties.fourCcList, ['hvc1', 'av01', '*']);
    assert.equal(properties.capsEx, 1);
    assert.deepEqual(properties.videoFourCcInfoMap, { hvc1: 4 });
    // nginx-rtmp took the connection with the extra properties: it went on to publish.
    await nginx.waitForLog(/publish: name='enhanced'/);
  });

  test('without them the command object is what librtmp always sent', async () => {
    const pub = await publish(viaRelay('classic'), { conn: ['S:after'] });
    await pub.close();
    const [, , object, ...rest] = firstCommand(relay.captures.at(-1)!.client);
    assert.deepEqual(Object.keys(object as object), ['app', 'type', 'tcUrl']);
    assert.deepEqual(rest, ['after'], "conn arguments still follow the object");
  });

  test('HEVC and AV1 cameras announce hvc1 and av01; an H.264 camera sends no fourCcList', async () => {
    for (const [videoCodec, expected] of [['hevc', ['hvc1']], ['av1', ['av01']], ['h264', undefined]] as const) {
      const camera = await publishCamera(viaRelay(`camera-${videoCodec}`), { videoCodec, reconnect: false });
      await camera.close();
      const object = firstCommand(relay.captures.at(-1)!.client)[2] as Record<string, Amf0Value>;
      assert.deepEqual(object.fourCcList, expected, videoCodec);
    }
    // A caller's own list wins.
    const camera = await publishCamera(viaRelay('camera-own'), { videoCodec: 'hevc', reconnect: false, rtmp: { fourCcList: ['*'] } });
    await camera.close();
    assert.deepEqual((firstCommand(relay.captures.at(-1)!.client)[2] as Record<string, Amf0Value>).fourCcList, ['*']);
    // An unknown codec is refused before a connection is made for it.
    const connections = relay.captures.length;
    await assert.rejects(publishCamera(viaRelay('camera-vp9'), { videoCodec: 'vp9' as 'av1' }), { code: ErrorCodes.INVALID_ARG });
    assert.equal(relay.captures.length, connections);
  });

  test('bad connect properties are refused before any connection', async () => {
    const before = relay.captures.length;
    const refused = async (options: object, pattern: RegExp): Promise<void> => {
      const error = await publish(viaRelay('refused'), options).catch((e: unknown) => e);
      assert.ok(error instanceof RtmpError, String(error));
      assert.equal(error.code, ErrorCodes.INVALID_ARG);
      assert.match(error.message, pattern);
    };
    await refused({ fourCcList: [] }, /fourCcList/);
    await refused({ fourCcList: ['hevc1'] }, /fourCcList/);
    await refused({ fourCcList: ['hv\n1'] }, /fourCcList/);
    await refused({ fourCcList: 'hvc1' }, /fourCcList/);
    await refused({ connectProperties: { tcUrl: 'rtmp://elsewhere/app' } }, /cannot set 'tcUrl'/);
    await refused({ connectProperties: [1] }, /connectProperties/);
    await refused({ connectProperties: { f: () => 1 } }, /AMF0 cannot encode a function/);
    await refused({ fourCcList: ['hvc1'], connectProperties: { fourCcList: ['av01'] } }, /not both/);
    await refused({ connectProperties: { big: 'x'.repeat(3000) } }, /at most 2048/);
    assert.equal(relay.captures.length, before, 'no connection was made');
  });
});
