'use strict';

// NODE_LIBRTMP_OPENSSL selects the OpenSSL line: its pins, its reviewed Debian patch plan, its
// own patches, and how its version is read (no network, no build).

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const test = require('node:test');
const { checkSeries, cveList, patchDecision, reviewedPlan } = require('../../scripts/lib/debian-patches');
const { dependencyNames, resolveDependency } = require('../../scripts/lib/manifest');
const { opensslLine } = require('../../scripts/lib/openssl-line');
const { readOpensslVersion } = require('../../scripts/lib/openssl-version');

const ROOT = path.resolve(__dirname, '..', '..');
const ON_35 = { NODE_LIBRTMP_OPENSSL: '3.5' };

test('the line: 1.1.1 unless NODE_LIBRTMP_OPENSSL says 3.5; anything else is refused', () => {
  assert.equal(opensslLine({}), '1.1.1');
  assert.equal(opensslLine({ NODE_LIBRTMP_OPENSSL: '' }), '1.1.1');
  assert.equal(opensslLine({ NODE_LIBRTMP_OPENSSL: '1.1' }), '1.1.1');
  assert.equal(opensslLine({ NODE_LIBRTMP_OPENSSL: '3.5' }), '3.5');
  assert.equal(opensslLine({ NODE_LIBRTMP_OPENSSL: '3' }), '3.5');
  assert.throws(() => opensslLine({ NODE_LIBRTMP_OPENSSL: '3.0' }), /NODE_LIBRTMP_OPENSSL="3\.0".*known: 1\.1\.1, 3\.5/);
});

test('on 3.5, "openssl" and "openssl_debian" resolve to the trixie pins; the names stay the same', () => {
  assert.deepEqual(dependencyNames(), ['librtmp', 'openssl', 'openssl_debian']);
  const openssl = resolveDependency('openssl', ON_35);
  assert.equal(openssl.name, 'openssl');
  assert.equal(openssl.version, '3.5.7');
  assert.equal(openssl.tarball, 'openssl_3.5.7.orig.tar.gz');
  assert.match(openssl.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(openssl.debian.codenames, ['trixie']);
  const debian = resolveDependency('openssl_debian', ON_35);
  assert.equal(debian.tarball, 'openssl_3.5.7-1~deb13u2.debian.tar.xz');
  assert.equal(debian.debian.exactRevision, true);
  assert.equal(resolveDependency('openssl', {}).version, '1.1.1w');
  // The version override works on 3.5 too (and drops Debian).
  const other = resolveDependency('openssl', { ...ON_35, NODE_LIBRTMP_OPENSSL_VERSION: '3.5.8', NODE_LIBRTMP_OPENSSL_SHA256: 'b'.repeat(64) });
  assert.equal(other.topFolder, 'openssl-3.5.8');
  assert.equal(other.debian, null);
  assert.match(patchDecision({ dep: other, kind: 'tarball' }, ON_35).reason, /no Debian security patches: OpenSSL 3\.5\.8/);
  assert.throws(() => resolveDependency('openssl35', {}), /unknown dependency/);
});

test("3.5's reviewed plan: 17 source patches for 10 CVEs, 6 packaging-only ones excluded with reasons", () => {
  const plan = reviewedPlan(ON_35);
  assert.equal(plan.revision, '3.5.7-1~deb13u2');
  assert.equal(plan.patchLevel, 'deb13u2');
  assert.equal(plan.patches.length, 17);
  assert.equal(plan.excluded.length, 6);
  for (const e of plan.excluded) assert.ok(e.reason.length > 20, e.name);
  for (const p of plan.patches) {
    assert.ok(p.cves.every((id) => /^CVE-\d{4}-\d{4,}$/.test(id)), p.name);
    assert.ok(p.cves.length > 0 || p.note, `${p.name}: a CVE or a note why none`);
  }
  assert.equal(cveList(plan.patches).length, 10);
  const series = [...plan.excluded.map((e) => e.name), ...plan.patches.map((p) => p.name)];
  assert.equal(checkSeries(series, plan, ON_35).length, 17);
  assert.throws(() => checkSeries([...series, 'new.patch'], plan, ON_35), /openssl35_debian.*not reviewed: new\.patch/);
  assert.deepEqual(patchDecision({ dep: resolveDependency('openssl', ON_35), kind: 'tarball' }, ON_35), { apply: true, reason: null });
});

test('our own OpenSSL 3.5 patches are listed in their series and explain themselves', () => {
  const dir = path.join(ROOT, 'native', 'openssl-patches', '3.5');
  const names = fs.readFileSync(path.join(dir, 'series'), 'utf8').split('\n').filter(Boolean);
  assert.ok(names.length >= 1);
  for (const name of names) {
    const text = fs.readFileSync(path.join(dir, name), 'utf8');
    const [explanation] = text.split('\n--- a/');
    assert.ok(explanation.length > 200, `${name} says why`);
    assert.match(text, /^\+\+\+ b\//m);
  }
});

test("OpenSSL 3's version: from VERSION.dat in a source tree, from the generated opensslv.h once built", (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-librtmp-version-test-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'src', 'include', 'openssl'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'src', 'VERSION.dat'), 'MAJOR=3\nMINOR=5\nPATCH=7\nPRE_RELEASE_TAG=\nRELEASE_DATE="9 Jun 2026"\n');
  assert.deepEqual(readOpensslVersion(path.join(dir, 'src', 'include')), {
    text: 'OpenSSL 3.5.7 9 Jun 2026',
    version: '3.5.7',
    number: '0x30500070L',
  });
  fs.mkdirSync(path.join(dir, 'built', 'openssl'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'built', 'openssl', 'opensslv.h'),
    '# define OPENSSL_VERSION_MAJOR  3\n# define OPENSSL_VERSION_MINOR  5\n# define OPENSSL_VERSION_PATCH  7\n' +
      '# define OPENSSL_VERSION_TEXT "OpenSSL 3.5.7 9 Jun 2026"\n' +
      '# define OPENSSL_VERSION_NUMBER          \\\n    ( (OPENSSL_VERSION_MAJOR<<28)        \\\n',
  );
  assert.equal(readOpensslVersion(path.join(dir, 'built')).number, '0x30500070L');
});
