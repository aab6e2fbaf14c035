'use strict';

// What `npm run check:openssl` decides: from the archive's list of openssl sources
// (`apt-cache madison`), the newest revision in the pinned suite and its pockets, whether the
// pin is behind it, and a report naming the CVEs the newer changelog entries name.
const { compareDebianVersions } = require('./debian-version');

const Status = { CURRENT: 0, BEHIND: 1, UNKNOWN: 2 };

/** `apt-cache madison` lines of source packages: { package, version, suite } each. */
function parseMadison(text) {
  const rows = [];
  for (const line of text.split('\n')) {
    const fields = line.split('|').map((f) => f.trim());
    if (fields.length < 3 || !/ Sources$/.test(fields[2])) continue;
    // "http://deb.debian.org/debian-security bullseye-security/main Sources"
    const where = fields[2].split(/\s+/);
    const suite = (where[1] ?? '').split('/')[0];
    rows.push({ package: fields[0], version: fields[1], suite });
  }
  return rows;
}

/** A codename's suite and its pockets: bullseye, bullseye-security, bullseye-updates… */
function inSuites(suite, codenames) {
  return codenames.some((c) => suite === c || suite.startsWith(`${c}-`));
}

/**
 * The pin against the archive: `{ status, newest, suites, newer }` where `newer` lists the
 * revisions after the pin, newest first, each with its suite.
 */
function comparePin(rows, pin) {
  const candidates = rows.filter((r) => r.package === pin.sourcePackage && inSuites(r.suite, pin.codenames));
  const suites = [...new Set(candidates.map((r) => r.suite))].sort();
  if (candidates.length === 0) return { status: Status.UNKNOWN, newest: null, suites, newer: [] };
  const sorted = [...candidates].sort((a, b) => compareDebianVersions(b.version, a.version));
  const newer = sorted.filter((r) => compareDebianVersions(r.version, pin.version) > 0);
  return {
    status: newer.length > 0 ? Status.BEHIND : Status.CURRENT,
    newest: sorted[0],
    suites,
    newer,
  };
}

/**
 * The report's lines; `entries` are the changelog entries after the pin (debian-changelog.js),
 * `manifestKeys` the scripts/deps.json entries of the line.
 */
function formatReport({ pin, comparison, entries = [], debianTarball = null, changelogError = null, manifestKeys = ['openssl', 'openssl_debian'] }) {
  const lines = [];
  const where = comparison.suites.join(', ') || pin.codenames.join(', ');
  if (comparison.status === Status.CURRENT) {
    lines.push(
      `current: ${pin.sourcePackage} ${pin.version} (scripts/deps.json) is the newest revision in ${where}` +
        (comparison.newest.version !== pin.version ? ` (the archive has ${comparison.newest.version})` : ''),
    );
    return lines;
  }
  const { newest } = comparison;
  lines.push(`behind: ${pin.sourcePackage} ${pin.version} is pinned; ${newest.suite} has ${newest.version}`);
  for (const entry of entries) {
    const cves = entry.cves.length > 0 ? entry.cves.join(', ') : 'no CVE named';
    lines.push(`  ${entry.version} (${entry.distributions.join(' ')}, urgency ${entry.urgency ?? '?'}, ${entry.date ?? 'undated'}): ${cves}`);
  }
  const all = [...new Set(entries.flatMap((e) => e.cves))];
  if (changelogError) lines.push(`  its changelog could not be read (${changelogError}): which CVEs it fixes is not known`);
  else lines.push(`${all.length} CVE${all.length === 1 ? '' : 's'} fixed after the pin${all.length ? `: ${all.join(', ')}` : ''}`);
  if (debianTarball) lines.push(`${debianTarball.name} sha256 ${debianTarball.sha256}`);
  lines.push(
    `To move the pin: update ${manifestKeys.join(' and ')} in scripts/deps.json (version, sha256, patchLevel,` +
      ' the reviewed patch list) — see docs/BUILDING.md, "Keeping OpenSSL current".',
  );
  return lines;
}

module.exports = { Status, parseMadison, inSuites, comparePin, formatReport };
