'use strict';
// The `pretest` hook: the tests run against real nginx-rtmp, ffmpeg and openssl. Installs
// what is missing (root + apt) or fails saying what to install; never continues without them.

const fs = require('node:fs');
const { findExecutable, installOrExit } = require('./apt-install');
const { findFuzzCompiler } = require('./lib/fuzz-toolchain');

const MODULES_DIR = process.env.NGINX_MODULES_DIR || '/usr/lib/nginx/modules';

// What the tests need, and the Debian package that provides it.
const requirements = [
  { what: 'nginx', present: () => findExecutable('nginx'), pkg: 'nginx' },
  {
    what: `${MODULES_DIR}/ngx_rtmp_module.so`,
    present: () => fs.existsSync(`${MODULES_DIR}/ngx_rtmp_module.so`),
    pkg: 'libnginx-mod-rtmp',
  },
  {
    what: `${MODULES_DIR}/ngx_stream_module.so`,
    present: () => fs.existsSync(`${MODULES_DIR}/ngx_stream_module.so`),
    pkg: 'libnginx-mod-stream',
  },
  { what: 'ffmpeg', present: () => findExecutable('ffmpeg'), pkg: 'ffmpeg' },
  { what: 'ffprobe', present: () => findExecutable('ffprobe'), pkg: 'ffmpeg' },
  { what: 'openssl', present: () => findExecutable('openssl'), pkg: 'openssl' },
  // The engine tests build a fake /dev/crypto (test/fixtures/fake-cryptodev) on nettle.
  { what: 'cmake', present: () => findExecutable('cmake'), pkg: 'cmake' },
  { what: 'pkg-config', present: () => findExecutable('pkg-config'), pkg: 'pkg-config' },
  { what: 'nettle headers', present: () => fs.existsSync('/usr/include/nettle/aes.h'), pkg: 'nettle-dev' },
  // RTMPE's independent peers (a GnuTLS librtmp build), in a private network namespace.
  { what: 'rtmpdump', present: () => findExecutable('rtmpdump'), pkg: 'rtmpdump' },
  { what: 'rtmpsuck', present: () => findExecutable('rtmpsuck'), pkg: 'rtmpdump' },
  { what: 'ip', present: () => findExecutable('ip'), pkg: 'iproute2' },
  { what: 'unshare', present: () => findExecutable('unshare'), pkg: 'util-linux' },
  // The soak (test/soak.test.ts): the faulted uplink is shaped with tc, /etc/hosts bind-mounted.
  { what: 'tc', present: () => findExecutable('tc'), pkg: 'iproute2' },
  { what: 'mount', present: () => findExecutable('mount'), pkg: 'mount' },
  // librtmp built against the system's OpenSSL 3 (test/openssl3.test.ts).
  { what: 'OpenSSL 3 headers', present: () => fs.existsSync('/usr/include/openssl/opensslv.h'), pkg: 'libssl-dev' },
  // A clock at 1970 for one process (test/tls-clock.test.ts): libfaketime's LD_PRELOAD wrapper.
  { what: 'faketime', present: () => findExecutable('faketime'), pkg: 'faketime' },
  { what: 'script (pty for the CLI tests)', present: () => findExecutable('script'), pkg: 'bsdutils' },
  // The libFuzzer targets on librtmp (test/scripts/fuzz-native.test.js): clang and its runtime.
  { what: 'clang with libFuzzer', present: () => findFuzzCompiler() !== null, pkg: ['clang-14', 'libclang-rt-14-dev'] },
];

function missing() {
  return requirements.filter((r) => !r.present());
}

const before = missing();
if (before.length > 0) {
  console.error(`test dependencies missing: ${before.map((r) => r.what).join(', ')}`);
  installOrExit([...new Set(before.flatMap((r) => r.pkg))], 'test dependencies');
  const after = missing();
  if (after.length > 0) {
    console.error(`still missing after install: ${after.map((r) => r.what).join(', ')}`);
    process.exit(1);
  }
}
