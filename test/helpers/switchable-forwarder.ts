// A loopback TCP forwarder to a server whose link a test can stall (stop reading from the
// client), cut (close every connection and refuse new ones) and restore: one destination's
// faults, while the others reach the server directly.
import net from 'node:net';
import { freePort, LOOPBACK } from './ports';

export interface SwitchableForwarder {
  readonly port: number;
  readonly connections: number;
  /** Stop reading from the clients connected now. */
  stall(): void;
  /** Close every connection and refuse new ones until restore(). */
  cut(): Promise<void>;
  /** Accept and forward again (on the same port). */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startSwitchableForwarder(targetPort: number): Promise<SwitchableForwarder> {
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  const clients = new Set<net.Socket>();
  let connections = 0;
  let server: net.Server | undefined;
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const listen = async (): Promise<void> => {
    const listening = net.createServer((client) => {
      connections++;
      const upstream = net.connect(targetPort, LOOPBACK);
      track(client);
      track(upstream);
      clients.add(client);
      client.on('close', () => clients.delete(client));
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => listening.listen(port, LOOPBACK, resolve));
    server = listening;
  };
  const cut = async (): Promise<void> => {
    const closing = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };
  await listen();
  return {
    port,
    get connections() {
      return connections;
    },
    stall() {
      for (const client of clients) {
        client.unpipe();
        client.pause();
      }
    },
    cut,
    async restore() {
      if (!server) await listen();
    },
    close: cut,
  };
}
