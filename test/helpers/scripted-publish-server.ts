// A server on loopback that plays nginx-rtmp's part for one publisher (its captured replies to
// connect, createStream and publish, test/fixtures/fuzz-seeds.json), then, once media flows,
// sends one given message followed by a ping. The publisher's pong proves that it handled the
// message and carried on.
import net from 'node:net';
import { decodeAmf0Value } from '../../lib/amf0';
import { loadSeeds } from './capture-seeds';
import { LOOPBACK } from './ports';
import { ChunkParser, ChunkWriter, type RtmpMessage } from './rtmp-chunks';

const SIG = 1536;
/** Which captured reply burst answers which command. */
const REPLY_BURST: Record<string, number> = { connect: 0, createStream: 1, publish: 2 };
const TYPE_AUDIO = 8;
const TYPE_VIDEO = 9;
const TYPE_USER_CONTROL = 4;
const TYPE_COMMAND = 20;
const PING_REQUEST = 6;
const PING_RESPONSE = 7;

export interface ScriptedPublishServer {
  url: string;
  /** Resolves when the publisher answered the ping sent after the message. */
  pong: Promise<void>;
  readonly ponged: boolean;
  close(): Promise<void>;
}

function pingRequest(): RtmpMessage {
  const payload = Buffer.alloc(6);
  payload.writeUInt16BE(PING_REQUEST, 0);
  payload.writeUInt32BE(1, 2);
  return { csid: 2, type: TYPE_USER_CONTROL, timestamp: 0, streamId: 0, payload };
}

export async function startScriptedPublishServer(message: RtmpMessage): Promise<ScriptedPublishServer> {
  const bursts = loadSeeds().publish;
  const sockets = new Set<net.Socket>();
  let ponged = false;
  let resolvePong = (): void => {};
  const pong = new Promise<void>((resolve) => (resolvePong = resolve));

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const writer = new ChunkWriter();
    const parser = new ChunkParser();
    let pending = Buffer.alloc(0);
    let phase: 'c0c1' | 'c2' | 'chunks' = 'c0c1';
    let messageSent = false;

    const onMessage = (m: RtmpMessage): void => {
      if (m.type === TYPE_COMMAND) {
        const name = decodeAmf0Value(m.payload).value;
        const burst = typeof name === 'string' ? REPLY_BURST[name] : undefined;
        if (burst !== undefined) socket.write(Buffer.concat(bursts[burst].map((b) => writer.write(b))));
      } else if ((m.type === TYPE_AUDIO || m.type === TYPE_VIDEO) && !messageSent) {
        messageSent = true;
        socket.write(Buffer.concat([writer.write(message), writer.write(pingRequest())]));
      } else if (m.type === TYPE_USER_CONTROL && m.payload.length >= 2 && m.payload.readUInt16BE(0) === PING_RESPONSE) {
        ponged = true;
        resolvePong();
      }
    };

    socket.on('data', (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      if (phase === 'c0c1' && pending.length >= 1 + SIG) {
        // S0, S1 (time and version zero: the simple handshake), S2 echoing C1.
        socket.write(Buffer.concat([Buffer.from([3]), Buffer.alloc(SIG), pending.subarray(1, 1 + SIG)]));
        pending = pending.subarray(1 + SIG);
        phase = 'c2';
      }
      if (phase === 'c2' && pending.length >= SIG) {
        pending = pending.subarray(SIG);
        phase = 'chunks';
      }
      if (phase !== 'chunks') return;
      const messages = parser.push(pending);
      pending = Buffer.alloc(0);
      messages.forEach(onMessage);
    });
  });
  await new Promise<void>((resolve) => server.listen({ host: LOOPBACK, port: 0 }, resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `rtmp://${LOOPBACK}:${port}/live/scripted`,
    pong,
    get ponged() {
      return ponged;
    },
    close: async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
