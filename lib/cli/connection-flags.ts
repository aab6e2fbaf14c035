// The flags every connecting command shares (timeout, chunk size, TLS, engine), turned into
// the library's RtmpOptions. Validation of values is left to the library where it has it,
// so the CLI and the API refuse the same things with the same codes.
import fs from 'node:fs';
import type { RtmpOptions } from '../options';
import type { EngineOption, TlsOptions, TlsVersion } from '../tls';
import { usageError } from './exit-codes';

/** parseArgs specs of the shared flags. */
export const connectionFlagSpecs = {
  timeout: { type: 'string' },
  'chunk-size': { type: 'string' },
  'local-address': { type: 'string' },
  family: { type: 'string' },
  ca: { type: 'string', multiple: true },
  insecure: { type: 'boolean' },
  servername: { type: 'string' },
  'tls-min': { type: 'string' },
  'tls-max': { type: 'string' },
  ciphers: { type: 'string' },
  ciphersuites: { type: 'string' },
  'camera-preset': { type: 'boolean' },
  engine: { type: 'string' },
  'engine-required': { type: 'boolean' },
} as const;

export interface ConnectionFlags {
  timeout?: string;
  'chunk-size'?: string;
  'local-address'?: string;
  family?: string;
  ca?: string[];
  insecure?: boolean;
  servername?: string;
  'tls-min'?: string;
  'tls-max'?: string;
  ciphers?: string;
  ciphersuites?: string;
  'camera-preset'?: boolean;
  engine?: string;
  'engine-required'?: boolean;
}

/** What IP cameras with cryptodev offload negotiate with Facebook Live: TLS 1.2, AES-CBC suites. */
export const CAMERA_PRESET = {
  maxVersion: 'TLSv1.2' as TlsVersion,
  ciphers: 'ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES128-SHA',
};

export const connectionFlagsHelp = `Connection options:
  --timeout S            connect and I/O timeout, seconds (default 10)
  --chunk-size N         outgoing RTMP chunk size, 128-65536 (default 4096)
  --local-address IP     source address to connect from (an address of this host)
  --family 4|6           that IP version only (default: both, IPv6 first, Happy Eyeballs)
TLS options (rtmps:// and rtmpts://):
  --ca FILE              trust the PEM certificates in FILE instead of Node's root list (repeatable)
  --insecure             do not verify the server certificate
  --servername NAME      SNI and the name checked in the certificate (default: the URL's host)
  --tls-min V, --tls-max V
                         TLS versions: 1.2 or 1.3 (default 1.2 to 1.3)
  --ciphers LIST         TLS 1.2 cipher list, OpenSSL syntax
  --ciphersuites LIST    TLS 1.3 ciphersuites, OpenSSL syntax
  --camera-preset        TLS 1.2 only with ${CAMERA_PRESET.ciphers}
                         (suites the devcrypto engine serves; --tls-max/--ciphers override)
Crypto engine (process-wide; see \`librtmp info\`):
  --engine auto|off|ID   auto (default): devcrypto when /dev/crypto works, else software
  --engine-required      fail (exit 4) instead of falling back to software`;

function seconds(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw usageError(`${flag} takes a positive number of seconds`);
  return n;
}

function tlsVersion(value: string, flag: string): TlsVersion {
  const v = value.replace(/^TLSv?/i, '');
  if (v === '1.2') return 'TLSv1.2';
  if (v === '1.3') return 'TLSv1.3';
  throw usageError(`${flag} takes 1.2 or 1.3`);
}

function readCa(files: string[]): string[] {
  return files.map((file) => {
    try {
      return fs.readFileSync(file, 'latin1');
    } catch (error) {
      throw usageError(`--ca ${file}: ${(error as NodeJS.ErrnoException).code ?? 'cannot read'}`);
    }
  });
}

function engineOption(flags: ConnectionFlags): EngineOption | undefined {
  const engine = flags.engine ?? 'auto';
  const required = flags['engine-required'] === true;
  if (engine === 'off') {
    if (required) throw usageError('--engine-required contradicts --engine off');
    return false;
  }
  if (engine === '') throw usageError('--engine takes auto, off or an engine id');
  if (engine === 'auto') return required ? { id: 'devcrypto', required: true } : undefined;
  return { id: engine, required };
}

export function connectionOptions(flags: ConnectionFlags): RtmpOptions {
  const options: RtmpOptions = {};
  if (flags.timeout !== undefined) options.timeout = Math.round(seconds(flags.timeout, '--timeout') * 1000);
  if (flags['chunk-size'] !== undefined) {
    const n = Number(flags['chunk-size']);
    if (!Number.isInteger(n)) throw usageError('--chunk-size takes an integer');
    options.chunkSize = n;
  }
  if (flags['local-address'] !== undefined) options.localAddress = flags['local-address'];
  if (flags.family !== undefined) {
    if (flags.family !== '4' && flags.family !== '6') throw usageError('--family takes 4 or 6');
    options.family = flags.family === '4' ? 4 : 6;
  }
  const tls: TlsOptions = {};
  if (flags['camera-preset']) Object.assign(tls, CAMERA_PRESET);
  if (flags.ca !== undefined) tls.ca = readCa(flags.ca);
  if (flags.insecure) tls.rejectUnauthorized = false;
  if (flags.servername !== undefined) tls.servername = flags.servername;
  if (flags['tls-min'] !== undefined) tls.minVersion = tlsVersion(flags['tls-min'], '--tls-min');
  if (flags['tls-max'] !== undefined) tls.maxVersion = tlsVersion(flags['tls-max'], '--tls-max');
  if (flags.ciphers !== undefined) tls.ciphers = flags.ciphers;
  if (flags.ciphersuites !== undefined) tls.ciphersuites = flags.ciphersuites;
  if (Object.keys(tls).length > 0) options.tls = tls;
  const engine = engineOption(flags);
  if (engine !== undefined) options.engine = engine;
  return options;
}
