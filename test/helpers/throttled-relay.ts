// A loopback TCP relay to a server that reads from its client at most `bytesPerSecond`: a
// slow uplink, as the publisher sees it. Server-to-client traffic passes unthrottled.
import net from 'node:net';
import { freePort, LOOPBACK } from './ports';

export interface ThrottledRelay {
  readonly port: number;
  readonly stats: { bytesFromClient: number; throttled: number; connections: number };
  /** From now on, read nothing more from any client. */
  stall(): void;
  /** From now on, read from clients at this rate. */
  setRate(bytesPerSecond: number): void;
  close(): void;
}

export async function startThrottledRelay(targetPort: number, bytesPerSecond: number): Promise<ThrottledRelay> {
  const port = await freePort();
  const clients: net.Socket[] = [];
  const sockets: net.Socket[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const stats = { bytesFromClient: 0, throttled: 0, connections: 0 };
  let rate = bytesPerSecond;
  let stalled = false;
  const server = net.createServer((client) => {
    stats.connections++;
    const upstream = net.connect(targetPort, LOOPBACK);
    clients.push(client);
    sockets.push(client, upstream);
    // A virtual clock of when the bytes read so far may have been read at the rate: reading
    // pauses while it runs ahead of the real one, however large the chunks are.
    let paidUntil = performance.now();
    client.on('data', (data: Buffer) => {
      stats.bytesFromClient += data.length;
      upstream.write(data);
      if (stalled) return;
      const now = performance.now();
      paidUntil = Math.max(paidUntil, now) + (data.length * 1000) / rate;
      if (paidUntil > now) {
        stats.throttled++;
        client.pause();
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!stalled) client.resume();
        }, paidUntil - now);
        timers.add(timer);
      }
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(port, LOOPBACK, resolve));
  return {
    port,
    stats,
    setRate(next: number) {
      rate = next;
    },
    stall() {
      stalled = true;
      for (const timer of timers) clearTimeout(timer);
      for (const client of clients) client.pause();
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
