// TCP port helpers for servers the tests start on loopback.
import net from 'node:net';

export const LOOPBACK = '127.0.0.1';

/**
 * Asks the kernel for a free TCP port on 127.0.0.1 (bind port 0, read it, close).
 * The port is free only at the moment of the call: the caller must bind it soon after
 * and be ready to retry with another port if someone else took it in between.
 */
export function freePort(host: string = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`could not read the port of ${String(address)}`));
        return;
      }
      server.close((err) => (err ? reject(err) : resolve(address.port)));
    });
  });
}

/** Distinct free ports (asked for in one go so the kernel cannot hand out one twice). */
export async function freePorts(count: number, host: string = LOOPBACK): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host, port: 0, exclusive: true }, () => {
            resolve((server.address() as net.AddressInfo).port);
          });
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/**
 * Tries one TCP connection; resolves with the local port it used (the server may log it)
 * or null when the connection was refused.
 */
export function tryConnect(port: number, host: string = LOOPBACK): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      const localPort = socket.localPort ?? 0;
      socket.destroy();
      resolve(localPort);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(null);
    });
  });
}
