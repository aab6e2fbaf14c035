'use strict';

const assert = require('node:assert/strict');
const path = require('node:path');
const test = require('node:test');
const { configureArgs, cryptodevIncludeDirs } = require('../../scripts/lib/build-openssl');
const { resolveTarget, hostTargetName } = require('../../scripts/lib/targets');

const BUNDLED = path.resolve(__dirname, '..', '..', 'native', 'cryptodev');

test('a user cryptodev folder comes before the bundled ABI header', () => {
  assert.deepEqual(cryptodevIncludeDirs({}), [BUNDLED]);
  assert.deepEqual(cryptodevIncludeDirs({ CRYPTODEV_INCLUDE_DIR: '/sdk/include' }), [
    '/sdk/include',
    BUNDLED,
  ]);
});

test('configure options: static, PIC, devcrypto, run-time paths, include order', () => {
  const target = resolveTarget('linux-x64', {});
  const args = configureArgs(target, ['/sdk/include', BUNDLED]);
  assert.equal(args[0], 'linux-x86_64');
  for (const option of ['no-shared', 'no-tests', '-fPIC', 'enable-devcryptoeng']) {
    assert.ok(args.includes(option), option);
  }
  assert.ok(args.includes('--openssldir=/etc/ssl'));
  assert.ok(args.indexOf('-I/sdk/include') < args.indexOf(`-I${BUNDLED}`));
  if (hostTargetName() === 'linux-x64') {
    assert.ok(!args.some((arg) => arg.startsWith('--cross-compile-prefix')), 'native build');
  }
});

test('targets: cross prefix, ARMv7 hard-float flags, extra CFLAGS and sysroot', () => {
  const arm = resolveTarget('linux-arm', {
    NODE_LIBRTMP_TARGET_CFLAGS: '-O2  -DX=1%',
    NODE_LIBRTMP_SYSROOT: '/opt/sysroot',
  });
  assert.equal(arm.configureTarget, 'linux-armv4');
  if (process.arch !== 'arm') assert.equal(arm.crossPrefix, 'arm-linux-gnueabihf-');
  const args = configureArgs(arm, [BUNDLED]);
  for (const flag of ['-march=armv7-a', '-mfpu=vfpv3-d16', '-mfloat-abi=hard', '-O2']) {
    assert.ok(args.includes(flag), flag);
  }
  assert.ok(args.includes('-DX=1%25'), 'a literal % is escaped for Configure');
  assert.ok(args.includes('--sysroot=/opt/sysroot'));
  const vendorPrefix = 'aarch64-vendor-linux-';
  const vendor = resolveTarget('linux-arm64', { NODE_LIBRTMP_CROSS_PREFIX: vendorPrefix });
  assert.equal(vendor.crossPrefix, vendorPrefix);
  assert.throws(() => resolveTarget('linux-mips', {}), /unknown target/);
});
