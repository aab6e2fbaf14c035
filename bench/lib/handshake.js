'use strict';
// Handshake mode: what a TLS handshake costs the client, full and resumed, for TLS 1.2 and
// 1.3 against servers with RSA-2048 and ECDSA P-256 certificates (each under a CA of its
// own key type). One client process per combination connects to nginx's TLS front, full and
// resumed connects alternating (node-librtmp-handshakes.js). Reported as medians, with the
// resumed/full ratio of the same run (goal: resumed ≤ 0.3× the CPU of a full handshake).
// With --openssl-lines 1.1.1,3.5 each combination runs once per OpenSSL line, the 3.5 client
// loading build-ossl35's addon (scripts/openssl35-addon.js), against the same server.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { lastJsonLine, runMeasured } = require('./measure');
const { startNginx } = require('./nginx');
const { fmt, markdownTable, median } = require('./report');

const CLIENT = path.join(__dirname, '..', 'clients', 'node-librtmp-handshakes.js');
const OPENSSL35_PRELOAD = path.join(__dirname, '..', '..', 'scripts', 'openssl35-addon.js');

/** The client's environment for an OpenSSL line ('1.1.1': build/Release's addon as is). */
function lineEnv(line) {
  if (line === '1.1.1') return process.env;
  if (line !== '3.5') throw new Error(`--openssl-lines: unknown line ${line} (1.1.1, 3.5)`);
  const options = process.env.NODE_OPTIONS ? ` ${process.env.NODE_OPTIONS}` : '';
  return { ...process.env, NODE_OPTIONS: `-r ${OPENSSL35_PRELOAD}${options}` };
}
const GOAL = 0.3;

const KEYS = {
  'RSA-2048': ['-newkey', 'rsa:2048'],
  'ECDSA P-256': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
};

function log(message) {
  process.stderr.write(`bench: ${message}\n`);
}

// A CA and a server certificate for 127.0.0.1 signed by it, both of the given key type.
function makeCertificates(dir, name, keyArgs) {
  const file = (suffix) => path.join(dir, `${name}-${suffix}`);
  const openssl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('req', '-x509', ...keyArgs, '-nodes', '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2',
    '-subj', `/CN=bench ${name} CA`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  openssl('req', ...keyArgs, '-nodes', '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=127.0.0.1');
  fs.writeFileSync(file('ext.cnf'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial',
    '-out', file('server.pem'), '-days', '2', '-extfile', file('ext.cnf'));
  return { ca: file('ca.pem'), cert: file('server.pem'), key: file('server.key') };
}

function summarize(samples, kind) {
  const of = samples.filter((s) => s.kind === kind);
  const pick = (key) => median(of.map((s) => s[key]));
  return {
    connects: of.length,
    resumedCount: of.filter((s) => s.resumed).length,
    cipher: of[0]?.cipher,
    handshakeCpuMs: pick('handshakeCpuMs'),
    handshakeMs: pick('handshakeMs'),
    connectCpuMs: pick('connectCpuMs'),
    connectMs: pick('connectMs'),
  };
}

function table(rows, withLines) {
  const ratio = (a, b) => (a === null || !b ? '–' : `${(a / b).toFixed(2)}×`);
  const table = markdownTable(
    ['OpenSSL', 'TLS', 'server key', 'suite', 'handshake CPU ms full / resumed', 'resumed vs full', 'handshake wall ms full / resumed', 'whole connect CPU ms full / resumed', 'resumed vs full', 'resumed'],
    rows.map((r) => [
      r.line, r.version.replace('TLSv', ''), r.keyType, r.full.cipher,
      `${fmt(r.full.handshakeCpuMs, 3)} / ${fmt(r.resumed.handshakeCpuMs, 3)}`, ratio(r.resumed.handshakeCpuMs, r.full.handshakeCpuMs),
      `${fmt(r.full.handshakeMs, 2)} / ${fmt(r.resumed.handshakeMs, 2)}`,
      `${fmt(r.full.connectCpuMs, 2)} / ${fmt(r.resumed.connectCpuMs, 2)}`, ratio(r.resumed.connectCpuMs, r.full.connectCpuMs),
      `${r.resumed.resumedCount}/${r.resumed.connects}`,
    ]),
  );
  // One line only: the OpenSSL column goes (the table as it was).
  return withLines ? table : table.split('\n').map((row) => row.replace(/^\|[^|]*/, '')).join('\n');
}

async function runHandshakes({ outDir, count, versions, packageRoot, lines = ['1.1.1'] }) {
  fs.mkdirSync(outDir, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-bench-handshake-'));
  fs.chmodSync(dir, 0o755); // nginx's worker (nobody) reads the keys
  const rows = [];
  try {
    for (const [keyType, keyArgs] of Object.entries(KEYS)) {
      const pki = makeCertificates(dir, keyType.replace(/\W+/g, '-'), keyArgs);
      for (const f of [pki.cert, pki.key]) fs.chmodSync(f, 0o644);
      const nginx = await startNginx({ cert: pki.cert, key: pki.key });
      try {
        for (const version of versions) {
          for (const line of lines) {
            log(`${count} full and ${count} resumed handshakes, ${version}, ${keyType} server certificate, OpenSSL ${line}`);
            const run = await runMeasured(process.execPath, [CLIENT, nginx.url('rtmps', ''), '--ca', pki.ca, '--version', version,
              '--count', String(count), '--package', packageRoot], { timeoutMs: count * 2000 + 60000, env: lineEnv(line) });
            const { samples, openssl } = lastJsonLine(run.stdout);
            if (!openssl.startsWith(`OpenSSL ${line}`)) throw new Error(`the OpenSSL ${line} client ran ${openssl}`);
            rows.push({ line, openssl, version, keyType, full: summarize(samples, 'full'), resumed: summarize(samples, 'resumed') });
          }
        }
      } finally {
        await nginx.stop();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const cpuRatios = rows.map((r) => r.resumed.handshakeCpuMs / r.full.handshakeCpuMs);
  const worst = Math.max(...cpuRatios);
  const markdown = [
    `### Handshake cost (${count} full and ${count} resumed connects per row, medians; client: node-librtmp, engine off)`,
    '',
    table(rows, lines.length > 1 || lines[0] !== '1.1.1'),
    '',
    `Resumed handshake CPU against full: at most ${worst.toFixed(2)}× (goal ≤ ${GOAL}×: ${worst <= GOAL ? 'met' : 'missed'}).`,
  ].join('\n');
  return { mode: 'handshake', parameters: { count, versions, lines, package: path.resolve(packageRoot) }, rows, goal: { resumedCpuRatio: GOAL, worst, met: worst <= GOAL }, markdown };
}

module.exports = { runHandshakes };
