// A hostile RTMP server on loopback for the fuzzer: it completes the plain handshake (or a
// mutated one) and answers the client's requests with nginx-rtmp's captured replies
// (test/fixtures/fuzz-seeds.json), mutated: chunk headers, chunk sizes, control messages,
// AMF0/AMF3 commands and data. Everything is drawn from a PRNG seeded per case, so a seed
// reproduces a case exactly (mutations and pacing alike; only TCP segmentation varies).
import net from 'node:net';
import { loadSeeds } from './capture-seeds';
import { LOOPBACK } from './ports';
import { ChunkWriter, type ChunkWriteOptions, type RtmpMessage } from './rtmp-chunks';

const SIG = 1536;
/** Idle time after which the next burst goes out even if the client said nothing. */
const BURST_IDLE_MS = 25;
/** Time between the last burst and the server closing the connection. */
const LINGER_MS = 40;

/** mulberry32: small, fast, and the same sequence everywhere for a seed. */
export class Prng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

export type FuzzMode = 'publish' | 'play';

interface Frame {
  message: RtmpMessage;
  options: ChunkWriteOptions;
}

const INTERESTING_U32 = [0, 1, 2, 127, 128, 129, 255, 256, 4095, 65535, 65536, 0x7fffff, 0xffffff, 0x1000000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const MESSAGE_TYPES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 18, 19, 20, 22, 23, 255];

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0, 0);
  return b;
}

function amf0String(text: string): Buffer {
  const body = Buffer.from(text, 'latin1');
  const head = Buffer.from([2, 0, 0]);
  head.writeUInt16BE(body.length, 1);
  return Buffer.concat([head, body]);
}

function amf0Number(value: number): Buffer {
  const b = Buffer.alloc(9);
  b[0] = 0;
  b.writeDoubleBE(value, 1);
  return b;
}

// Byte-level damage to a payload: flips, truncation, insertion, length fields lying.
function damage(rng: Prng, payload: Buffer, log: string[]): Buffer {
  const b = Buffer.from(payload);
  switch (rng.int(6)) {
    case 0: {
      const n = 1 + rng.int(4);
      for (let i = 0; i < n && b.length > 0; i++) b[rng.int(b.length)] ^= 1 << rng.int(8);
      log.push(`flip${n}`);
      return b;
    }
    case 1: {
      const at = rng.int(b.length + 1);
      log.push(`truncate@${at}`);
      return b.subarray(0, at);
    }
    case 2: {
      // An AMF string or object-key length (a u16 before text) made to lie.
      const at = b.length > 2 ? rng.int(b.length - 1) : 0;
      if (b.length >= 2) b.writeUInt16BE(rng.pick([0, 1, 0x7fff, 0xffff, rng.int(65536)]), at);
      log.push(`u16lie@${at}`);
      return b;
    }
    case 3: {
      // An AMF marker swapped for another (incl. AMF0's AMF3 switch, 0x11, and long string 0x0c).
      const at = rng.int(Math.max(1, b.length));
      if (b.length > 0) b[at] = rng.pick([0x00, 0x01, 0x02, 0x03, 0x05, 0x06, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x10, 0x11, 0xff]);
      log.push(`marker@${at}`);
      return b;
    }
    case 4: {
      const at = rng.int(b.length + 1);
      const extra = rng.bytes(1 + rng.int(64));
      log.push(`insert${extra.length}@${at}`);
      return Buffer.concat([b.subarray(0, at), extra, b.subarray(at)]);
    }
    default: {
      const at = b.length >= 4 ? rng.int(b.length - 3) : 0;
      if (b.length >= 4) b.writeUInt32BE(rng.pick(INTERESTING_U32) >>> 0, at);
      log.push(`u32@${at}`);
      return b;
    }
  }
}

// A control or odd message to insert into the stream.
function extraMessage(rng: Prng, log: string[]): RtmpMessage {
  const control = (type: number, payload: Buffer): RtmpMessage => ({ csid: 2, type, timestamp: 0, streamId: 0, payload });
  switch (rng.int(9)) {
    case 0: {
      const size = rng.pick([0, 1, 3, 127, 129, 4095, 65537, 0x7fffffff, 0xffffffff, 0x80000001, rng.int(1 << 24)]);
      log.push(`setChunkSize(${size})`);
      return control(1, rng.chance(0.2) ? u32(size).subarray(0, rng.int(4)) : u32(size));
    }
    case 1:
      log.push('abort');
      return control(2, u32(rng.pick([0, 1, 2, 3, 4, 5, 6, 64, 65599, rng.int(1 << 20)])));
    case 2:
      log.push('ack');
      return control(3, u32(rng.pick(INTERESTING_U32)));
    case 3: {
      // User control: stream begin/EOF/dry, buffer length, recorded, ping request/response,
      // SWF verification request, buffer empty/ready, unknown; payload of any length.
      const event = rng.pick([0, 1, 2, 3, 4, 6, 7, 26, 31, 32, 0xffff]);
      const body = Buffer.concat([Buffer.from([event >> 8, event & 0xff]), rng.bytes(rng.pick([0, 1, 4, 8, 10, 44, 100]))]);
      log.push(`userControl(${event},${body.length - 2})`);
      return control(4, body.subarray(0, rng.chance(0.2) ? rng.int(body.length) : body.length));
    }
    case 4:
      log.push('winAckSize');
      return control(5, u32(rng.pick(INTERESTING_U32)));
    case 5:
      log.push('peerBandwidth');
      return control(6, Buffer.concat([u32(rng.pick(INTERESTING_U32)), Buffer.from([rng.int(4)])]).subarray(0, rng.chance(0.2) ? rng.int(5) : 5));
    case 6: {
      // An AMF3 command (type 17: a format byte, then AMF0 with AMF3-switch values).
      const body = Buffer.concat([Buffer.from([0]), amf0String(rng.pick(['_result', '_error', 'onStatus', 'close', 'ping'])), amf0Number(rng.int(10)), Buffer.from([0x11]), rng.bytes(rng.int(40))]);
      log.push('amf3Command');
      return { csid: 3, type: 17, timestamp: 0, streamId: rng.int(3), payload: body };
    }
    case 7: {
      // An aggregate whose sub-tags lie about their sizes.
      const sub = Buffer.alloc(11 + 8 + 4);
      sub[0] = rng.pick([8, 9, 18, 22, 0]);
      sub.writeUIntBE(rng.pick([0, 1, 8, 0xffffff, rng.int(64)]), 1, 3);
      sub.writeUInt32BE(rng.pick(INTERESTING_U32) >>> 0, 19);
      log.push('aggregate');
      return { csid: 6, type: 22, timestamp: rng.int(1000), streamId: 1, payload: Buffer.concat([sub, rng.bytes(rng.int(32))]) };
    }
    default: {
      // A command the client did not ask for, or a reply to a transaction it never sent.
      const name = rng.pick(['_result', '_error', 'onStatus', 'onBWDone', 'onFCPublish', 'onFCUnpublish', 'close', 'ping', '_onbwcheck', '_onbwdone', 'playlist_ready']);
      // The info object: a code, or one that ends right after its description string (no
      // end marker, so the text is the last byte of the body: C string functions overrun it).
      const info = rng.pick([
        Buffer.from([3, 0, 4, 99, 111, 100, 101, 2, 0, 3, 98, 97, 100, 0, 0, 9]),
        Buffer.concat([Buffer.from([3, 0, 11]), Buffer.from('description'), amf0String('code=403 need auth authmod=adobe')]),
        rng.bytes(rng.int(40)),
      ]);
      const body = Buffer.concat([amf0String(name), amf0Number(rng.pick([0, 1, 2, 3, 4, 5, 99, -1, 1e300, NaN])), Buffer.from([5]), info]);
      log.push(`command(${name})`);
      return { csid: 3, type: 20, timestamp: 0, streamId: rng.int(3), payload: body };
    }
  }
}

// Header-field lies for one message.
function headerLies(rng: Prng, frame: Frame, log: string[]): void {
  switch (rng.int(7)) {
    case 0:
      frame.options.fmt = 1 + rng.int(3);
      log.push(`fmt${frame.options.fmt}`);
      break;
    case 1:
      frame.options.csidForm = rng.pick([2, 3] as const);
      frame.message.csid = frame.options.csidForm === 2 ? 64 + rng.int(256) : 320 + rng.int(65536 - 256);
      if (rng.chance(0.3)) frame.message.csid = rng.pick([0, 1, 2, 63, 64, 319, 320, 65599]);
      log.push(`csid${frame.message.csid}/${frame.options.csidForm}`);
      break;
    case 2:
      frame.message.timestamp = rng.pick([0xfffffe, 0xffffff, 0x1000000, 0xffffffff, rng.int(2 ** 32)]);
      frame.options.forceExtended = rng.chance(0.5);
      log.push(`ts${frame.message.timestamp}`);
      break;
    case 3:
      frame.options.claimedLength = rng.pick([0, 1, frame.message.payload.length - 1, frame.message.payload.length + 1, 0xffffff, rng.int(1 << 17)]);
      log.push(`len${frame.options.claimedLength}`);
      break;
    case 4:
      frame.message.type = rng.pick(MESSAGE_TYPES);
      log.push(`type${frame.message.type}`);
      break;
    case 5:
      frame.message.streamId = rng.pick([0, 1, 2, 0xffffffff, rng.int(2 ** 32)]);
      log.push(`sid${frame.message.streamId}`);
      break;
    default:
      frame.options.continuationFmt = rng.int(3);
      log.push(`contFmt${frame.options.continuationFmt}`);
  }
}

/** What the server will do for one case: mutated bursts and handshake choices. */
export interface HostilePlan {
  handshake: 'plain' | 'badVersion' | 'fp9Version' | 'badS2' | 'truncated' | 'silentClose' | 'reset';
  bursts: Buffer[];
  /** Keep the connection open after the last burst (the client's timeout must end it). */
  hang: boolean;
  /** End with a TCP reset instead of a FIN (a server killed mid-stream). */
  reset: boolean;
  /** Why: the mutations, for the failure message. */
  log: string[];
}

let cachedSeeds: ReturnType<typeof loadSeeds> | undefined;

export function planCase(seed: number, mode: FuzzMode): HostilePlan {
  cachedSeeds ??= loadSeeds();
  const rng = new Prng(seed);
  const log: string[] = [];
  const handshake = rng.chance(0.08) ? rng.pick(['badVersion', 'fp9Version', 'badS2', 'truncated', 'silentClose', 'reset'] as const) : 'plain';
  if (handshake !== 'plain') log.push(`handshake:${handshake}`);
  const writer = new ChunkWriter();
  const rate = rng.pick([0.05, 0.15, 0.4]);
  const bursts = cachedSeeds[mode].map((burst, index, all) => {
    const frames: Frame[] = [];
    for (const original of burst) {
      if (rng.chance(rate / 3)) {
        log.push('drop');
        continue;
      }
      if (rng.chance(rate / 2)) frames.push({ message: extraMessage(rng, log), options: {} });
      const frame: Frame = { message: { ...original }, options: {} };
      if (rng.chance(rate)) headerLies(rng, frame, log);
      if (rng.chance(rate)) frame.message.payload = damage(rng, frame.message.payload, log);
      frames.push(frame);
      if (rng.chance(rate / 4)) frames.push({ message: { ...frame.message }, options: {} });
    }
    // After the last seed burst (publishing, playing), what the client polls while streaming.
    if (index === all.length - 1) for (let n = rng.int(4); n > 0; n--) frames.push({ message: extraMessage(rng, log), options: {} });
    let bytes: Buffer = Buffer.concat(frames.map((f) => writer.write(f.message, f.options)));
    if (rng.chance(rate / 2)) {
      bytes = damage(rng, bytes, log);
      log.push(`(burst ${index})`);
    }
    return bytes;
  });
  return { handshake, bursts, hang: rng.chance(0.03), reset: rng.chance(0.2), log };
}

function serverHandshake(plan: HostilePlan, rng: Prng, c1: Buffer): Buffer {
  const s1 = rng.bytes(SIG);
  s1.writeUInt32BE(0, 0);
  // Version 0.0.0.0 makes librtmp take the plain handshake (no digest to verify).
  s1.writeUInt32BE(plan.handshake === 'fp9Version' ? 0x04050001 : 0, 4);
  const s2 = Buffer.from(c1);
  if (plan.handshake === 'badS2') for (let i = 0; i < 8; i++) s2[rng.int(SIG)] ^= 0xff;
  const s0 = Buffer.from([plan.handshake === 'badVersion' ? rng.pick([0, 6, 8, 0xff]) : 3]);
  const all = Buffer.concat([s0, s1, s2]);
  return plan.handshake === 'truncated' ? all.subarray(0, rng.int(all.length)) : all;
}

export interface HostileServer {
  readonly port: number;
  readonly plan: HostilePlan;
  url(): string;
  stop(): Promise<void>;
}

/** Starts a server for one case: it serves every connection the same plan. */
export function startHostileServer(seed: number, mode: FuzzMode): Promise<HostileServer> {
  return serveHostilePlan(planCase(seed, mode), seed);
}

/** Serves `plan` to every connection (for a hand-made plan; `seed` draws S1's bytes). */
export async function serveHostilePlan(plan: HostilePlan, seed = 0): Promise<HostileServer> {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setNoDelay(true);
    const rng = new Prng(seed ^ 0x5eed);
    let received = Buffer.alloc(0);
    let phase: 'c0c1' | 'c2' | 'messages' | 'done' = 'c0c1';
    let next = 0;
    let idle: NodeJS.Timeout | undefined;
    const sendNext = (): void => {
      if (idle) {
        clearTimeout(idle);
        timers.delete(idle);
        idle = undefined;
      }
      if (phase !== 'messages' || socket.destroyed) return;
      if (next >= plan.bursts.length) {
        phase = 'done';
        if (!plan.hang) later(LINGER_MS, () => (plan.reset ? socket.resetAndDestroy() : socket.end(() => socket.destroy())));
        return;
      }
      socket.write(plan.bursts[next++]);
      idle = setTimeout(sendNext, BURST_IDLE_MS);
      timers.add(idle);
    };
    socket.on('data', (data: Buffer) => {
      if (phase === 'messages') {
        // Each client send is (in practice) a request: answer with the next burst.
        sendNext();
        return;
      }
      if (phase === 'done') return;
      received = Buffer.concat([received, data]);
      if (phase === 'c0c1' && received.length >= 1 + SIG) {
        if (plan.handshake === 'silentClose' || plan.handshake === 'reset') {
          if (plan.handshake === 'reset') socket.resetAndDestroy();
          else socket.destroy();
          return;
        }
        socket.write(serverHandshake(plan, rng, received.subarray(1, 1 + SIG)));
        if (plan.handshake === 'truncated') {
          later(LINGER_MS, () => socket.end(() => socket.destroy()));
          phase = 'done';
          return;
        }
        received = received.subarray(1 + SIG);
        phase = 'c2';
      }
      if (phase === 'c2' && received.length >= SIG) {
        phase = 'messages';
        // The connect request may have come with C2; otherwise its own data event answers it.
        if (received.length > SIG) sendNext();
        received = Buffer.alloc(0);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: 0 }, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    plan,
    url: () => `rtmp://${LOOPBACK}:${port}/live/fuzz`,
    async stop() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
