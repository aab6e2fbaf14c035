// RTMPE keeps working when librtmp is built against OpenSSL 3 (issue 8): the same patched
// librtmp source, compiled against the system's OpenSSL 3 with an offline check of DH
// agreement, HMAC-SHA256, RC4 and a full RTMPE handshake between librtmp's two sides.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'openssl3-rtmpe');
const BUILD = path.join(ROOT, 'build', 'test-fixtures', 'openssl3-rtmpe');

/** The patched librtmp/ folder, from the same pipeline the addon's build uses (cached). */
function librtmpSourceDir(): string {
  const out = path.join(BUILD, 'deps.cmake');
  fs.mkdirSync(BUILD, { recursive: true });
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'prepare-deps.js'), '--target', 'linux-x64', '--cmake-out', out], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const match = /set\(LIBRTMP_SOURCE_DIR "([^"]+)"\)/.exec(fs.readFileSync(out, 'utf8'));
  assert.ok(match, 'prepare-deps wrote LIBRTMP_SOURCE_DIR');
  return match[1];
}

test('librtmp built against OpenSSL 3 completes an RTMPE handshake', { timeout: 180_000 }, () => {
  assert.ok(fs.existsSync('/usr/include/openssl/opensslv.h'), "the system's OpenSSL 3 headers (apt-get install libssl-dev)");
  const source = librtmpSourceDir();
  execFileSync('cmake', ['-S', FIXTURE, '-B', BUILD, `-DLIBRTMP_SOURCE_DIR=${source}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  execFileSync('cmake', ['--build', BUILD, '-j2'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const output = execFileSync(path.join(BUILD, 'openssl3_rtmpe_check'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  assert.match(output, /^OpenSSL: OpenSSL 3\./m);
  assert.match(output, /^dh: .*agree=1$/m);
  assert.match(output, /^rtmpe: client handshake\+connect=1, server handshake=1, rc4 keys=1, server decrypted 'connect'=1$/m);
  assert.match(output, /^PASS \(0 failure\(s\)\)$/m);
});
