'use strict';

const assert = require('node:assert/strict');
const test = require('node:test');
const { resolveDependency } = require('../../scripts/lib/manifest');
const { upstreamPart } = require('../../scripts/lib/debian-archive');

const SHA = 'a'.repeat(64);

test('pinned dependencies resolve with their Debian coordinates', () => {
  const openssl = resolveDependency('openssl', {});
  assert.equal(openssl.version, '1.1.1w');
  assert.equal(openssl.topFolder, 'openssl-1.1.1w');
  assert.equal(openssl.debian.sourcePackage, 'openssl');
  const librtmp = resolveDependency('librtmp', {});
  assert.equal(librtmp.topFolder, 'rtmpdump-20151223');
  assert.deepEqual(librtmp.debian.codenames, ['bookworm']);
});

test('an OpenSSL version override changes tarball, top folder and drops Debian', () => {
  const dep = resolveDependency('openssl', {
    NODE_LIBRTMP_OPENSSL_VERSION: '1.1.1b',
    NODE_LIBRTMP_OPENSSL_SHA256: SHA.toUpperCase(),
  });
  assert.equal(dep.version, '1.1.1b');
  assert.equal(dep.sha256, SHA);
  assert.equal(dep.topFolder, 'openssl-1.1.1b');
  assert.equal(dep.tarball, 'openssl-1.1.1b.tar.gz');
  assert.equal(dep.debian, null);
});

test('overrides are validated', () => {
  const openssl = (env) => () => resolveDependency('openssl', env);
  assert.throws(openssl({ NODE_LIBRTMP_OPENSSL_VERSION: '1.1.1b' }), /SHA256/);
  assert.throws(openssl({ NODE_LIBRTMP_OPENSSL_SHA256: SHA }), /VERSION/);
  assert.throws(
    openssl({ NODE_LIBRTMP_OPENSSL_VERSION: '../x', NODE_LIBRTMP_OPENSSL_SHA256: SHA }),
    /plausible/,
  );
  assert.throws(
    () => resolveDependency('librtmp', { NODE_LIBRTMP_LIBRTMP_VERSION: '2.5' }),
    /pinned/,
  );
  assert.throws(() => resolveDependency('zlib', {}), /unknown dependency/);
  // A folder needs no checksum.
  const dep = resolveDependency('openssl', {
    NODE_LIBRTMP_OPENSSL_VERSION: '1.1.1b',
    NODE_LIBRTMP_OPENSSL_DIR: '/src/openssl-1.1.1b',
  });
  assert.equal(dep.sha256, null);
});

test('upstream part of a Debian version drops epoch and revision', () => {
  assert.equal(upstreamPart('1.1.1w-0+deb11u8'), '1.1.1w');
  assert.equal(upstreamPart('2.4+20151223.gitfa8646d.1-2'), '2.4+20151223.gitfa8646d.1');
  assert.equal(upstreamPart('1:2.0-3'), '2.0');
  assert.equal(upstreamPart('5.0'), '5.0');
});
