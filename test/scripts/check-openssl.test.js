'use strict';

// `npm run check:openssl`'s decisions, on fixtures: Debian version order (checked against
// dpkg itself), debian/changelog entries and the CVEs they name, the archive's list of
// sources (apt-cache madison) and the pin against it, and the report.
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const test = require('node:test');
const { entriesAfter, parseChangelog } = require('../../scripts/lib/debian-changelog');
const { compareDebianVersions } = require('../../scripts/lib/debian-version');
const { Status, comparePin, formatReport, parseMadison } = require('../../scripts/lib/openssl-updates');

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'debian-openssl');
const fixture = (name) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const PIN = { sourcePackage: 'openssl', version: '1.1.1w-0+deb11u8', codenames: ['bullseye'] };

// Each pair in increasing order.
const ORDERED = [
  ['1.1.1w-0+deb11u8', '1.1.1w-0+deb11u9'],
  ['1.1.1w-0+deb11u9', '1.1.1w-0+deb11u10'],
  ['1.1.1w-0', '1.1.1w-0+deb11u1'],
  ['1.1.1v-1', '1.1.1w-0'],
  ['1.1.1w-0+deb11u8', '3.0.20-1~deb12u2'],
  ['3.0.17-1~deb12u2', '3.0.17-1'],
  ['1.0~rc1-1', '1.0-1'],
  ['1.0-1', '1.0+b1-1'],
  ['1.0', '1.0-0.1'],
  ['9.9-1', '1:0.1-1'],
  ['2.4+20151223.gitfa8646d.1-2', '2.4+20151223.gitfa8646d.1-2+b1'],
  ['1.2a-1', '1.2b-1'],
  ['1.009-1', '1.10-1'],
];

test('Debian versions sort as dpkg sorts them', () => {
  for (const [low, high] of ORDERED) {
    assert.ok(compareDebianVersions(low, high) < 0, `${low} < ${high}`);
    assert.ok(compareDebianVersions(high, low) > 0, `${high} > ${low}`);
    assert.equal(compareDebianVersions(low, low), 0);
  }
  assert.equal(compareDebianVersions('1.01-1', '1.1-1'), 0, 'leading zeros do not count');
});

test('the same pairs, in every combination, agree with dpkg --compare-versions', () => {
  // dpkg is the definition; the CI machine is Debian. Missing dpkg fails here, loudly.
  const versions = [...new Set(ORDERED.flat())];
  for (const a of versions) {
    for (const b of versions) {
      let dpkgLess = true;
      try {
        execFileSync('dpkg', ['--compare-versions', a, 'lt', b]);
      } catch (error) {
        if (error.code === 'ENOENT') throw new Error('dpkg not found: this check needs a Debian machine');
        dpkgLess = false;
      }
      assert.equal(compareDebianVersions(a, b) < 0, dpkgLess, `${a} lt ${b}`);
    }
  }
});

test('changelog entries: version, distribution, urgency, date and the CVEs named, once each', () => {
  const entries = parseChangelog(fixture('changelog'));
  assert.deepEqual(
    entries.map((e) => [e.version, e.distributions.join(' '), e.urgency]),
    [
      ['1.1.1w-0+deb11u10', 'bullseye-security', 'high'],
      ['1.1.1w-0+deb11u9', 'bullseye-security', 'medium'],
      ['1.1.1w-0+deb11u8', 'bullseye-security', 'medium'],
      ['1.1.1w-0+deb11u7', 'bullseye-security', 'medium'],
      ['1.1.1w-0', 'unstable', 'medium'],
    ],
  );
  assert.deepEqual(entries[0].cves, ['CVE-2027-0001', 'CVE-2027-0002']);
  assert.deepEqual(entries[1].cves, []);
  assert.deepEqual(entries[2].cves, ['CVE-2026-7383', 'CVE-2026-9076', 'CVE-2026-34180', 'CVE-2026-42766', 'CVE-2026-45447']);
  assert.equal(entries[0].date, 'Mon, 04 Jan 2027 10:00:00 +0100');
  assert.equal(entries[0].maintainer, 'Fixture Maintainer <fixture@example.invalid>');
  assert.match(entries[4].changes, /New upstream version/);
});

test('the entries after the pin, up to the newest revision in the archive', () => {
  const entries = parseChangelog(fixture('changelog'));
  assert.deepEqual(entriesAfter(entries, PIN.version).map((e) => e.version), ['1.1.1w-0+deb11u10', '1.1.1w-0+deb11u9']);
  assert.deepEqual(entriesAfter(entries, PIN.version, '1.1.1w-0+deb11u9').map((e) => e.version), ['1.1.1w-0+deb11u9']);
  assert.deepEqual(entriesAfter(entries, '1.1.1w-0+deb11u10'), []);
});

test('madison rows: only the pinned suite and its pockets count; the pin is current', () => {
  const rows = parseMadison(fixture('madison.txt'));
  assert.equal(rows.length, 5);
  assert.deepEqual(rows[4], { package: 'openssl', version: '1.1.1w-0+deb11u8', suite: 'bullseye-security' });
  const comparison = comparePin(rows, PIN);
  assert.equal(comparison.status, Status.CURRENT);
  assert.deepEqual(comparison.suites, ['bullseye', 'bullseye-security']);
  assert.equal(comparison.newest.version, PIN.version, "bookworm's 3.0 is not bullseye's");
  assert.deepEqual(formatReport({ pin: PIN, comparison }), [
    'current: openssl 1.1.1w-0+deb11u8 (scripts/deps.json) is the newest revision in bullseye, bullseye-security',
  ]);
});

test('a newer revision in the security pocket: behind, with the CVEs of each entry after the pin', () => {
  const rows = parseMadison(
    `${fixture('madison.txt')}   openssl | 1.1.1w-0+deb11u10 | http://deb.debian.org/debian-security bullseye-security/main Sources\n`,
  );
  const comparison = comparePin(rows, PIN);
  assert.equal(comparison.status, Status.BEHIND);
  assert.equal(comparison.newest.version, '1.1.1w-0+deb11u10');
  const entries = entriesAfter(parseChangelog(fixture('changelog')), PIN.version, comparison.newest.version);
  const lines = formatReport({ pin: PIN, comparison, entries, debianTarball: { name: 'openssl_1.1.1w-0+deb11u10.debian.tar.xz', sha256: 'ab'.repeat(32) } });
  assert.equal(lines[0], 'behind: openssl 1.1.1w-0+deb11u8 is pinned; bullseye-security has 1.1.1w-0+deb11u10');
  assert.match(lines[1], /^ {2}1\.1\.1w-0\+deb11u10 \(bullseye-security, urgency high, Mon, 04 Jan 2027 .*\): CVE-2027-0001, CVE-2027-0002$/);
  assert.match(lines[2], /^ {2}1\.1\.1w-0\+deb11u9 .*: no CVE named$/);
  assert.equal(lines[3], '2 CVEs fixed after the pin: CVE-2027-0001, CVE-2027-0002');
  assert.equal(lines[4], `openssl_1.1.1w-0+deb11u10.debian.tar.xz sha256 ${'ab'.repeat(32)}`);
});

test('the 3.5 line: its pin against trixie and its pockets; a changelog that cannot be read still reports behind', () => {
  const pin35 = { sourcePackage: 'openssl', version: '3.5.7-1~deb13u2', codenames: ['trixie'] };
  const rows = parseMadison(
    [
      '   openssl | 1.1.1w-0+deb11u8 | http://deb.debian.org/debian-security bullseye-security/main Sources',
      '   openssl | 3.5.7-1~deb13u2 | http://deb.debian.org/debian-security trixie-security/main Sources',
      '   openssl | 3.5.9-1~deb13u1 | http://deb.debian.org/debian trixie/main Sources',
      '   openssl | 3.6.1-3 | http://deb.debian.org/debian forky/main Sources',
    ].join('\n'),
  );
  const comparison = comparePin(rows, pin35);
  assert.equal(comparison.status, Status.BEHIND);
  assert.equal(comparison.newest.version, '3.5.9-1~deb13u1', 'another codename (forky) is not the line');
  assert.deepEqual(comparison.suites, ['trixie', 'trixie-security']);
  const lines = formatReport({ pin: pin35, comparison, changelogError: 'a 404', manifestKeys: ['openssl35', 'openssl35_debian'] });
  assert.equal(lines[0], 'behind: openssl 3.5.7-1~deb13u2 is pinned; trixie has 3.5.9-1~deb13u1');
  assert.equal(lines[1], '  its changelog could not be read (a 404): which CVEs it fixes is not known');
  assert.match(lines[2], /^To move the pin: update openssl35 and openssl35_debian in scripts\/deps\.json/);
});

test('no source of the pinned suite in the archive: unknown (exit 2), not current', () => {
  const rows = parseMadison(fixture('madison.txt')).filter((r) => !r.suite.startsWith('bullseye'));
  assert.equal(comparePin(rows, PIN).status, Status.UNKNOWN);
  assert.equal(comparePin([], PIN).status, Status.UNKNOWN);
  assert.equal(Status.CURRENT, 0);
  assert.equal(Status.BEHIND, 1);
  assert.equal(Status.UNKNOWN, 2);
});
