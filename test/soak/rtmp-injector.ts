// A TCP relay between an RTMP client and nginx-rtmp that can put an Enhanced RTMP v2
// ReconnectRequest into the server's side of the connection (nginx never sends one): the
// server's bytes after the handshake are parsed into messages and written again, so that the
// injected message lands between two of them.
import net from 'node:net';
import { ChunkParser, ChunkWriter } from '../helpers/rtmp-chunks';
import { reconnectRequest } from '../helpers/reconnect-request-server';
import { LOOPBACK } from '../helpers/ports';

const HANDSHAKE_BYTES = 1 + 1536 + 1536; // S0, S1, S2

export interface RtmpInjector {
  port: number;
  /** Sends a ReconnectRequest (tcUrl '' for none) on every open session; how many got it. */
  inject(tcUrl: string): number;
  close(): Promise<void>;
}

export async function startRtmpInjector(listenPort: number, targetPort: number): Promise<RtmpInjector> {
  const sessions = new Set<{ inject: (tcUrl: string) => void }>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, LOOPBACK);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    const writer = new ChunkWriter();
    const parser = new ChunkParser();
    let handshake = 0;
    let ready = false;
    const session = {
      inject: (tcUrl: string) => {
        if (ready) client.write(writer.write(reconnectRequest(tcUrl)));
      },
    };
    sessions.add(session);
    client.on('close', () => sessions.delete(session));
    upstream.on('data', (data: Buffer) => {
      let rest = data;
      if (handshake < HANDSHAKE_BYTES) {
        const take = Math.min(HANDSHAKE_BYTES - handshake, rest.length);
        client.write(rest.subarray(0, take));
        handshake += take;
        rest = rest.subarray(take);
      }
      if (rest.length === 0) return;
      ready = true;
      for (const message of parser.push(rest)) client.write(writer.write(message));
    });
  });
  await new Promise<void>((resolve) => server.listen(listenPort, LOOPBACK, resolve));
  return {
    port: listenPort,
    inject(tcUrl) {
      for (const session of sessions) session.inject(tcUrl);
      return sessions.size;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
