'use strict';
// Connects to one RTMPS server again and again, alternating a full TLS handshake (session
// resumption off) with a resumed one (on, the session of the connect before it), and prints
// per connect what the connection thread spent in the handshake (tlsInfo().handshakeCpuMs,
// handshakeMs) and what the whole connect cost the process (TCP, TLS, RTMP handshake,
// connect, publish, close: user + sys of all threads).
//
//   node node-librtmp-handshakes.js <rtmps-url-prefix> --ca pem-file --version TLSv1.2|TLSv1.3
//                                   [--count N] [--package dir]

const fs = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { parseArgs } = require('node:util');

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ca: { type: 'string' },
    version: { type: 'string', default: 'TLSv1.3' },
    count: { type: 'string', default: '100' },
    package: { type: 'string', default: path.join(__dirname, '..', '..') },
  },
});
const [urlPrefix] = positionals;
const { publish, versions } = require(path.join(path.resolve(opts.package), 'dist', 'lib', 'index.js'));
const ca = fs.readFileSync(opts.ca, 'utf8');

async function connectOnce(name, resumeSessions) {
  const tls = { ca, minVersion: opts.version, maxVersion: opts.version, resumeSessions };
  const cpu = process.cpuUsage();
  const started = performance.now();
  const connection = await publish(`${urlPrefix}${name}`, { tls, engine: false, timeout: 10000 });
  const info = connection.tlsInfo();
  await connection.close();
  const used = process.cpuUsage(cpu);
  return {
    kind: resumeSessions ? 'resumed' : 'full',
    resumed: info.resumed,
    protocol: info.protocol,
    cipher: info.cipher,
    handshakeCpuMs: info.handshakeCpuMs,
    handshakeMs: info.handshakeMs,
    connectCpuMs: (used.user + used.system) / 1000,
    connectMs: performance.now() - started,
  };
}

async function main() {
  // Warm-up: the SSL_CTX (trust store parsed once per configuration), OpenSSL's tables, the
  // first session in the cache.
  await connectOnce('hs-warm-0', true);
  await connectOnce('hs-warm-1', true);
  const samples = [];
  for (let i = 0; i < Number(opts.count); i++) {
    samples.push(await connectOnce(`hs-full-${i}`, false));
    samples.push(await connectOnce(`hs-resumed-${i}`, true));
  }
  process.stdout.write(`${JSON.stringify({ openssl: versions().openssl, samples })}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exitCode = 1;
});
