'use strict';

// Debian's security patches for the OpenSSL line being built (scripts/deps.json: "openssl_debian"
// for 1.1.1w, which upstream ended in September 2023 and Debian LTS keeps patched in
// bullseye-security; "openssl35_debian" for 3.5 from trixie). We apply the source patches of its
// debian/patches/series in order, except a reviewed list of packaging-only ones, and report the
// patch level and the CVEs they fix.
//
// The series must match the reviewed list in deps.json exactly: a newer Debian tarball with
// another patch is not applied unreviewed.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { DepsError } = require('./errors');
const { extractInto } = require('./extract');
const { log } = require('./log');
const { loadManifest, envName } = require('./manifest');
const { manifestKey } = require('./openssl-line');
const { findExecutable, run } = require('./run');

const PATCHES_NAME = 'openssl_debian';
// NODE_LIBRTMP_OPENSSL_DEBIAN=off builds the orig tarball as is (reported as unpatched).
const OFF_VAR_NAME = 'NODE_LIBRTMP_OPENSSL_DEBIAN';

/** The reviewed plan from deps.json: { revision, patchLevel, patches: [{name,cves,kind}], excluded }. */
function reviewedPlan(env = process.env) {
  const pinned = loadManifest()[manifestKey(PATCHES_NAME, env)];
  return {
    revision: pinned.debian.version,
    patchLevel: pinned.patchLevel,
    patches: pinned.patches,
    excluded: pinned.excluded,
  };
}

/**
 * Whether the Debian patches go onto this OpenSSL source, and if not, why (a sentence that
 * versions() and `librtmp info` repeat). They fit only the pinned orig tarball.
 */
function patchDecision(opensslSource, env = process.env) {
  const { dep } = opensslSource;
  const manifest = loadManifest();
  if (!manifest[manifestKey(PATCHES_NAME, env)] || dep.version !== manifest[manifestKey('openssl', env)].upstreamVersion) {
    return { apply: false, reason: `no Debian security patches: OpenSSL ${dep.version}` };
  }
  const off = env[OFF_VAR_NAME];
  if (off !== undefined && off !== '' && off !== 'on') {
    if (off !== 'off') throw new DepsError(`${OFF_VAR_NAME} must be "off" or "on", got "${off}"`);
    return { apply: false, reason: `no Debian security patches: ${OFF_VAR_NAME}=off` };
  }
  if (dep.overridden) {
    return {
      apply: false,
      reason: `no Debian security patches: OpenSSL ${dep.version} from ${envName('openssl', 'VERSION')}`,
    };
  }
  if (opensslSource.kind === 'dir') {
    return {
      apply: false,
      reason: `no Debian security patches: source folder from ${envName('openssl', 'DIR')}, used as is`,
    };
  }
  return { apply: true, reason: null };
}

function readSeries(debianDir) {
  const file = path.join(debianDir, 'patches', 'series');
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((line) => line.split(/\s+/)[0]);
}

/** The series minus the reviewed exclusions, checked against the reviewed list (same order). */
function checkSeries(series, plan, env = process.env) {
  const excluded = new Set(plan.excluded.map((e) => e.name));
  const toApply = series.filter((name) => !excluded.has(name));
  const reviewed = plan.patches.map((p) => p.name);
  const unreviewed = toApply.filter((name) => !reviewed.includes(name));
  const missing = reviewed.filter((name) => !toApply.includes(name));
  if (unreviewed.length || missing.length || toApply.join('\n') !== reviewed.join('\n')) {
    throw new DepsError(
      `debian/patches/series does not match the reviewed list in scripts/deps.json (${manifestKey(PATCHES_NAME, env)}):` +
        (unreviewed.length ? ` not reviewed: ${unreviewed.join(', ')};` : '') +
        (missing.length ? ` missing: ${missing.join(', ')};` : '') +
        (!unreviewed.length && !missing.length ? ' another order;' : '') +
        ' review the new revision (npm run check:openssl) and update the pin',
    );
  }
  return plan.patches;
}

// The debian/ folder: the user's (NODE_LIBRTMP_OPENSSL_DEBIAN_DIR, containing patches/series)
// or the verified tarball extracted into a temporary folder.
async function openDebianDir(patchesSource, workDir) {
  if (patchesSource.kind === 'dir') return patchesSource.path;
  await extractInto(patchesSource.path, workDir);
  return path.join(workDir, 'debian');
}

/**
 * Applies the reviewed Debian patches to the freshly extracted tree `topDir`, in series order,
 * with `patch -p1 --fuzz=0` as dpkg-source does (offsets are fine; fuzz or a reject is an error). Returns the list
 * applied: [{ name, cves, kind }].
 */
async function applyDebianPatches(topDir, patchesSource, env = process.env) {
  if (!findExecutable('patch')) throw new DepsError('patch is needed to apply Debian\'s OpenSSL patches');
  const plan = reviewedPlan(env);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-librtmp-debian-'));
  try {
    const debianDir = await openDebianDir(patchesSource, workDir);
    const patches = checkSeries(readSeries(debianDir), plan, env);
    for (const { name } of patches) {
      const file = path.join(debianDir, 'patches', name);
      const result = await run(
        'patch',
        ['-p1', '--batch', '--forward', '--fuzz=0', '--no-backup-if-mismatch', '-i', file],
        { cwd: topDir, allowFailure: true },
      );
      if (result.code !== 0) {
        throw new DepsError(`Debian patch ${name} does not apply to ${topDir}:\n${result.tail}`);
      }
    }
    log(`applied ${patches.length} Debian patches (${plan.revision}; ` +
        `${plan.excluded.length} packaging-only ones left out, see scripts/deps.json)`);
    return patches;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * Debian keeps the binary files of its test patches (which a text patch cannot carry) as
 * debian/binary-CVE-*.tar, and debian/rules unpacks them over the tree before configuring:
 * Debian's malformed CMS inputs for CVE-2026-28389 and CVE-2026-42766 and the PWRI input for
 * CVE-2026-9076. Only OpenSSL's tests read them, so the addon's library build leaves them out
 * and `npm run test:openssl` unpacks them into its own copy of the patched tree. Every entry
 * must be a plain file under test/. Returns [{ archive, files }].
 */
async function extractDebianTestData(topDir, patchesSource) {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-librtmp-debian-'));
  try {
    const debianDir = await openDebianDir(patchesSource, workDir);
    const archives = fs.readdirSync(debianDir).filter((name) => /^binary-.*\.tar$/.test(name)).sort();
    const unpacked = [];
    for (const archive of archives) {
      const file = path.join(debianDir, archive);
      const listing = await run('tar', ['-tvf', file]);
      const entries = listing.stdout.split('\n').filter(Boolean);
      const files = entries.map((line) => line.split(/\s+/).slice(5).join(' '));
      const bad = entries.filter((line, i) => line[0] !== '-' || !/^test\/[\w./-]+$/.test(files[i]) || files[i].includes('..'));
      if (bad.length) throw new DepsError(`debian/${archive} holds more than plain files under test/:\n${bad.join('\n')}`);
      await run('tar', ['-xf', file, '--no-same-owner', '-C', topDir]);
      unpacked.push({ archive, files });
    }
    return unpacked;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/** Every CVE id the applied patches name, sorted by year and number. */
function cveList(patches) {
  const ids = [...new Set(patches.flatMap((p) => p.cves))];
  const key = (id) => id.split('-').slice(1).map(Number);
  return ids.sort((a, b) => {
    const [ya, na] = key(a);
    const [yb, nb] = key(b);
    return ya - yb || na - nb;
  });
}

module.exports = { PATCHES_NAME, OFF_VAR_NAME, reviewedPlan, patchDecision, applyDebianPatches, extractDebianTestData, checkSeries, readSeries, cveList };
