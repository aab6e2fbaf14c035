// A scripted RTMP server on loopback for Enhanced RTMP v2's ReconnectRequest: it answers a
// publisher as nginx-rtmp does (captured replies, test/fixtures/fuzz-seeds.json), records
// each connection's media messages, and after a publisher's media messages asks, through a
// policy, whether to send NetConnection.Connect.ReconnectRequest (with an optional tcUrl).
import net from 'node:net';
import { decodeAmf0Value, encodeAmf0 } from '../../lib/amf0';
import { loadSeeds } from './capture-seeds';
import { LOOPBACK } from './ports';
import { ChunkParser, ChunkWriter, type RtmpMessage } from './rtmp-chunks';

const SIG = 1536;
const REPLY_BURST: Record<string, number> = { connect: 0, createStream: 1, publish: 2 };
const TYPE_AUDIO = 8;
const TYPE_VIDEO = 9;
const TYPE_DATA = 18;
const TYPE_COMMAND = 20;

export interface ReceivedMessage {
  type: 'audio' | 'video' | 'script';
  timestamp: number;
  /** The first bytes of the body: FLV tag header bytes (frame type, packet type). */
  head: Buffer;
}

export interface ServedConnection {
  /** The connect command's tcUrl. */
  tcUrl: string | undefined;
  media: ReceivedMessage[];
  /** Indexes into `media` after which a ReconnectRequest was sent. */
  requestsAfter: number[];
  closed: boolean;
}

/** Called after each media message: a tcUrl (or '' for none) sends a ReconnectRequest. */
export type RequestPolicy = (connection: ServedConnection, index: number) => string | undefined;

export interface ReconnectRequestServer {
  port: number;
  url(name: string): string;
  readonly connections: ServedConnection[];
  /** Resolves once `predicate` holds (checked after each media message and each close). */
  waitFor(predicate: () => boolean): Promise<void>;
  close(): Promise<void>;
}

export function reconnectRequest(tcUrl: string): RtmpMessage {
  const info: Record<string, string> = {
    level: 'status',
    code: 'NetConnection.Connect.ReconnectRequest',
    description: 'The streaming server is going down for maintenance',
  };
  if (tcUrl !== '') info.tcUrl = tcUrl;
  return { csid: 3, type: TYPE_COMMAND, timestamp: 0, streamId: 0, payload: encodeAmf0('onStatus', 0, null, info) };
}

export async function startReconnectRequestServer(policy: RequestPolicy): Promise<ReconnectRequestServer> {
  const bursts = loadSeeds().publish;
  const sockets = new Set<net.Socket>();
  const connections: ServedConnection[] = [];
  const waiters: { predicate: () => boolean; resolve: () => void }[] = [];
  const check = (): void => {
    for (const waiter of [...waiters]) {
      if (waiter.predicate()) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    const served: ServedConnection = { tcUrl: undefined, media: [], requestsAfter: [], closed: false };
    connections.push(served);
    socket.on('close', () => {
      sockets.delete(socket);
      served.closed = true;
      check();
    });
    socket.on('error', () => socket.destroy());
    const writer = new ChunkWriter();
    const parser = new ChunkParser();
    let pending = Buffer.alloc(0);
    let phase: 'c0c1' | 'c2' | 'chunks' = 'c0c1';

    const onMessage = (m: RtmpMessage): void => {
      if (m.type === TYPE_COMMAND) {
        const values: unknown[] = [];
        let offset = 0;
        try {
          while (offset < m.payload.length && values.length < 3) {
            const decoded = decodeAmf0Value(m.payload, offset);
            values.push(decoded.value);
            offset = decoded.next;
          }
        } catch {
          // a command we do not need to understand
        }
        const name = values[0];
        if (name === 'connect' && typeof values[2] === 'object' && values[2] !== null) {
          const tcUrl = (values[2] as Record<string, unknown>).tcUrl;
          if (typeof tcUrl === 'string') served.tcUrl = tcUrl;
        }
        const burst = typeof name === 'string' ? REPLY_BURST[name] : undefined;
        if (burst !== undefined) socket.write(Buffer.concat(bursts[burst].map((b) => writer.write(b))));
        return;
      }
      if (m.type !== TYPE_AUDIO && m.type !== TYPE_VIDEO && m.type !== TYPE_DATA) return;
      const type = m.type === TYPE_AUDIO ? 'audio' : m.type === TYPE_VIDEO ? 'video' : 'script';
      served.media.push({ type, timestamp: m.timestamp, head: Buffer.from(m.payload.subarray(0, 2)) });
      const index = served.media.length - 1;
      const tcUrl = policy(served, index);
      if (tcUrl !== undefined) {
        served.requestsAfter.push(index);
        socket.write(writer.write(reconnectRequest(tcUrl)));
      }
      check();
    };

    socket.on('data', (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      if (phase === 'c0c1' && pending.length >= 1 + SIG) {
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
    port,
    url: (name) => `rtmp://${LOOPBACK}:${port}/live/${name}`,
    connections,
    waitFor: (predicate) =>
      new Promise<void>((resolve) => {
        waiters.push({ predicate, resolve });
        check();
      }),
    close: async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
