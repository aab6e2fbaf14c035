'use strict';

// Fetching a user tarball into the cache, checksum refusal, extraction and librtmp patching,
// on small synthetic trees (no network, no apt).

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const test = require('node:test');
const { fetchSources } = require('../../scripts/lib/fetch-source');
const { sha256File } = require('../../scripts/lib/hashing');
const { readOpensslVersion } = require('../../scripts/lib/openssl-version');
const { prepareLibrtmp } = require('../../scripts/lib/prepare-librtmp');
const { resolveDependency } = require('../../scripts/lib/manifest');

function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-librtmp-test-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function makeTarball(dir, topFolder, files) {
  const staging = path.join(dir, 'staging');
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(staging, topFolder, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  const tarball = path.join(dir, `${topFolder}.tar.gz`);
  execFileSync('tar', ['-czf', tarball, '-C', staging, topFolder]);
  return tarball;
}

test('a user tarball is verified and copied into the cache; a wrong one is refused', async (t) => {
  const dir = tempDir(t);
  const tarball = makeTarball(dir, 'openssl-9.9.9', { Configure: '#!/usr/bin/env perl\n' });
  const sha = await sha256File(tarball);
  const cacheDir = path.join(dir, 'cache');
  const env = {
    NODE_LIBRTMP_OPENSSL_VERSION: '9.9.9',
    NODE_LIBRTMP_OPENSSL_SHA256: sha,
    NODE_LIBRTMP_OPENSSL_TARBALL: tarball,
  };
  const result = (await fetchSources(['openssl'], { env, cacheDir })).get('openssl');
  assert.equal(result.kind, 'tarball');
  assert.equal(result.path, path.join(cacheDir, 'sources', 'openssl-9.9.9.tar.gz'));
  assert.equal(await sha256File(result.path), sha);

  const wrongSha = 'b'.repeat(64);
  await assert.rejects(
    fetchSources(['openssl'], { env: { ...env, NODE_LIBRTMP_OPENSSL_SHA256: wrongSha }, cacheDir }),
    (error) =>
      error.message.includes(tarball) &&
      error.message.includes(`expected sha256 ${wrongSha}`) &&
      error.message.includes(`got ${sha}`),
  );
});

test('a user folder is used as is', async (t) => {
  const dir = tempDir(t);
  fs.mkdirSync(path.join(dir, 'tree', 'librtmp'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'tree', 'librtmp', 'rtmp.c'), '');
  const env = { NODE_LIBRTMP_LIBRTMP_DIR: path.join(dir, 'tree') };
  const cacheDir = path.join(dir, 'c');
  const result = (await fetchSources(['librtmp'], { env, cacheDir })).get('librtmp');
  assert.deepEqual([result.kind, result.path], ['dir', path.join(dir, 'tree')]);
  await assert.rejects(
    fetchSources(['librtmp'], { env: { NODE_LIBRTMP_LIBRTMP_DIR: dir }, cacheDir }),
    /does not look like/,
  );
});

async function tarballSource(tarball, dep) {
  return { kind: 'tarball', path: tarball, dep: { ...dep, sha256: await sha256File(tarball) } };
}

test('librtmp: zero patches, then patches in name order, then reuse', async (t) => {
  const dir = tempDir(t);
  const dep = resolveDependency('librtmp', {});
  const tarball = makeTarball(dir, dep.topFolder, { 'librtmp/rtmp.c': 'one\n' });
  const source = await tarballSource(tarball, dep);
  const cacheDir = path.join(dir, 'cache');
  const patchesDir = path.join(dir, 'patches');
  fs.mkdirSync(patchesDir);

  const plain = await prepareLibrtmp(source, { cacheDir, patchesDir });
  assert.equal(plain.reused, false);
  assert.equal(fs.readFileSync(path.join(plain.librtmpDir, 'rtmp.c'), 'utf8'), 'one\n');

  const patch = (from, to) =>
    `--- a/librtmp/rtmp.c\n+++ b/librtmp/rtmp.c\n@@ -1 +1 @@\n-${from}\n+${to}\n`;
  fs.writeFileSync(path.join(patchesDir, '0002-second.patch'), patch('two', 'three'));
  fs.writeFileSync(path.join(patchesDir, '0001-first.patch'), patch('one', 'two'));
  const patched = await prepareLibrtmp(source, { cacheDir, patchesDir });
  assert.notEqual(patched.librtmpDir, plain.librtmpDir);
  assert.deepEqual(patched.patches, ['0001-first.patch', '0002-second.patch']);
  assert.equal(fs.readFileSync(path.join(patched.librtmpDir, 'rtmp.c'), 'utf8'), 'three\n');

  const again = await prepareLibrtmp(source, { cacheDir, patchesDir });
  assert.equal(again.reused, true);
  assert.equal(again.librtmpDir, patched.librtmpDir);
  assert.equal(fs.readdirSync(cacheDir).filter((n) => n.includes('.tmp-')).length, 0);
});

test('a patch that does not apply fails and leaves no folder behind', async (t) => {
  const dir = tempDir(t);
  const dep = resolveDependency('librtmp', {});
  const tarball = makeTarball(dir, dep.topFolder, { 'librtmp/rtmp.c': 'one\n' });
  const source = await tarballSource(tarball, dep);
  const cacheDir = path.join(dir, 'cache');
  const patchesDir = path.join(dir, 'patches');
  fs.mkdirSync(patchesDir);
  fs.writeFileSync(
    path.join(patchesDir, '0001-bad.patch'),
    '--- a/librtmp/rtmp.c\n+++ b/librtmp/rtmp.c\n@@ -1 +1 @@\n-absent\n+x\n',
  );
  await assert.rejects(prepareLibrtmp(source, { cacheDir, patchesDir }), /failed/);
  assert.deepEqual(fs.readdirSync(cacheDir), []);
});

test('opensslv.h yields version and OPENSSL_VERSION_NUMBER', (t) => {
  const dir = tempDir(t);
  fs.mkdirSync(path.join(dir, 'openssl'));
  fs.writeFileSync(
    path.join(dir, 'openssl', 'opensslv.h'),
    '# define OPENSSL_VERSION_NUMBER  0x1010117fL\n' +
      '# define OPENSSL_VERSION_TEXT    "OpenSSL 1.1.1w  11 Sep 2023"\n',
  );
  assert.deepEqual(readOpensslVersion(dir), {
    text: 'OpenSSL 1.1.1w  11 Sep 2023',
    version: '1.1.1w',
    number: '0x1010117fL',
  });
});
