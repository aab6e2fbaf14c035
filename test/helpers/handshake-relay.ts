// A TCP relay on loopback that records the first bytes each way: the RTMP handshake as it
// crossed the wire (C0+C1, C2 and what follows from the client; S0+S1+S2 from the server).
import net from 'node:net';
import { LOOPBACK } from './ports';

export interface RelayCapture {
  /** The client's first `captureBytes` bytes (fewer if it sent fewer). */
  client: Buffer;
  /** The server's first `captureBytes` bytes. */
  server: Buffer;
}

export interface HandshakeRelay {
  readonly port: number;
  /** One capture per relayed connection, in order, filled while the connection runs. */
  readonly captures: RelayCapture[];
  stop(): Promise<void>;
}

export async function startHandshakeRelay(target: { host?: string; port: number }, captureBytes = 8192): Promise<HandshakeRelay> {
  const captures: RelayCapture[] = [];
  const sockets = new Set<net.Socket>();
  const keep = (a: Buffer, b: Buffer): Buffer => (a.length >= captureBytes ? a : Buffer.concat([a, b]).subarray(0, captureBytes));
  const server = net.createServer((client) => {
    const capture: RelayCapture = { client: Buffer.alloc(0), server: Buffer.alloc(0) };
    captures.push(capture);
    const upstream = net.connect({ host: target.host ?? LOOPBACK, port: target.port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.once('close', () => sockets.delete(s));
      // Either side failing ends both.
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (d: Buffer) => {
      capture.client = keep(capture.client, d);
    });
    upstream.on('data', (d: Buffer) => {
      capture.server = keep(capture.server, d);
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: 0 }, () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    captures,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
