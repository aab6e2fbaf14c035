'use strict';
// nginx-rtmp for the benchmark: like the tests' server (test/helpers/nginx.ts) but sized for
// hundreds of publishers (worker_connections), with 16 MB messages allowed, warn-level logging
// and access logs that say when each session ended and how many bytes it carried. One worker,
// so the server's CPU is that worker's.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { trackChild, terminate } = require('../../dist/test/helpers/children');
const { freePorts, LOOPBACK } = require('../../dist/test/helpers/ports');
const { waitForFile } = require('../../dist/test/helpers/wait-for-file');

const MODULES_DIR = process.env.NGINX_MODULES_DIR || '/usr/lib/nginx/modules';
const NGINX = process.env.NGINX_BIN || '/usr/sbin/nginx';

// Run as root, the worker drops to nobody (and nobody's group, whatever its name).
function workerUserDirective() {
  if (!process.getuid || process.getuid() !== 0) return '';
  const fields = (file, test) => fs.readFileSync(file, 'utf8').split('\n').map((l) => l.split(':')).find(test);
  const gid = fields('/etc/passwd', (f) => f[0] === 'nobody')[3];
  const group = fields('/etc/group', (f) => f[2] === gid);
  return `user nobody ${group ? group[0] : gid};`;
}

function renderConfig(p) {
  const user = workerUserDirective();
  return `load_module ${MODULES_DIR}/ngx_rtmp_module.so;
load_module ${MODULES_DIR}/ngx_stream_module.so;
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile ${p.connections * 4 + 64};
${user}
pid ${p.dir}/nginx.pid;
error_log ${p.dir}/error.log warn;
events { worker_connections ${p.connections * 3 + 64}; }
rtmp {
    log_format bench '$name $bytes_received $session_time';
    server {
        listen ${LOOPBACK}:${p.port};
        chunk_size 4096;
        max_message 16M;
        access_log ${p.dir}/rtmp-access.log bench;
        application live { live on; }
    }
}
stream {
    log_format tls '$remote_port $ssl_protocol $ssl_cipher $bytes_received';
    server {
        listen ${LOOPBACK}:${p.tlsPort} ssl;
        ssl_certificate ${p.cert};
        ssl_certificate_key ${p.key};
        ssl_protocols TLSv1.2 TLSv1.3;
        access_log ${p.dir}/tls-access.log tls;
        proxy_pass ${LOOPBACK}:${p.port};
    }
${p.fronts.map((f) => `    server {
        listen ${LOOPBACK}:${f.port} ssl;
        ssl_certificate ${p.cert};
        ssl_certificate_key ${p.key};
        ssl_protocols TLSv1.2;
        ssl_ciphers ${f.cipher};
        ssl_prefer_server_ciphers on;
        access_log ${p.dir}/tls-access.log tls;
        proxy_pass ${LOOPBACK}:${p.port};
    }
`).join('')}}
`;
}

// Resolves once the port answers an RTMP C0+C1: then the worker runs (the master alone
// accepts connections but never answers).
function answersRtmp(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: LOOPBACK, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => {
      const c0c1 = Buffer.alloc(1537);
      c0c1[0] = 3;
      socket.write(c0c1);
    });
    socket.once('data', () => done(true));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

function readLines(file) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  } catch {
    return [];
  }
}

/**
 * Starts nginx on free loopback ports; `connections` sizes it for that many publishers.
 * `tlsSuites`: OpenSSL cipher names, each given a TLS 1.2 front of its own that accepts only
 * that suite (so every client, whatever its TLS library, negotiates it): `frontPort(suite)`.
 */
async function startNginx({ cert, key, connections = 16, tlsSuites = [] }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-bench-nginx-'));
  fs.chmodSync(dir, 0o711);
  const [port, tlsPort, ...frontPorts] = await freePorts(2 + tlsSuites.length);
  const fronts = tlsSuites.map((cipher, i) => ({ cipher, port: frontPorts[i] }));
  fs.writeFileSync(path.join(dir, 'nginx.conf'), renderConfig({ dir, port, tlsPort, cert, key, connections, fronts }));
  const child = spawn(NGINX, ['-p', `${dir}/`, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  trackChild(child, { exitSignal: 'SIGTERM' });
  const rtmpLog = path.join(dir, 'rtmp-access.log');
  const tlsLog = path.join(dir, 'tls-access.log');

  const server = {
    port,
    tlsPort,
    frontPort: (suite) => fronts.find((f) => f.cipher === suite).port,
    url: (scheme, name) => `${scheme}://${LOOPBACK}:${scheme === 'rtmps' ? tlsPort : port}/live/${name}`,
    /** The worker's pid (one worker). */
    workerPid() {
      const children = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/);
      return Number(children[0]);
    },
    /** Finished RTMP sessions: { name, bytesReceived, seconds }. */
    rtmpSessions() {
      return readLines(rtmpLog).map((line) => {
        const [name, bytes, seconds] = line.trim().split(' ');
        return { name, bytesReceived: Number(bytes), seconds: Number(seconds) };
      });
    },
    /** Finished TLS sessions: { clientPort, protocol, cipher, bytesReceived }. */
    tlsSessions() {
      return readLines(tlsLog).map((line) => {
        const [clientPort, protocol, cipher, bytes] = line.trim().split(' ');
        return { clientPort: Number(clientPort), protocol, cipher, bytesReceived: Number(bytes) };
      });
    },
    /** Resolves with the session of stream `name` once nginx has logged its end. */
    waitForSession(name, timeoutMs = 30000) {
      return waitForFile(dir, () => server.rtmpSessions().find((s) => s.name === name), timeoutMs, `the end of session ${name}`);
    },
    /** Resolves with the sessions of streams named `prefix`… once `count` of them have ended. */
    waitForSessions(prefix, count, timeoutMs = 30000) {
      const matching = () => server.rtmpSessions().filter((s) => s.name.startsWith(prefix));
      return waitForFile(dir, () => (matching().length >= count ? matching() : undefined), timeoutMs, `${count} sessions ${prefix}*`);
    },
    /** Resolves once `count` TLS sessions have ended. */
    waitForTlsSessions(count, timeoutMs = 30000) {
      return waitForFile(dir, () => (server.tlsSessions().length >= count ? server.tlsSessions() : undefined), timeoutMs, `${count} TLS sessions`);
    },
    async stop() {
      await terminate(child, 'SIGTERM', 5000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    const exited = new Promise((_, reject) => {
      child.once('exit', (code, signal) => reject(new Error(`nginx exited (${code ?? signal}): ${readLines(path.join(dir, 'error.log')).join('\n')}`)));
      child.once('error', reject);
    });
    exited.catch(() => undefined);
    const deadline = Date.now() + 10000;
    let delay = 2;
    while (!(await Promise.race([answersRtmp(port), exited]))) {
      if (Date.now() > deadline) throw new Error('nginx did not answer within 10 s');
      // Back off between probes; a probe is the readiness check, not the wait.
      await Promise.race([new Promise((resolve) => setTimeout(resolve, delay)), exited]);
      delay = Math.min(delay * 2, 50);
    }
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

module.exports = { startNginx };
