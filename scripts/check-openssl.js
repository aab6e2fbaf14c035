#!/usr/bin/env node
'use strict';

// Usage: node scripts/check-openssl.js [--line 1.1.1|3.5] [--json] [--since VERSION]
//        (npm run check:openssl)
//
// For each OpenSSL line the package builds (1.1.1, the default build, and 3.5), asks Debian's
// archive, through the same private APT configuration as the build's source fetch, for the
// newest openssl source revision in the line's pinned suite and its pockets (bullseye and
// bullseye-security for 1.1.1w; trixie and its pockets for 3.5). When it is newer than the pin
// in scripts/deps.json, downloads that revision's source, reads debian/changelog and lists the
// revisions after the pin with the CVEs they name. Exit 0: every pin is current; 1: one is
// behind; 2: the archive could not be asked. --line checks one line only; --since VERSION
// (with --line, or for 1.1.1) compares with that revision instead of the pin. --json prints
// one object per line checked, one per output line.

const fs = require('node:fs');
const path = require('node:path');
const deps = require('./deps.json');
const { entriesAfter, parseChangelog } = require('./lib/debian-changelog');
const { resolveCacheDir } = require('./lib/cache-dir');
const { aptMessages, withPrivateApt } = require('./lib/debian-archive');
const { sha256File } = require('./lib/hashing');
const { log } = require('./lib/log');
const { Status, comparePin, formatReport, parseMadison } = require('./lib/openssl-updates');
const { DEFAULT_LINE, LINES } = require('./lib/openssl-line');
const { run } = require('./lib/run');

const TIMEOUT_MS = 10 * 60 * 1000;

// Reads debian/changelog of `version` from its .debian.tar.xz (one apt-get source request).
async function changelogOf(apt, sourcePackage, version, origTarball) {
  // apt-get source skips a file already there with the right checksum: the orig tarball the
  // build fetched (the same for every revision of the line) saves a 10 MB download.
  const orig = path.join(resolveCacheDir(), 'sources', origTarball);
  if (fs.existsSync(orig)) fs.copyFileSync(orig, path.join(apt.downloadDir, origTarball));
  const result = await run('apt-get', [...apt.optionArgs, 'source', '--download-only', '-q', `${sourcePackage}=${version}`], {
    cwd: apt.downloadDir,
    env: apt.env,
    allowFailure: true,
    timeoutMs: TIMEOUT_MS,
  });
  const name = `${sourcePackage}_${version.replace(/^\d+:/, '')}.debian.tar.xz`;
  const file = path.join(apt.downloadDir, name);
  if (!fs.existsSync(file)) {
    const why = aptMessages(result.stdout + result.stderr)[0] ?? `exit ${result.code}`;
    throw new Error(`could not download ${name}: ${why}`);
  }
  const tar = await run('tar', ['-xJf', file, '-C', apt.downloadDir, 'debian/changelog'], { allowFailure: true });
  if (tar.code !== 0) throw new Error(`${name} has no debian/changelog`);
  const text = fs.readFileSync(path.join(apt.downloadDir, 'debian', 'changelog'), 'utf8');
  return { text, debianTarball: { name, sha256: await sha256File(file) } };
}

// Checks one line; returns its status, having printed its report.
async function checkLine(line, { json, since }) {
  const keys = LINES[line];
  const pin = { ...deps[keys.openssl_debian].debian };
  if (since) pin.version = since;
  let report;
  try {
    const outcome = await withPrivateApt(pin.codenames, async (apt) => {
      const madison = await run('apt-cache', [...apt.optionArgs, 'madison', pin.sourcePackage], { env: apt.env, allowFailure: true });
      const comparison = comparePin(parseMadison(madison.stdout), pin);
      if (comparison.status !== Status.BEHIND) return { comparison };
      // Behind is the news; a changelog that cannot be read only leaves out which CVEs.
      let changelog;
      try {
        changelog = await changelogOf(apt, pin.sourcePackage, comparison.newest.version, deps[keys.openssl].tarball);
      } catch (error) {
        return { comparison, changelogError: error.message };
      }
      return { comparison, entries: entriesAfter(parseChangelog(changelog.text), pin.version, comparison.newest.version), debianTarball: changelog.debianTarball };
    });
    if (outcome.unavailable) throw new Error(outcome.unavailable);
    report = { pin, ...outcome.result };
    if (report.comparison.status === Status.UNKNOWN) {
      throw new Error(`the archive lists no ${pin.sourcePackage} source in ${pin.codenames.join(', ')} or their pockets`);
    }
  } catch (error) {
    const message = `OpenSSL ${line}: could not ask Debian's archive: ${error.message}`;
    if (json) process.stdout.write(`${JSON.stringify({ line, status: 'unknown', pinned: pin.version, error: message })}\n`);
    else log(message);
    return Status.UNKNOWN;
  }
  const { comparison } = report;
  if (json) {
    const status = comparison.status === Status.CURRENT ? 'current' : 'behind';
    const newer = (report.entries ?? []).map((e) => ({ version: e.version, distributions: e.distributions, urgency: e.urgency, date: e.date, cves: e.cves }));
    process.stdout.write(
      `${JSON.stringify({ line, status, pinned: pin.version, newest: comparison.newest, suites: comparison.suites, newer, debianTarball: report.debianTarball ?? null, changelogError: report.changelogError ?? null })}\n`,
    );
  } else {
    for (const text of formatReport({ ...report, manifestKeys: [keys.openssl, keys.openssl_debian] })) process.stdout.write(`OpenSSL ${line}: ${text}\n`);
  }
  return comparison.status;
}

async function main(argv) {
  const json = argv.includes('--json');
  const at = (flag) => {
    const i = argv.indexOf(flag);
    return i < 0 ? undefined : (argv[i + 1] ?? '');
  };
  const line = at('--line');
  const since = at('--since');
  if (line !== undefined && !LINES[line]) {
    log(`--line takes one of ${Object.keys(LINES).join(', ')}`);
    return Status.UNKNOWN;
  }
  if (since === '') {
    log('--since takes a Debian revision, e.g. 1.1.1w-0+deb11u5');
    return Status.UNKNOWN;
  }
  // A revision belongs to one line: --since without --line means the default line.
  const lines = line ? [line] : since ? [DEFAULT_LINE] : Object.keys(LINES);
  let worst = Status.CURRENT;
  for (const each of lines) worst = Math.max(worst, await checkLine(each, { json, since }));
  return worst;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

module.exports = { main };
