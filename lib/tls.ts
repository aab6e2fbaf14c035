// TLS and engine options, shaped like Node's tls.connect, validated and turned into what
// the addon takes. The default trust store is Node's own root list, so a camera without a
// system CA bundle still verifies its ingest server.
import fs from 'node:fs';
import tls from 'node:tls';
import { invalidArg } from './errors';
import { binding, type NativeEngineOptions, type NativeTlsOptions } from './native';

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

export interface TlsOptions {
  /**
   * Trust anchors (PEM). Default: what Node's `tls.connect` trusts: its root store plus
   * `NODE_EXTRA_CA_CERTS`; with `--use-openssl-ca`, OpenSSL's default store
   * (`SSL_CERT_FILE`/`SSL_CERT_DIR`) plus `NODE_EXTRA_CA_CERTS`. Giving `ca` replaces them all.
   */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Refuse servers whose certificate does not verify (default true). */
  rejectUnauthorized?: boolean;
  /** SNI and the name checked in the certificate; default: the URL's host. */
  servername?: string;
  /** Default 'TLSv1.2'. */
  minVersion?: TlsVersion;
  /** Default 'TLSv1.3'. */
  maxVersion?: TlsVersion;
  /** TLS <= 1.2 cipher list, OpenSSL syntax. */
  ciphers?: string;
  /** TLS 1.3 ciphersuites, OpenSSL syntax. */
  ciphersuites?: string;
  /**
   * Resume the last TLS session of the same server and configuration on the next connect
   * (TLS 1.2 ticket or session id, TLS 1.3 PSK ticket), which saves the certificate
   * exchange and the key agreement on a reconnect. Default true. See `tlsInfo().resumed`.
   */
  resumeSessions?: boolean;
}

export type EngineMethod = 'ciphers' | 'digests';

export interface EngineConfig {
  /** A built-in engine id ('devcrypto'; 'cryptodev' on older patched OpenSSL builds). */
  id?: string;
  /** A dynamic engine shared object (its id may be given too). */
  path?: string;
  /** Fail the connection with ERR_ENGINE_UNAVAILABLE instead of falling back to software. */
  required?: boolean;
  /** What the engine serves by default. Default ['ciphers']: digest offload is slower for TLS records. */
  methods?: EngineMethod[];
  /** Engine control commands, applied before ENGINE_init. */
  ctrl?: Record<string, string | number | boolean>;
}

/** 'auto' (default): devcrypto when /dev/crypto works, else software. false: software. */
export type EngineOption = 'auto' | false | string | EngineConfig;

const versions: Record<TlsVersion, number> = { 'TLSv1.2': 0x0303, 'TLSv1.3': 0x0304 };

function pemList(ca: TlsOptions['ca']): string[] {
  const items = Array.isArray(ca) ? ca : [ca];
  return items.map((item, i) => {
    if (typeof item === 'string') return item;
    if (Buffer.isBuffer(item)) return item.toString('latin1');
    throw invalidArg(`options.tls.ca[${i}] must be a PEM string or Buffer`);
  });
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw invalidArg(`${name} must be a non-empty string`);
  return value;
}

function version(value: unknown, name: string, fallback: TlsVersion): number {
  if (value === undefined) return versions[fallback];
  if (typeof value !== 'string' || !(value in versions)) {
    throw invalidArg(`${name} must be 'TLSv1.2' or 'TLSv1.3'`);
  }
  return versions[value as TlsVersion];
}

// Node's CA conventions, so a user's corporate or test CA works here as it does for
// tls.connect: without `ca`, Node's root store plus NODE_EXTRA_CA_CERTS; under
// --use-openssl-ca, OpenSSL's default store (SSL_CERT_FILE / SSL_CERT_DIR) instead of the
// root store. An explicit `ca` replaces all of them, as in Node.

/** Whether Node runs with --use-openssl-ca (the last of it and --use-bundled-ca wins). */
export function usesOpenSslCaStore(): boolean {
  const flags = [...(process.env.NODE_OPTIONS ?? '').split(/\s+/), ...process.execArgv];
  let openssl = false;
  for (const flag of flags) {
    if (flag === '--use-openssl-ca') openssl = true;
    else if (flag === '--use-bundled-ca') openssl = false;
  }
  return openssl;
}

let extraCa: { file: string; pems: string[] } | undefined;

/** The certificates of NODE_EXTRA_CA_CERTS (read once per file name; an unreadable file adds none, as in Node). */
export function extraCaCertificates(): string[] {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (!file) return [];
  if (extraCa?.file !== file) {
    let pems: string[] = [];
    try {
      pems = [fs.readFileSync(file, 'latin1')];
    } catch {
      // Node itself warned at start-up ("Ignoring extra certs from ...").
    }
    extraCa = { file, pems };
  }
  return extraCa.pems;
}

type CaList = (type: 'default' | 'system' | 'bundled' | 'extra') => string[];

function defaultTrust(): { ca: string[]; opensslStore: boolean } {
  const opensslStore = usesOpenSslCaStore();
  // Node 22.15+/23.10+ say what their own default is (--use-system-ca included).
  const getCACertificates = (tls as unknown as { getCACertificates?: CaList }).getCACertificates;
  if (!opensslStore && typeof getCACertificates === 'function') return { ca: getCACertificates('default'), opensslStore };
  const base = opensslStore ? [] : [...tls.rootCertificates];
  return { ca: [...base, ...extraCaCertificates()], opensslStore };
}

export function nativeTlsOptions(options: TlsOptions | undefined): NativeTlsOptions {
  const o = options ?? {};
  if (typeof o !== 'object') throw invalidArg('options.tls must be an object');
  if (o.rejectUnauthorized !== undefined && typeof o.rejectUnauthorized !== 'boolean') {
    throw invalidArg('options.tls.rejectUnauthorized must be a boolean');
  }
  if (o.resumeSessions !== undefined && typeof o.resumeSessions !== 'boolean') {
    throw invalidArg('options.tls.resumeSessions must be a boolean');
  }
  const minVersion = version(o.minVersion, 'options.tls.minVersion', 'TLSv1.2');
  const maxVersion = version(o.maxVersion, 'options.tls.maxVersion', 'TLSv1.3');
  if (minVersion > maxVersion) throw invalidArg('options.tls.minVersion is above maxVersion');
  const trust = o.ca === undefined ? defaultTrust() : { ca: pemList(o.ca), opensslStore: false };
  return {
    ...trust,
    rejectUnauthorized: o.rejectUnauthorized ?? true,
    servername: optionalString(o.servername, 'options.tls.servername'),
    minVersion,
    maxVersion,
    ciphers: optionalString(o.ciphers, 'options.tls.ciphers'),
    ciphersuites: optionalString(o.ciphersuites, 'options.tls.ciphersuites'),
    resumeSessions: o.resumeSessions ?? true,
  };
}

export function nativeEngineOptions(option: EngineOption | undefined): NativeEngineOptions {
  if (option === undefined || option === 'auto') return { mode: 'auto' };
  if (option === false) return { mode: 'off' };
  if (typeof option === 'string') {
    if (option === '') throw invalidArg('options.engine must not be an empty string');
    return { mode: 'id', id: option, required: true };
  }
  if (typeof option !== 'object' || option === null) {
    throw invalidArg("options.engine must be 'auto', false, an engine id or an object");
  }
  const id = optionalString(option.id, 'options.engine.id');
  const path = optionalString(option.path, 'options.engine.path');
  if (id === undefined && path === undefined) throw invalidArg('options.engine needs an id or a path');
  const methods = option.methods ?? ['ciphers'];
  if (!Array.isArray(methods) || methods.some((m) => m !== 'ciphers' && m !== 'digests')) {
    throw invalidArg("options.engine.methods must list 'ciphers' and/or 'digests'");
  }
  if (option.required !== undefined && typeof option.required !== 'boolean') {
    throw invalidArg('options.engine.required must be a boolean');
  }
  const ctrl = Object.entries(option.ctrl ?? {}).map(([k, v]): [string, string] => {
    if (!['string', 'number', 'boolean'].includes(typeof v)) {
      throw invalidArg(`options.engine.ctrl.${k} must be a string, number or boolean`);
    }
    return [k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v)];
  });
  return {
    mode: path !== undefined ? 'path' : 'id',
    id,
    path,
    required: option.required ?? false,
    ciphers: methods.includes('ciphers'),
    digests: methods.includes('digests'),
    ctrl,
  };
}

/**
 * Forgets every cached TLS session (see `TlsOptions.resumeSessions`): the next connect to
 * each server makes a full handshake. For a device whose trust or credentials changed.
 */
export function clearTlsSessions(): void {
  binding.clearTlsSessionCache();
}
