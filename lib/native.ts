// The addon's surface, as native/src/addon.cc and connection.cc define it. Everything here
// is thin: arguments are validated in lib/ before they reach it.
import fs from 'node:fs';
import path from 'node:path';

/** A failure as the addon reports it (plain data; lib/errors.ts turns it into RtmpError). */
export interface NativeFailure {
  code: string;
  message: string;
  statusCode?: string;
  statusDescription?: string;
  errno?: number;
  verifyResult?: number;
  /** A certificate outside its validity period: its window and the device's clock, ms since the epoch. */
  certNotBefore?: number;
  certNotAfter?: number;
  deviceTime?: number;
  certSubject?: string;
}

export type NativeCallback<T extends unknown[] = []> = (error: NativeFailure | null, ...results: T) => void;

export interface NativeTlsOptions {
  /** Trust anchors as PEM; never empty when rejectUnauthorized is true, unless opensslStore. */
  ca: string[];
  /** Trust OpenSSL's default store too (SSL_CERT_FILE / SSL_CERT_DIR), as --use-openssl-ca. */
  opensslStore?: boolean;
  rejectUnauthorized: boolean;
  servername?: string;
  /** OpenSSL protocol constants (0x0303 = TLS 1.2, 0x0304 = TLS 1.3); 0 = library default. */
  minVersion: number;
  maxVersion: number;
  ciphers?: string;
  ciphersuites?: string;
  /** Offer cached sessions and cache new ones (default true). */
  resumeSessions?: boolean;
}

export interface NativeEngineOptions {
  mode: 'auto' | 'off' | 'id' | 'path';
  id?: string;
  path?: string;
  required?: boolean;
  ciphers?: boolean;
  digests?: boolean;
  ctrl?: Array<[string, string]>;
}

export interface NativeOpenParams {
  /** The URL handed to librtmp's RTMP_SetupURL (IPv6 literals replaced: it cannot parse them). */
  url: string;
  /** Where to connect, without brackets; also the name TLS verifies. */
  host: string;
  port: number;
  publish: boolean;
  timeoutMs: number;
  /** Source address to bind (an IP literal); absent: the kernel's choice. */
  localAddress?: string;
  /** 4 or 6: that family only; 0: both, Happy Eyeballs. */
  family: 0 | 4 | 6;
  /** Outgoing chunk size (Set Chunk Size after connect). */
  chunkSize: number;
  /** librtmp RTMP_SetOpt names and values (app, playpath, tcUrl, live, conn, ...). */
  rtmpOptions: Array<[string, string]>;
  /** AMF0 properties librtmp puts inside the connect command object (our patch 0017). */
  connectProperties?: Buffer;
  tls?: NativeTlsOptions;
  engine?: NativeEngineOptions;
}

export interface NativeTlsInfo {
  protocol: string;
  cipher: string;
  cipherStandardName: string;
  servername: string;
  peerSubject: string;
  peerIssuer: string;
  peerFingerprint256: string;
  authorized: boolean;
  authorizationError?: string;
  engine: string | null;
  /** The negotiated record cipher runs on the engine (AES-CBC on devcrypto). */
  engineServed: boolean;
  /**
   * The record MAC's hash runs on the engine too (HMAC-SHA1/SHA256 of a TLS 1.2 CBC suite, with
   * engine methods including 'digests'). Always false for AEAD suites (GCM, every TLS 1.3 suite).
   */
  macEngineServed: boolean;
  /** The handshake resumed a cached session (TLS 1.2 ticket or id, TLS 1.3 PSK). */
  resumed: boolean;
  /** CPU time the connection thread spent in the TLS handshake, ms. */
  handshakeCpuMs: number;
  /** The handshake's duration (the server's part and the round trips included), ms. */
  handshakeMs: number;
}

export interface NativeSocketInfo {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** The IP version that connected (Happy Eyeballs picks one when the host has both). */
  family: 4 | 6;
}

export interface NativeEngineReport {
  configured: boolean;
  id: string | null;
  name: string;
  unavailableReason?: string;
  ciphers: string[];
  digests: string[];
  /** The engine serves its digests (TLS 1.2 record MACs offloaded). */
  digestsServed: boolean;
  /** engine: 'auto' only: what it measured to decide on digests (native/src/digest_calibration.h). */
  digestCalibration?: DigestCalibration[];
}

/** One TLS MAC digest measured by engine: 'auto': thread CPU ns per record MAC, engine vs software. */
export interface DigestCalibration {
  digest: string;
  costs: { bytes: number; engineNs: number; softwareNs: number }[];
  engineCallNs: number;
  engineByteNs: number;
  softwareCallNs: number;
  softwareByteNs: number;
  /** The record size from which the engine is cheaper; null when it never is. */
  crossoverBytes: number | null;
  /** The record size the decision is taken at. */
  decisionBytes: number;
  enginePays: boolean;
}

export interface NativeCipherSuite {
  name: string;
  standardName: string;
  keyExchange: string;
  authentication: string;
  /** The EVP cipher's short name, as engine reports name it (AES-128-CBC). */
  bulk: string;
  /** The MAC digest's short name, or 'AEAD'. */
  mac: string;
  aead: boolean;
}

export interface NativeStats {
  bytesOut: number;
  bytesIn: number;
  messagesOut: number;
  /** Of messagesOut, the video ones. */
  videoMessagesOut: number;
  /** Timestamp of the last message written (ms; 0 before the first). */
  lastTimestampOut: number;
  messagesIn: number;
}

/** One librtmp connection; every method that blocks runs on the connection's own thread. */
export interface NativeConnection {
  /**
   * Connects (TCP, TLS, RTMP handshake, connect, publish or play). Once per object.
   * `logHandler` gets what librtmp logs on this connection's thread up to `logLevel`
   * (1 error .. 4 debug), unredacted: lib/log.ts redacts.
   */
  open(
    params: NativeOpenParams,
    callback: NativeCallback,
    logHandler?: (level: number, line: string) => void,
    logLevel?: number,
  ): void;
  /**
   * Sends messages: bodies[i] with type meta[2i] and timestamp meta[2i+1]. The bodies are
   * referenced, not copied: they must stay unchanged until the callback (the connection
   * thread gathers each message into librtmp's send buffer, the one copy on the send path).
   * Calls back with, as its result, the tcUrl of an Enhanced RTMP ReconnectRequest the server
   * sent meanwhile ('' without one; undefined when none came).
   */
  write(bodies: Buffer[], meta: Uint32Array, callback: NativeCallback<[tcUrl: string | undefined]>): void;
  /**
   * Publishes the FLV file at `path`: the connection thread reads it in 256 KB slices,
   * parses the tags and sends each slice as one batch. Calls back with what was sent (tag
   * body bytes, tags), on failure too. File failures are ERR_FILE, malformed FLV
   * ERR_FLV_PARSE; neither affects the connection. `background`: sent from a helper thread
   * at SCHED_IDLE (the connection thread waits for it). `realtime`: each tag when its
   * timestamp comes due, answering the server in between. `id` (≥ 1) names the send for
   * stopFile(); `stopped` says whether that ended it.
   */
  sendFile(
    path: string,
    options: { id: number; background: boolean; realtime: boolean },
    callback: NativeCallback<[bytes: number, tags: number, stopped: boolean]>,
  ): void;
  /** Ends file send `id` between two batches (a wait for a real-time tag included). */
  stopFile(id: number): void;
  /**
   * The camera feed (native/src/camera_sender.h): reads the H.264 Annex-B `video` and the
   * ADTS `audio` inputs on the connection thread, splits, packetizes and sends them with no
   * JavaScript per frame. For a configuration that is new it calls `onHeaders` and waits for
   * cameraHeaders() with the tags to send before the frame that needs them. Ends at the end
   * of the inputs, on stopFile(id) or at the first failure; calls back with what was sent.
   */
  sendCamera(
    options: NativeCameraOptions,
    onHeaders: (generation: number, first: boolean, parameterSets: Buffer | undefined, audioFrame: Buffer | undefined, timestamp: number) => void,
    callback: NativeCallback<[NativeCameraCounts]>,
  ): void;
  /** The answer to camera feed `id`'s header request `generation`: tags as write() takes them. */
  cameraHeaders(id: number, generation: number, bodies: Buffer[], meta: Uint32Array): void;
  /**
   * Reads media messages: waits for the first, then takes what has arrived up to `budget`
   * bytes. `meta` holds (type, timestamp, offset, size) per message into `data`.
   */
  read(budget: number, callback: NativeCallback<[Buffer, Uint32Array, boolean]>): void;
  /** Graceful close after all submitted work; the connection thread ends. Idempotent. */
  close(callback: NativeCallback): void;
  /** Gives the connection up now: blocked I/O in both directions returns; later work fails ERR_ABORTED. */
  abandon(): void;
  /** A blocked read returns (the stream is left); writes and a graceful close still work. */
  stopReading(): void;
  tlsInfo(): NativeTlsInfo | null;
  /** The TCP connection's two ends; null before it connected. */
  socketInfo(): NativeSocketInfo | null;
  stats(): NativeStats;
  ref(): void;
  unref(): void;
}

export interface NativeCameraOptions {
  id: number;
  /** Open descriptors (the feed reads duplicates, made non-blocking); no audio: undefined. */
  videoFd: number;
  audioFd: number | undefined;
  /** A continuation of an earlier feed of the same inputs: where it ended. */
  continued: boolean;
  firstVideoFrame: number;
  firstAudioMs: number;
  frameRate: number;
  pace: boolean;
  coalesceMs: number;
  startWaitMs: number;
  maxAccessUnitBytes: number;
  /** What a video frame tag starts with, key and inter, and an audio frame tag. */
  videoKeyPrefix: Buffer;
  videoInterPrefix: Buffer;
  audioPrefix: Buffer;
}

/** What a camera feed sent and read (sendCamera()'s result). */
export interface NativeCameraCounts {
  videoFrames: number;
  audioFrames: number;
  /** Video frames before the first keyframe, not sent. */
  skippedFrames: number;
  /** Tag body bytes sent, headers included. */
  bytes: number;
  /** Batches written (socket writes, with TLS records up to 16 KB each). */
  writes: number;
  videoBytesIn: number;
  audioBytesIn: number;
  /** Input bytes that belonged to no frame (before the first start code; junk between ADTS frames). */
  videoDroppedBytes: number;
  audioDroppedBytes: number;
  /** Ended by `stop`. */
  stopped: boolean;
  /** Where a continuation starts (continueFrom): the next video frame's number, the next audio frame's time. */
  nextVideoFrame: number;
  nextAudioMs: number;
}

export interface NativeVersions {
  librtmp: string;
  openssl: string;
  opensslNumber: number;
  opensslDir: string;
  /**
   * The OpenSSL source this addon was built from, with its patch level: `1.1.1w+deb11u8` when
   * Debian LTS's security patches are in (`3.5.7+deb13u2` on the OpenSSL 3.5 line, Debian
   * trixie's), the bare version (`1.1.1w`) when they are not.
   */
  opensslPatchLevel: string;
  /** Why no Debian patches are in (an override), or null when they are. */
  opensslPatchNote: string | null;
  /** The Debian patches built in, in the order applied, each with the CVE ids it fixes or tests (space-separated). */
  opensslPatches: { name: string; cves: string }[];
}

/** What versions() returns: the native facts, the CVE list gathered. */
export interface Versions extends Omit<NativeVersions, 'opensslPatches'> {
  /** The Debian patches built in, in the order applied, each with the CVE ids it fixes or tests. */
  opensslPatches: { name: string; cves: string[] }[];
  /** Every CVE id the built-in patches fix or test, sorted; empty without Debian patches. */
  opensslCves: string[];
}

/**
 * Native objects alive in this process (every worker's connections included), for tests and
 * soak runs that must show a closed connection leaves nothing behind. Counted where the
 * objects are really created and destroyed.
 */
export interface NativeLiveObjects {
  /** Connection wrappers not yet garbage-collected. */
  connections: number;
  /** Sessions (one per connection thread object; held by its wrapper until collected). */
  sessions: number;
  /** Connection threads still running. */
  threads: number;
  /** librtmp RTMP structs. */
  rtmp: number;
  /** OpenSSL SSL objects (one per RTMPS connection). */
  ssl: number;
  /** OpenSSL SSL_CTX objects (one per TLS configuration in use; none once all are closed). */
  sslCtx: number;
  /** Blocks librtmp has allocated and not freed, and their usable bytes. */
  librtmpBlocks: number;
  librtmpBytes: number;
}

export interface NativeTlsSessionCache {
  entries: number;
  /** Counted until OpenSSL frees them: 0 after clearTlsSessionCache() with no connection open. */
  liveSessions: number;
  capacity: number;
}

export interface NativeBinding {
  Connection: new () => NativeConnection;
  versions(): NativeVersions;
  /** The engine decision in force in this process. */
  engine(): NativeEngineReport;
  /** Loads an engine to describe it, without making it the default. */
  probeEngine(options: NativeEngineOptions): { report: NativeEngineReport; error: NativeFailure | null };
  /**
   * The TLS 1.2 suites `ciphers` expands to in the addon's OpenSSL. Creating the SSL_CTX
   * this needs settles the process's engine decision first, with `engine`.
   */
  expandCiphers(ciphers: string, engine: NativeEngineOptions): { suites: NativeCipherSuite[]; error: NativeFailure | null };
  /** Counts of live native objects; joins finished connection threads first. Diagnostic, internal. */
  liveObjects(): NativeLiveObjects;
  /** The TLS session cache: keys with a session, SSL_SESSION objects it took that still exist, its bound. */
  tlsSessionCache(): NativeTlsSessionCache;
  /** Drops every cached TLS session. */
  clearTlsSessionCache(): void;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeGypBuild = require('node-gyp-build') as (dir: string) => NativeBinding;

/**
 * The package root, where node-gyp-build looks for prebuilds/ and build/: the nearest
 * directory above `from` with a package.json (dist/lib/ compiled, lib/ from source).
 */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`node-librtmp: no package.json above ${from}`);
  }
}

/** Where a prebuilt addon for this machine would be (node-gyp-build's naming). */
function prebuildDir(root: string): string {
  return path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
}

/**
 * Loads the addon from `root` as node-gyp-build does (build/Release/, then prebuilds/); when
 * that fails, says which prebuild was looked for and how to build one, with the loader's own
 * error as the cause.
 */
export function loadBinding(root: string): NativeBinding {
  try {
    return nodeGypBuild(root);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    const glibc = /GLIBC_[\d.]+/.exec(reason);
    const lines = [
      `node-librtmp: could not load its native addon for ${process.platform}-${process.arch} (Node ${process.versions.node}, N-API ${process.versions.napi ?? '?'}).`,
      `Looked for a prebuilt binary in ${prebuildDir(root)}/ and a local build in ${path.join(root, 'build', 'Release')}/.`,
      glibc
        ? `The binary needs ${glibc[0]}, newer than this system's C library: build from source here (below).`
        : 'Prebuilt binaries exist for linux-x64, linux-arm64 and linux-arm (ARMv7 hard-float), glibc 2.28 or later (docs/PREBUILDS.md).',
      'To build from source: npm install node-librtmp --build-from-source (needs cmake, a C/C++ compiler, make, patch and',
      "zlib's headers; on Debian: apt-get install cmake g++ make patch zlib1g-dev). See docs/BUILDING.md.",
      `The loader said: ${reason}`,
    ];
    throw new Error(lines.join('\n'), { cause: error });
  }
}

export const binding: NativeBinding = loadBinding(packageRoot());
