'use strict';

// Debian's OpenSSL patches: which sources get them, the reviewed-series check, and applying a
// series in order to a tree with the real `patch` (synthetic patches, no network).

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const test = require('node:test');
const { applyDebianPatches, checkSeries, cveList, extractDebianTestData, patchDecision, reviewedPlan } =
  require('../../scripts/lib/debian-patches');
const { resolveDependency } = require('../../scripts/lib/manifest');

function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-librtmp-debian-test-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the reviewed plan: 40 patches in series order, 6 packaging-only ones excluded with reasons', () => {
  const plan = reviewedPlan();
  assert.equal(plan.revision, '1.1.1w-0+deb11u8');
  assert.equal(plan.patches.length, 40);
  assert.equal(plan.excluded.length, 6);
  for (const e of plan.excluded) assert.ok(e.reason.length > 20, e.name);
  for (const p of plan.patches) {
    assert.ok(p.cves.length > 0 && p.cves.every((id) => /^CVE-\d{4}-\d{4,}$/.test(id)), p.name);
  }
  assert.equal(cveList(plan.patches).length, 24);
});

test('the pinned tarball gets the patches; a version override, a folder and =off do not, and say so', () => {
  const pinned = resolveDependency('openssl', {});
  assert.deepEqual(patchDecision({ dep: pinned, kind: 'tarball' }, {}), { apply: true, reason: null });
  const other = resolveDependency('openssl', {
    NODE_LIBRTMP_OPENSSL_VERSION: '1.1.1v',
    NODE_LIBRTMP_OPENSSL_SHA256: 'a'.repeat(64),
  });
  assert.match(patchDecision({ dep: other, kind: 'tarball' }, {}).reason, /no Debian security patches: OpenSSL 1\.1\.1v/);
  assert.match(patchDecision({ dep: pinned, kind: 'dir' }, {}).reason, /NODE_LIBRTMP_OPENSSL_DIR, used as is/);
  assert.match(
    patchDecision({ dep: pinned, kind: 'tarball' }, { NODE_LIBRTMP_OPENSSL_DEBIAN: 'off' }).reason,
    /NODE_LIBRTMP_OPENSSL_DEBIAN=off/,
  );
  assert.throws(() => patchDecision({ dep: pinned, kind: 'tarball' }, { NODE_LIBRTMP_OPENSSL_DEBIAN: 'no' }), /"off" or "on"/);
});

test('a series with an unreviewed, a missing or a reordered patch is refused', () => {
  const plan = reviewedPlan();
  const series = [...plan.excluded.map((e) => e.name), ...plan.patches.map((p) => p.name)];
  assert.equal(checkSeries(series, plan).length, 40);
  assert.throws(() => checkSeries([...series, 'CVE-2027-0001.patch'], plan), /not reviewed: CVE-2027-0001\.patch/);
  assert.throws(() => checkSeries(series.filter((n) => n !== 'CVE-2024-2511.patch'), plan), /missing: CVE-2024-2511\.patch/);
  const swapped = [...series];
  [swapped[7], swapped[8]] = [swapped[8], swapped[7]];
  assert.throws(() => checkSeries(swapped, plan), /another order/);
});

// A debian/ folder whose series is the reviewed one, each patch adding one line to one file;
// `broken` makes one of them not apply.
function syntheticDebianDir(dir, { broken } = {}) {
  const plan = reviewedPlan();
  const patchesDir = path.join(dir, 'debian', 'patches');
  fs.mkdirSync(patchesDir, { recursive: true });
  const names = [...plan.excluded.map((e) => e.name), ...plan.patches.map((p) => p.name)];
  fs.writeFileSync(path.join(patchesDir, 'series'), `# comment\n${names.join('\n')}\n`);
  names.forEach((name, i) => {
    const context = name === broken ? 'not what is there' : `line ${i}`;
    fs.writeFileSync(
      path.join(patchesDir, name),
      `Subject: ${name}\n---\n--- a/f${i}.txt\n+++ b/f${i}.txt\n@@ -1 +1,2 @@\n ${context}\n+patched ${i}\n`,
    );
  });
  return { names, debianDir: path.join(dir, 'debian') };
}

test('the series is applied in order, packaging-only patches left out; a reject fails', async (t) => {
  const dir = tempDir(t);
  const tree = path.join(dir, 'tree');
  const { names } = syntheticDebianDir(dir);
  fs.mkdirSync(tree);
  names.forEach((_, i) => fs.writeFileSync(path.join(tree, `f${i}.txt`), `line ${i}\n`));
  // As a user's folder (NODE_LIBRTMP_OPENSSL_DEBIAN_DIR) and as the Debian tarball.
  execFileSync('tar', ['-cJf', path.join(dir, 'debian.tar.xz'), '-C', dir, 'debian']);
  const applied = await applyDebianPatches(tree, { kind: 'tarball', path: path.join(dir, 'debian.tar.xz') });
  assert.equal(applied.length, 40);
  names.forEach((name, i) => {
    const text = fs.readFileSync(path.join(tree, `f${i}.txt`), 'utf8');
    const excluded = i < 6;
    assert.equal(text, excluded ? `line ${i}\n` : `line ${i}\npatched ${i}\n`, name);
  });

  const broken = reviewedPlan().patches[3].name;
  const dir2 = tempDir(t);
  const tree2 = path.join(dir2, 'tree');
  const { debianDir } = syntheticDebianDir(dir2, { broken });
  fs.mkdirSync(tree2);
  names.forEach((_, i) => fs.writeFileSync(path.join(tree2, `f${i}.txt`), `line ${i}\n`));
  await assert.rejects(applyDebianPatches(tree2, { kind: 'dir', path: debianDir }), new RegExp(`Debian patch ${broken.replace(/\./g, '\\.')} does not apply`));
});

test('Debian\'s binary test data is unpacked over the tree; an archive with anything but plain files under test/ is refused', async (t) => {
  const dir = tempDir(t);
  const stage = path.join(dir, 'stage');
  fs.mkdirSync(path.join(stage, 'test', 'cms-msg'), { recursive: true });
  fs.writeFileSync(path.join(stage, 'test', 'cms-msg', 'input.der'), Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]));
  fs.writeFileSync(path.join(stage, 'outside.txt'), 'not test data');
  const debianDir = path.join(dir, 'debian');
  fs.mkdirSync(debianDir);
  execFileSync('tar', ['-cf', path.join(debianDir, 'binary-CVE-2000-0001.tar'), '-C', stage, 'test/cms-msg/input.der']);
  fs.writeFileSync(path.join(debianDir, 'not-binary-data.tar'), 'ignored: not named binary-*.tar');
  const tree = path.join(dir, 'tree');
  fs.mkdirSync(tree);
  const unpacked = await extractDebianTestData(tree, { kind: 'dir', path: debianDir });
  assert.deepEqual(unpacked, [{ archive: 'binary-CVE-2000-0001.tar', files: ['test/cms-msg/input.der'] }]);
  assert.deepEqual([...fs.readFileSync(path.join(tree, 'test', 'cms-msg', 'input.der'))], [0x30, 0x03, 0x02, 0x01, 0x00]);

  execFileSync('tar', ['-cf', path.join(debianDir, 'binary-CVE-2000-0002.tar'), '-C', stage, 'outside.txt']);
  const tree2 = path.join(dir, 'tree2');
  fs.mkdirSync(tree2);
  await assert.rejects(extractDebianTestData(tree2, { kind: 'dir', path: debianDir }), /binary-CVE-2000-0002\.tar holds more than plain files under test\//);
  assert.ok(!fs.existsSync(path.join(tree2, 'outside.txt')));
});
