// `librtmp info`: what this build is and what the crypto engine would do on this machine —
// the first thing a camera integrator runs.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fromNative } from '../errors';
import { binding, type NativeEngineReport } from '../native';
import { versions } from '../versions';
import { CAMERA_PRESET } from './connection-flags';
import type { CliContext } from './context';
import { ExitCodes, usageError, type ExitCode } from './exit-codes';

export const infoHelp = `Usage: librtmp info [options]

Prints the package, librtmp and OpenSSL versions, whether the devcrypto engine initialises
on this machine (/dev/crypto) and which ciphers and digests it would serve.

Options:
  --ciphers LIST         the TLS 1.2 suites in LIST and which of them the engine would serve
  --camera-preset        the same for the camera preset (${CAMERA_PRESET.ciphers})
  --engine ID            the engine to probe (default devcrypto)
  --json                 one JSON object instead of text
  -h, --help             this help

Examples:
  librtmp info
  librtmp info --camera-preset
  librtmp info --ciphers ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES128-GCM-SHA256 --json`;

const specs = {
  ciphers: { type: 'string' },
  'camera-preset': { type: 'boolean' },
  engine: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface SuiteReport {
  name: string;
  standardName: string;
  /** The EVP cipher as engines name it (AES-128-CBC, id-aes128-GCM, ...). */
  bulkCipher: string;
  /** The MAC digest, or AEAD. */
  mac: string;
  engineServes: boolean;
}

export interface InfoReport {
  package: { name: string; version: string };
  librtmp: string;
  openssl: string;
  /** 1.1.1w+deb11u8 with Debian's security patches, the bare version without. */
  opensslPatchLevel: string;
  /** Why no Debian patches are in, or null. */
  opensslPatchNote: string | null;
  /** The CVE ids the built-in patches fix or test. */
  opensslCves: string[];
  node: { version: string; openssl: string };
  engine: {
    id: string;
    available: boolean;
    name: string | null;
    reason: string | null;
    ciphers: string[];
    digests: string[];
  };
  cipherString?: {
    input: string;
    /** The TLS 1.2 suites the string expands to in the addon's OpenSSL, in its order. */
    suites: SuiteReport[];
  };
}

export function packageJson(): { name: string; version: string } {
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const { name, version } = JSON.parse(fs.readFileSync(file, 'utf8')) as { name: string; version: string };
      return { name, version };
    }
  }
  return { name: 'node-librtmp', version: 'unknown' };
}

function probe(id: string): InfoReport['engine'] {
  const { report, error }: { report: NativeEngineReport; error: { message: string } | null } = binding.probeEngine({ mode: 'id', id });
  return {
    id,
    available: error === null,
    name: error === null ? report.name : null,
    // The library's message repeats the engine id; the line already names it.
    reason: (error?.message ?? report.unavailableReason ?? '').replace(/^engine '[^']*' is not available: /, '') || null,
    ciphers: report.ciphers,
    digests: report.digests,
  };
}

export function infoReport(options: { engine?: string; ciphers?: string }): InfoReport {
  const v = versions();
  const engine = probe(options.engine ?? 'devcrypto');
  const report: InfoReport = {
    package: packageJson(),
    librtmp: v.librtmp,
    openssl: v.openssl,
    opensslPatchLevel: v.opensslPatchLevel,
    opensslPatchNote: v.opensslPatchNote,
    opensslCves: v.opensslCves,
    node: { version: process.version, openssl: process.versions.openssl },
    engine,
  };
  if (options.ciphers !== undefined) {
    // Expanded by the addon's own OpenSSL (Node's and the system's are other libraries),
    // in this process only, with the engine left off: the probe above says what it serves.
    const { suites, error } = binding.expandCiphers(options.ciphers, { mode: 'off' });
    if (error) throw fromNative(error, (text) => text);
    const served = new Set(engine.ciphers.map((c) => c.toUpperCase()));
    report.cipherString = {
      input: options.ciphers,
      suites: suites.map((s) => ({
        name: s.name,
        standardName: s.standardName,
        bulkCipher: s.bulk,
        mac: s.mac,
        engineServes: served.has(s.bulk.toUpperCase()),
      })),
    };
  }
  return report;
}

// A long list as indented lines of at most 100 characters.
function wrapList(items: string[], indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    if (line && indent.length + line.length + item.length + 2 > 100) {
      lines.push(`${indent}${line},`);
      line = '';
    }
    line = line ? `${line}, ${item}` : item;
  }
  if (line) lines.push(`${indent}${line}`);
  return lines;
}

function list(items: string[]): string {
  return items.length > 0 ? items.join(', ') : '(none)';
}

export function formatInfo(r: InfoReport): string {
  const lines = [
    `${r.package.name} ${r.package.version}`,
    `librtmp     ${r.librtmp}`,
    `OpenSSL     ${r.openssl} (static, in the addon; Node's own is ${r.node.openssl})`,
    r.opensslCves.length > 0
      ? `  patches   ${r.opensslPatchLevel}: Debian security patches for ${r.opensslCves.length} CVEs`
      : `  patches   ${r.opensslPatchLevel}: ${r.opensslPatchNote ?? 'no Debian security patches'}`,
    ...(r.opensslCves.length > 0 ? wrapList(r.opensslCves, '            ') : []),
    `Node        ${r.node.version}`,
  ];
  const e = r.engine;
  if (e.available) {
    lines.push(`engine      ${e.id}: initialises (${e.name})`);
    lines.push(`  ciphers   ${list(e.ciphers)}`);
    lines.push(`  digests   ${list(e.digests)}`);
  } else {
    lines.push(`engine      ${e.id}: not available here: ${e.reason ?? 'unknown reason'}`);
    lines.push("            TLS runs in software (the addon's OpenSSL, with the CPU's AES instructions if any)");
  }
  const c = r.cipherString;
  if (c) {
    lines.push(`ciphers     ${c.input} (TLS 1.2, as this build's OpenSSL expands it)`);
    for (const s of c.suites) {
      const verdict = s.engineServes ? `served by ${e.id}` : e.available ? 'software (the engine does not serve it)' : 'software';
      lines.push(`  ${s.name.padEnd(34)} ${s.bulkCipher.padEnd(17)} ${s.mac.padEnd(6)} ${verdict}`);
    }
  }
  return lines.join('\n');
}

export function runInfo(argv: string[], ctx: CliContext): ExitCode {
  const { values, positionals } = parseArgs({ args: argv, options: specs, allowPositionals: true });
  if (values.help) {
    ctx.stdout.write(`${infoHelp}\n`);
    return ExitCodes.OK;
  }
  if (positionals.length > 0) throw usageError('info takes no arguments (see librtmp info --help)');
  if (values.engine === '') throw usageError('--engine takes an engine id');
  const ciphers = values.ciphers ?? (values['camera-preset'] ? CAMERA_PRESET.ciphers : undefined);
  const report = infoReport({ engine: values.engine, ciphers });
  ctx.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatInfo(report)}\n`);
  return ExitCodes.OK;
}
