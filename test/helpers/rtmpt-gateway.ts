// An RTMPT gateway for the tunnel tests: nginx-rtmp does not speak RTMP over HTTP, so this
// HTTP(S) server on loopback plays the server side of RTMPT and carries each tunnel session
// over its own TCP connection to a plain RTMP server.
//
// RTMPT as Flash Media Server answers it: POST /open/1 starts a session and the body of the
// answer is its id and a newline; POST /send/<id>/<seq> carries client bytes; POST
// /idle/<id>/<seq> asks for what the server has; POST /close/<id>/<seq> ends the session.
// Every answer to send and idle is one polling-interval byte followed by the bytes the RTMP
// server sent since the previous answer. /fcs/ident2 (Flash's probe for an edge) gets a 404.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { TLSSocket } from 'node:tls';
import { LOOPBACK } from './ports';

export type RtmptCommand = 'open' | 'send' | 'idle' | 'close' | 'fcs';

export interface RtmptRequest {
  command: RtmptCommand;
  session?: string;
  seq?: number;
  /** Request body bytes (client → server RTMP bytes for send). */
  bytesIn: number;
  /** RTMP bytes handed to the client in the answer (the polling byte not counted). */
  bytesOut: number;
  status: number;
  /** rtmpts: the SNI name the client sent (null without SNI); undefined over plain HTTP. */
  serverName?: string | null;
}

export interface RtmptGatewayOptions {
  /** The plain RTMP server each session is bridged to. */
  target: { host?: string; port: number };
  /** Serve HTTPS (rtmpts) with this PEM certificate and key. */
  tls?: { cert: string; key: string };
  /** Port to listen on (default: a free one). */
  port?: number;
  /** How long an idle request with nothing to answer waits for server bytes (default 20 ms;
   * 0 answers at once, as some servers do). */
  idleHoldMs?: number;
}

export interface RtmptGateway {
  readonly port: number;
  /** Every request answered, in order. */
  readonly requests: RtmptRequest[];
  /** Sessions whose sequence numbers did not go up by one per request. */
  readonly sequenceErrors: string[];
  /** rtmpt://127.0.0.1:port/app/name (or another tunnel scheme / host). */
  url(app: string, name: string, scheme?: 'rtmpt' | 'rtmpts' | 'rtmpte', host?: string): string;
  stop(): Promise<void>;
}

// Flash Media Server's hint to poll again soon; librtmp ignores it, FFmpeg uses it.
const POLL_SOON = 0x01;
// How long an idle request with nothing to answer may wait for server bytes: keeps a
// client that polls without pause (librtmp) from spinning, and is short next to any timeout.
const IDLE_HOLD_MS = 20;

class TunnelSession {
  private pending: Buffer[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  lastSeq: number;
  // Requests of a session are answered one after the other, in arrival order, so that
  // server bytes reach the client in order even when an idle request waits.
  queue: Promise<void> = Promise.resolve();

  constructor(
    readonly id: string,
    readonly socket: net.Socket,
  ) {
    // /open/1 is not part of the count: librtmp and FFmpeg both go on with /send/<id>/0.
    this.lastSeq = -1;
    socket.on('data', (chunk: Buffer) => {
      this.pending.push(chunk);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {
      // 'close' follows.
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  take(): Buffer {
    const out = Buffer.concat(this.pending);
    this.pending = [];
    return out;
  }

  /** Resolves when server bytes are there, the bridge closed, or after `ms`. */
  waitForData(ms: number): Promise<void> {
    if (this.pending.length > 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function connectTarget(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

export async function startRtmptGateway(options: RtmptGatewayOptions): Promise<RtmptGateway> {
  const targetHost = options.target.host ?? LOOPBACK;
  const sessions = new Map<string, TunnelSession>();
  const requests: RtmptRequest[] = [];
  const sequenceErrors: string[] = [];

  const answer = (res: http.ServerResponse, status: number, body: Buffer): void => {
    res.writeHead(status, {
      'Content-Type': 'application/x-fcs',
      'Content-Length': body.length,
      'Cache-Control': 'no-cache',
    });
    res.end(body);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const parts = (req.url ?? '').split('/').filter((p) => p !== '');
    const sni = req.socket instanceof TLSSocket ? (req.socket.servername as string | false) || null : undefined;
    const note = (entry: Omit<RtmptRequest, 'bytesIn'>): void => {
      requests.push({ ...entry, bytesIn: body.length, ...(sni !== undefined ? { serverName: sni } : {}) });
    };
    if (req.method !== 'POST') {
      note({ command: 'fcs', bytesOut: 0, status: 405 });
      answer(res, 405, Buffer.alloc(0));
      return;
    }
    if (parts[0] === 'fcs') {
      note({ command: 'fcs', bytesOut: 0, status: 404 });
      answer(res, 404, Buffer.alloc(0));
      return;
    }
    if (parts[0] === 'open' && parts.length === 2) {
      let socket: net.Socket;
      try {
        socket = await connectTarget(targetHost, options.target.port);
      } catch {
        note({ command: 'open', bytesOut: 0, status: 502 });
        answer(res, 502, Buffer.alloc(0));
        return;
      }
      const id = randomBytes(8).toString('hex');
      sessions.set(id, new TunnelSession(id, socket));
      note({ command: 'open', session: id, seq: Number(parts[1]), bytesOut: 0, status: 200 });
      answer(res, 200, Buffer.from(`${id}\n`));
      return;
    }
    const command = parts[0] as RtmptCommand;
    const session = sessions.get(parts[1] ?? '');
    const seq = Number(parts[2]);
    if (!['send', 'idle', 'close'].includes(command) || parts.length !== 3 || !session) {
      note({ command: command === 'send' || command === 'idle' || command === 'close' ? command : 'fcs', bytesOut: 0, status: 404 });
      answer(res, 404, Buffer.alloc(0));
      return;
    }
    const turn = session.queue.then(() => serve(session, command, seq, body, res, note));
    session.queue = turn.catch(() => undefined);
    await turn;
  };

  const serve = async (
    session: TunnelSession,
    command: RtmptCommand,
    seq: number,
    body: Buffer,
    res: http.ServerResponse,
    note: (entry: Omit<RtmptRequest, 'bytesIn'>) => void,
  ): Promise<void> => {
    if (seq !== session.lastSeq + 1) sequenceErrors.push(`${session.id}: ${session.lastSeq} then ${seq}`);
    session.lastSeq = seq;
    if (command === 'close') {
      sessions.delete(session.id);
      session.socket.end();
      note({ command, session: session.id, seq, bytesOut: 0, status: 200 });
      answer(res, 200, Buffer.from([0]));
      return;
    }
    if (command === 'send' && body.length > 0 && !session.closed) session.socket.write(body);
    if (command === 'idle') await session.waitForData(options.idleHoldMs ?? IDLE_HOLD_MS);
    const data = session.take();
    if (data.length === 0 && session.closed) {
      // The RTMP server hung up and everything it sent was delivered: the tunnel is gone.
      sessions.delete(session.id);
      note({ command, session: session.id, seq, bytesOut: 0, status: 404 });
      answer(res, 404, Buffer.alloc(0));
      return;
    }
    note({ command, session: session.id, seq, bytesOut: data.length, status: 200 });
    answer(res, 200, Buffer.concat([Buffer.from([POLL_SOON]), data]));
  };

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    handle(req, res).catch(() => {
      res.destroy();
    });
  };
  const server: http.Server = options.tls
    ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, onRequest)
    : http.createServer(onRequest);
  // Tunnel clients keep one connection open across pauses longer than Node's 5 s default.
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: options.port ?? 0 }, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    requests,
    sequenceErrors,
    url(app, name, scheme = options.tls ? 'rtmpts' : 'rtmpt', host = LOOPBACK) {
      return `${scheme}://${host}:${port}/${app}/${name}`;
    },
    async stop() {
      for (const session of sessions.values()) session.socket.destroy();
      sessions.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
