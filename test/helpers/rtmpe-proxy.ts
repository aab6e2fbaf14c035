// The server side of RTMPE, written here from the protocol (node:crypto, not librtmp), for
// publishing tests: rtmpsuck, the only RTMPE server in Debian, crashes on a publisher's
// connect (it frees a string it never copied, for any connect property it does not know,
// and a publisher's connect carries `type: 'nonprivate'`). The proxy answers the encrypted
// handshake (type 0x06: anonymous Diffie-Hellman on the 1024-bit Oakley group 2 inside the
// digest handshake, HMAC-SHA256 digests, then RC4 each way), does a plain handshake with
// the RTMP server and relays the decrypted bytes unchanged. rtmpdump (GnuTLS librtmp)
// playing through it checks it against an implementation that is not ours.
import { createHmac, getDiffieHellman, randomBytes, timingSafeEqual, type DiffieHellmanGroup } from 'node:crypto';
import net from 'node:net';
import { LOOPBACK } from './ports';

const SIG = 1536;
const DIGEST = 32;
const KEY_BYTES = 128;
// "Genuine Adobe Flash Media Server 001" and "Genuine Adobe Flash Player 001", each followed
// by the same 32 bytes: the handshake's well-known HMAC keys.
const KEY_TAIL = Buffer.from('f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae', 'hex');
const FMS_KEY = Buffer.concat([Buffer.from('Genuine Adobe Flash Media Server 001'), KEY_TAIL]);
const FP_KEY = Buffer.concat([Buffer.from('Genuine Adobe Flash Player 001'), KEY_TAIL]);
export const FMS_KEY_SHORT = FMS_KEY.subarray(0, 36);
export const FP_KEY_SHORT = FP_KEY.subarray(0, 30);

/** Scheme 0: digest offset from bytes 8..11; scheme 1: from bytes 772..775. */
export type DigestScheme = 0 | 1;

const sum4 = (buf: Buffer, at: number): number => buf[at] + buf[at + 1] + buf[at + 2] + buf[at + 3];

export function digestOffset(sig: Buffer, scheme: DigestScheme): number {
  return scheme === 0 ? (sum4(sig, 8) % 728) + 12 : (sum4(sig, 772) % 728) + 776;
}

export function dhOffset(sig: Buffer, scheme: DigestScheme): number {
  return scheme === 0 ? (sum4(sig, 1532) % 632) + 772 : (sum4(sig, 768) % 632) + 8;
}

/** HMAC-SHA256 of the signature without its 32 digest bytes at `at`. */
export function handshakeDigest(sig: Buffer, at: number, key: Buffer): Buffer {
  return createHmac('sha256', key)
    .update(sig.subarray(0, at))
    .update(sig.subarray(at + DIGEST))
    .digest();
}

/** The scheme whose digest verifies with `key`, or undefined. */
export function findDigestScheme(sig: Buffer, key: Buffer): DigestScheme | undefined {
  for (const scheme of [1, 0] as const) {
    const at = digestOffset(sig, scheme);
    if (timingSafeEqual(handshakeDigest(sig, at, key), sig.subarray(at, at + DIGEST))) return scheme;
  }
  return undefined;
}

/** RC4, which OpenSSL 3 (Node's) only has in its legacy provider. */
export class Rc4 {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  constructor(key: Buffer) {
    for (let n = 0; n < 256; n++) this.s[n] = n;
    for (let n = 0, j = 0; n < 256; n++) {
      j = (j + this.s[n] + key[n % key.length]) & 0xff;
      [this.s[n], this.s[j]] = [this.s[j], this.s[n]];
    }
  }

  /** XORs the key stream into a copy of `data`. */
  apply(data: Buffer): Buffer {
    const out = Buffer.from(data);
    const s = this.s;
    let { i, j } = this;
    for (let n = 0; n < out.length; n++) {
      i = (i + 1) & 0xff;
      j = (j + s[i]) & 0xff;
      const t = s[i];
      s[i] = s[j];
      s[j] = t;
      out[n] ^= s[(s[i] + s[j]) & 0xff];
    }
    this.i = i;
    this.j = j;
    return out;
  }
}

export interface RtmpeProxySession {
  /** C0 as the client sent it. */
  clientType: number;
  clientVersion: number[];
  /** Where the client's C1 digest verified (undefined: it did not). */
  clientDigestScheme?: DigestScheme;
  /** Whether the client's C2 carried the signature of our S1. */
  c2Verified?: boolean;
  /** Why the proxy gave up, if it did. */
  failure?: string;
}

export interface RtmpeProxy {
  readonly port: number;
  readonly sessions: RtmpeProxySession[];
  stop(): Promise<void>;
}

/** Reads exactly `n` bytes from a socket's accumulated input. */
class Reader {
  private buffered = Buffer.alloc(0);
  private wanted?: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void };
  private ended = false;

  constructor(socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      this.check();
    });
    socket.on('close', () => {
      this.ended = true;
      this.check();
    });
  }

  private check(): void {
    const w = this.wanted;
    if (!w) return;
    if (this.buffered.length >= w.n) {
      this.wanted = undefined;
      const out = this.buffered.subarray(0, w.n);
      this.buffered = this.buffered.subarray(w.n);
      w.resolve(out);
    } else if (this.ended) {
      this.wanted = undefined;
      w.reject(new Error('connection closed during the handshake'));
    }
  }

  read(n: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.wanted = { n, resolve, reject };
      this.check();
    });
  }

  /** The next `n` bytes, left in place for the next read or rest(). */
  async peek(n: number): Promise<Buffer> {
    const head = await this.read(n);
    this.buffered = Buffer.concat([head, this.buffered]);
    return head;
  }

  /** What arrived after the last read; later data goes to `socket`'s own listeners. */
  rest(): Buffer {
    const out = this.buffered;
    this.buffered = Buffer.alloc(0);
    this.wanted = undefined;
    return out;
  }
}

function connect(port: number, host: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** The RC4 streams of the proxy's side of a session, each past the 1536 bytes both sides skip. */
export function rc4Keys(hmacKey: Buffer, clientPub: Buffer, serverPub: Buffer): { toClient: Rc4; fromClient: Rc4 } {
  const toClient = new Rc4(createHmac('sha256', hmacKey).update(clientPub).digest().subarray(0, 16));
  const fromClient = new Rc4(createHmac('sha256', hmacKey).update(serverPub).digest().subarray(0, 16));
  toClient.apply(Buffer.alloc(SIG));
  fromClient.apply(Buffer.alloc(SIG));
  return { toClient, fromClient };
}

/**
 * The HMAC keys a client may have made of the DH shared secret. The key is the 128-byte
 * buffer librtmp writes the secret into, and its two builds write it differently when the
 * secret starts with a zero byte (1 handshake in 256): stock librtmp on OpenSSL
 * (DH_compute_key) drops leading zeros and the buffer's tail stays zero; on GnuTLS (Debian's
 * rtmpdump) nettle writes it left-padded to 128 bytes, as ours does since patch 0021. The
 * proxy serves both kinds of client. One key when both agree, else both.
 */
export function secretLayouts(secret: Buffer): Buffer[] {
  const padded = leftPad(secret, KEY_BYTES); // Node pads computeSecret() already; be sure
  let first = 0;
  while (first < padded.length - 1 && padded[first] === 0) first++;
  if (first === 0) return [padded];
  const stripped = Buffer.alloc(KEY_BYTES);
  padded.subarray(first).copy(stripped);
  return [stripped, padded];
}

// What every client sends first after the handshake: a connect command on chunk stream 3
// (fmt 0 header; timestamp and length not checked; type 0x14 AMF0 command; stream 0; then
// the AMF0 string "connect").
const CONNECT_TYPE_ON = [0x14, 0, 0, 0, 0, 0x02, 0x00, 0x07, ...Buffer.from('connect')];
export const CONNECT_HEAD = 7 + CONNECT_TYPE_ON.length;

/** The layout under which the client's first CONNECT_HEAD bytes decrypt to a connect command. */
export function pickSecretLayout(layouts: Buffer[], clientPub: Buffer, serverPub: Buffer, head: Buffer): Buffer | undefined {
  return layouts.find((key) => {
    const plain = rc4Keys(key, clientPub, serverPub).fromClient.apply(head);
    return plain[0] === 0x03 && CONNECT_TYPE_ON.every((b, i) => plain[7 + i] === b);
  });
}

async function chooseRc4Keys(
  secret: Buffer,
  clientPub: Buffer,
  serverPub: Buffer,
  fromClient: Reader,
): Promise<{ toClient: Rc4; fromClient: Rc4 }> {
  const layouts = secretLayouts(secret);
  if (layouts.length === 1) return rc4Keys(layouts[0], clientPub, serverPub);
  const key = pickSecretLayout(layouts, clientPub, serverPub, await fromClient.peek(CONNECT_HEAD));
  if (!key) throw new Error('the client first message is no connect command under either secret layout');
  return rc4Keys(key, clientPub, serverPub);
}

function leftPad(key: Buffer, size: number): Buffer {
  return key.length >= size ? key : Buffer.concat([Buffer.alloc(size - key.length), key]);
}

export interface RtmpeProxyOptions {
  /** Send an S2 whose signature is wrong (a client must refuse the handshake). */
  corruptS2?: boolean;
}

async function serve(
  client: net.Socket,
  target: { host: string; port: number },
  options: RtmpeProxyOptions,
  dh: DiffieHellmanGroup,
  session: RtmpeProxySession,
  track: (s: net.Socket) => void,
): Promise<void> {
  const fromClient = new Reader(client);
  const c0c1 = await fromClient.read(1 + SIG);
  session.clientType = c0c1[0];
  const c1 = Buffer.from(c0c1.subarray(1));
  session.clientVersion = [...c1.subarray(4, 8)];
  if (session.clientType !== 0x06) throw new Error(`not an RTMPE handshake (type ${session.clientType})`);
  const scheme = findDigestScheme(c1, FP_KEY_SHORT);
  session.clientDigestScheme = scheme;
  if (scheme === undefined) throw new Error('the client digest does not verify');

  const s1 = randomBytes(SIG);
  s1.writeUInt32BE(0, 0);
  Buffer.from([3, 5, 1, 1]).copy(s1, 4); // the server version librtmp's server sends
  const serverPub = leftPad(dh.getPublicKey(), KEY_BYTES);
  const serverDh = dhOffset(s1, scheme);
  serverPub.copy(s1, serverDh);
  const s1Digest = digestOffset(s1, scheme);
  handshakeDigest(s1, s1Digest, FMS_KEY_SHORT).copy(s1, s1Digest);

  const clientDh = dhOffset(c1, scheme);
  const clientPub = c1.subarray(clientDh, clientDh + KEY_BYTES);
  // The RC4 keys are made of it once the client's first message shows which of librtmp's
  // two layouts of it the client used (chooseRc4Keys).
  const secret = dh.computeSecret(clientPub);
  // S2: the client's C1, signed with a key derived from the client's digest.
  const c1Digest = digestOffset(c1, scheme);
  const s2Key = createHmac('sha256', FMS_KEY).update(c1.subarray(c1Digest, c1Digest + DIGEST)).digest();
  const s2 = Buffer.from(c1);
  createHmac('sha256', s2Key)
    .update(c1.subarray(0, SIG - DIGEST))
    .digest()
    .copy(s2, SIG - DIGEST);
  if (options.corruptS2) s2[SIG - 1] ^= 0xff;
  client.write(Buffer.concat([Buffer.from([0x06]), s1, s2]));

  const c2 = await fromClient.read(SIG);
  const c2Key = createHmac('sha256', FP_KEY).update(s1.subarray(s1Digest, s1Digest + DIGEST)).digest();
  const expected = createHmac('sha256', c2Key)
    .update(c2.subarray(0, SIG - DIGEST))
    .digest();
  session.c2Verified = expected.equals(c2.subarray(SIG - DIGEST));
  if (!session.c2Verified) throw new Error('the client C2 signature does not verify');
  const { toClient, fromClient: fromClientRc4 } = await chooseRc4Keys(secret, clientPub, serverPub, fromClient);

  // A plain handshake of our own with the RTMP server, then the decrypted bytes as they are.
  client.pause();
  const upstream = await connect(target.port, target.host);
  track(upstream);
  // The client may have given up meanwhile (e.g. on a corrupted S2): nothing to relay then.
  if (client.destroyed) {
    upstream.destroy();
    return;
  }
  client.once('close', () => upstream.end());
  upstream.setNoDelay(true);
  const fromServer = new Reader(upstream);
  upstream.write(Buffer.concat([Buffer.from([0x03]), Buffer.alloc(SIG)]));
  const s0s1s2 = await fromServer.read(1 + 2 * SIG);
  upstream.write(s0s1s2.subarray(1, 1 + SIG));
  upstream.removeAllListeners('data');
  client.removeAllListeners('data');
  const early = fromServer.rest();
  if (early.length > 0) client.write(toClient.apply(early));
  const pending = fromClient.rest();
  if (pending.length > 0) upstream.write(fromClientRc4.apply(pending));
  upstream.on('data', (d: Buffer) => client.write(toClient.apply(d)));
  client.on('data', (d: Buffer) => upstream.write(fromClientRc4.apply(d)));
  upstream.on('close', () => client.end());
  client.resume();
}

/** Starts the proxy on a free loopback port, relaying to the plain RTMP server `target`. */
export async function startRtmpeProxy(target: { host?: string; port: number }, options: RtmpeProxyOptions = {}): Promise<RtmpeProxy> {
  const sessions: RtmpeProxySession[] = [];
  // One server key pair for all sessions: making a DH object costs ~50 ms of CPU (Node
  // checks the group each time), and a test server gains nothing from fresh keys.
  const dh = getDiffieHellman('modp2');
  dh.generateKeys();
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = net.createServer((client) => {
    track(client);
    client.setNoDelay(true);
    const session: RtmpeProxySession = { clientType: -1, clientVersion: [] };
    sessions.push(session);
    serve(client, { host: target.host ?? LOOPBACK, port: target.port }, options, dh, session, track).catch((e: unknown) => {
      session.failure = e instanceof Error ? e.message : String(e);
      client.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: 0 }, () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    sessions,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
