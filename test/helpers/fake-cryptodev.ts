// The test-only fake /dev/crypto (test/fixtures/fake-cryptodev): built once per test run
// into build/test-fixtures/, preloaded into child processes, and its counters read back.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { FIXTURES_DIR } from './fixtures';

const run = promisify(execFile);

const SOURCE_DIR = path.join(FIXTURES_DIR, 'fake-cryptodev');
const BUILD_DIR = path.join(FIXTURES_DIR, '..', '..', 'build', 'test-fixtures', 'fake-cryptodev');
export const FAKE_CRYPTODEV_LIBRARY = path.join(BUILD_DIR, 'libfake_cryptodev.so');

let building: Promise<string> | undefined;

async function cmake(args: string[]): Promise<void> {
  try {
    await run('cmake', args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`cmake ${args.join(' ')} failed (needs cmake, pkg-config, nettle-dev): ${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
}

/** Configures and builds the fake (incremental after the first time); resolves with the .so path. */
export function fakeCryptodevLibrary(): Promise<string> {
  building ??= (async () => {
    await cmake(['-S', SOURCE_DIR, '-B', BUILD_DIR, '-DCMAKE_BUILD_TYPE=Release']);
    await cmake(['--build', BUILD_DIR]);
    if (!fs.existsSync(FAKE_CRYPTODEV_LIBRARY)) throw new Error(`the build made no ${FAKE_CRYPTODEV_LIBRARY}`);
    return FAKE_CRYPTODEV_LIBRARY;
  })();
  return building;
}

export interface DeviceCount {
  ops: number;
  bytes: number;
}

export interface DeviceDirection {
  encrypt: DeviceCount;
  decrypt: DeviceCount;
  /** Hash ops (SHA-1, SHA-256) of any direction: bytes absorbed. */
  digest: DeviceCount;
}

/** The JSON the fake writes to FAKE_CRYPTODEV_STATS (see its README). */
export interface DeviceStats {
  pid: number;
  at_exit: boolean;
  device: { opens: number; opens_refused: number; clones: number; closes: number };
  sessions: { opened: number; closed: number; active: number; refused: number };
  ioctls: Record<string, number>;
  /** Ciphers: { sessions, encrypt, decrypt }; digests (sha1, sha256): { sessions, hash, digests, copies }. */
  algorithms: Record<string, { sessions: number } & Record<string, unknown>>;
  /** The ciphers' ops. */
  total: Omit<DeviceDirection, 'digest'>;
  /** The digests' ops. */
  digest_total: DeviceCount;
}

export const NO_DEVICE_USE: DeviceDirection = {
  encrypt: { ops: 0, bytes: 0 },
  decrypt: { ops: 0, bytes: 0 },
  digest: { ops: 0, bytes: 0 },
};

/** The counters, or undefined when no process has used the device yet (no file). */
export function readDeviceStats(file: string): DeviceStats | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text) as DeviceStats;
}

/** What the device did between two readings of its counters. */
export function deviceDelta(before: DeviceStats | undefined, after: DeviceStats | undefined): DeviceDirection {
  const a = before?.total ?? NO_DEVICE_USE;
  const b = after?.total ?? NO_DEVICE_USE;
  const da = before?.digest_total ?? NO_DEVICE_USE.digest;
  const db = after?.digest_total ?? NO_DEVICE_USE.digest;
  return {
    encrypt: { ops: b.encrypt.ops - a.encrypt.ops, bytes: b.encrypt.bytes - a.encrypt.bytes },
    decrypt: { ops: b.decrypt.ops - a.decrypt.ops, bytes: b.decrypt.bytes - a.decrypt.bytes },
    digest: { ops: db.ops - da.ops, bytes: db.bytes - da.bytes },
  };
}

export interface FakeCryptodevOptions {
  /** No /dev/crypto (FAKE_CRYPTODEV_ABSENT). */
  absent?: boolean;
  /** A cipher-only device (FAKE_CRYPTODEV_NO_DIGESTS). */
  noDigests?: boolean;
  /** CPU ns each device call costs, as a real device's system call does (FAKE_CRYPTODEV_CALL_NS). */
  callNs?: number;
}

/** Environment that turns the fake on in a child (or simulates a machine without it). */
export function fakeCryptodevEnv(library: string, statsFile: string, options: FakeCryptodevOptions = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { LD_PRELOAD: library, FAKE_CRYPTODEV_STATS: statsFile };
  if (options.absent) env.FAKE_CRYPTODEV_ABSENT = '1';
  if (options.noDigests) env.FAKE_CRYPTODEV_NO_DIGESTS = '1';
  if (options.callNs !== undefined) env.FAKE_CRYPTODEV_CALL_NS = String(options.callNs);
  return env;
}
