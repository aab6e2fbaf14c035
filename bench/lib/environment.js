'use strict';
// What the benchmark needs on the machine (installed through apt when root, as the tests do),
// and a description of the machine for the results (no host names).

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { findExecutable, installOrExit } = require('../../scripts/apt-install');

const MODULES_DIR = process.env.NGINX_MODULES_DIR || '/usr/lib/nginx/modules';

const requirements = [
  { what: 'nginx', present: () => findExecutable('nginx') || fs.existsSync('/usr/sbin/nginx'), pkg: 'nginx' },
  { what: 'the nginx rtmp module', present: () => fs.existsSync(`${MODULES_DIR}/ngx_rtmp_module.so`), pkg: 'libnginx-mod-rtmp' },
  { what: 'the nginx stream module', present: () => fs.existsSync(`${MODULES_DIR}/ngx_stream_module.so`), pkg: 'libnginx-mod-stream' },
  { what: 'ffmpeg', present: () => findExecutable('ffmpeg'), pkg: 'ffmpeg' },
  { what: 'openssl', present: () => findExecutable('openssl'), pkg: 'openssl' },
  { what: 'strace', present: () => findExecutable('strace'), pkg: 'strace' },
  { what: 'a C compiler', present: () => findExecutable('cc'), pkg: 'gcc' },
  { what: 'zlib headers', present: () => fs.existsSync('/usr/include/zlib.h'), pkg: 'zlib1g-dev' },
];

function checkPrerequisites(packageRoot) {
  const missing = requirements.filter((r) => !r.present());
  if (missing.length > 0) {
    process.stderr.write(`bench: missing ${missing.map((r) => r.what).join(', ')}\n`);
    installOrExit([...new Set(missing.map((r) => r.pkg))], 'the benchmark');
  }
  const entry = path.join(path.resolve(packageRoot), 'dist', 'lib', 'index.js');
  if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build:ts\``);
  try {
    require(entry).versions();
  } catch (error) {
    throw new Error(`the addon does not load (run \`npm run build:native\`): ${error.message}`);
  }
}

// The first line a program prints about its version (nginx -v prints to stderr).
function firstLine(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return `${result.stdout || ''}${result.stderr || ''}`.split('\n')[0].trim();
}

function describeMachine() {
  const cpuModel = os.cpus()[0]?.model ?? 'unknown CPU';
  const machine = {
    cpu: cpuModel,
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    ffmpeg: firstLine('ffmpeg', ['-version']).replace(/ Copyright.*/, ''),
    nginx: firstLine(findExecutable('nginx') || '/usr/sbin/nginx', ['-v']),
    loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
  machine.summary =
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Linux ${machine.kernel}, ` +
    `Node ${machine.node}; ${machine.ffmpeg}; ${machine.nginx}; load average at start ${machine.loadAverageAtStart.join(' ')}`;
  return machine;
}

module.exports = { checkPrerequisites, describeMachine };
