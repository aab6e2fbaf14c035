#!/usr/bin/env node
'use strict';

// Usage: node scripts/openssl-tests.js [TESTS…]   (npm run test:openssl; in .ci/run)
//
// Two checks of the addon's patched OpenSSL (Debian's 1.1.1w security patches, scripts/deps.json):
//
// 1. OpenSSL's own regression tests for what the patches touch or add, built from the same
//    patched tree and Configure line as the addon's static OpenSSL (only `no-tests` dropped, so
//    the test programs are built), plus the binary test data Debian ships beside its patches
//    (debian/binary-CVE-*.tar, unpacked as debian/rules does), in a build folder of its own in
//    the cache. A failing or skipped recipe fails this script.
// 2. The patch check: a small CMS decryptor (test/fixtures/openssl/cms-decrypt.c) linked once
//    against the addon's patched libcrypto.a and once against unpatched 1.1.1w, fed Debian's
//    malformed inputs for CVE-2026-28389, CVE-2026-28390 and CVE-2026-42766. The patched build
//    must reject each with an OpenSSL error and the unpatched one must crash on each; a check
//    that cannot tell the two apart fails.

const fs = require('node:fs');
const path = require('node:path');
const { buildDirAtomically } = require('./lib/atomic-place');
const { buildOpenssl, configureArgs, cryptodevIncludeDirs, openSourceTree, buildEnv, jobCount } =
  require('./lib/build-openssl');
const { REPO_ROOT, resolveCacheDir } = require('./lib/cache-dir');
const { PATCHES_NAME, patchDecision, extractDebianTestData } = require('./lib/debian-patches');
const { DepsError } = require('./lib/errors');
const { fetchSources } = require('./lib/fetch-source');
const { shortHash } = require('./lib/hashing');
const { log, formatSeconds, reportError } = require('./lib/log');
const { resolveDependency } = require('./lib/manifest');
const { findExecutable, run } = require('./lib/run');
const { hostTargetName, resolveTarget } = require('./lib/targets');

// OpenSSL's test recipes (test/recipes/NN-<name>.t) covering the patched code, and why.
const RECIPES = {
  test_internal_asn1: 'ASN1_mbstring_ncopy hardening (CVE-2025-69419, CVE-2026-7383): asn1_internal_test.c',
  test_internal_ec: 'EC GF(2^m) out-of-bounds (CVE-2024-9143): ec_internal_test.c',
  test_dh: 'excessive DH P/Q sizes (CVE-2023-5678)',
  test_pkcs7: 'PKCS7 type checks (CVE-2026-22796)',
  test_pkcs12: 'NULL PKCS12 fields and friendly names (CVE-2024-0727, CVE-2025-69419, CVE-2025-69421, CVE-2026-22795): bad[123].p12',
  test_verify: 'delta CRL without a CRL number (CVE-2026-28388), DANE (CVE-2026-28387)',
  test_x509: 'ASN1_STRING_set length (CVE-2026-34180), X509 printing through UTF8_putc',
  test_sslapi: 'SSL_free_buffers (CVE-2024-4741), TLS 1.3 session cache growth (CVE-2024-2511), SSL_select_next_proto (CVE-2024-5535): sslapitest.c',
  test_ssl_new: 'NPN/ALPN handshakes (CVE-2024-5535): 08-npn.conf, 09-alpn.conf',
  test_cms: 'CMS KARI/KTRI/PWRI NULL dereferences (CVE-2025-9230, CVE-2026-28389, CVE-2026-28390, CVE-2026-42766) and the PKCS7_verify use-after-free (CVE-2026-45447): Debian\'s *-malformed.der and missing-kdf.der',
  test_cmsapi: 'CMS encrypt/decrypt API around the kek_unwrap_key fix (CVE-2026-9076): cmsapitest.c',
  test_evp: 'OCB trailing bytes (CVE-2025-69418) and the EVP ciphers the engine path uses',
  test_bio_enc: 'BIO filters (CVE-2025-68160 is BIO_f_linebuffer)',
};

// Recipes that touch patched code but cannot run on the addon's configuration (docs/BUILDING.md).
const NOT_RUN = {
  test_npn:
    'OpenSSL skips it on our build: its TLSProxy needs the dynamic engine feature, which a ' +
    'no-shared (static) build lacks; CVE-2024-5535\'s NPN cases run in test_ssl_new (08-npn.conf) and ' +
    'test_sslapi (SSL_select_next_proto)',
};
// Inside test_cmsapi, Debian's own backport comments out test_pwri_kek_unwrap_short_encrypted_key
// (it would need two further upstream commits); the patch check below covers the PWRI path instead.

// The patch check's cases: Debian's test inputs (paths in the patched tree with its test data).
const PATCH_CHECKS = [
  { cve: 'CVE-2026-28389', what: 'DH KARI without shared info', input: 'test/recipes/80-test_cms_data/dh-malformed.der',
    args: ['--recip', 'test/recipes/80-test_cms_data/dh-cert.pem', 'test/recipes/80-test_cms_data/dh-key.pem'] },
  { cve: 'CVE-2026-28389', what: 'ECDH KARI without shared info', input: 'test/recipes/80-test_cms_data/ecdh-malformed.der',
    args: ['--recip', 'test/recipes/80-test_cms_data/ecdh-cert.pem', 'test/recipes/80-test_cms_data/ecdh-key.pem'] },
  { cve: 'CVE-2026-28390', what: 'RSA-OAEP KTRI without parameters', input: 'test/recipes/80-test_cms_data/rsa-malformed.der',
    args: ['--recip', 'test/smime-certs/smrsa3.pem', 'test/smime-certs/smrsa3-key.pem'] },
  { cve: 'CVE-2026-42766', what: 'PWRI without keyDerivationAlgorithm', input: 'test/cms-msg/missing-kdf.der',
    args: ['--password', 'secret'] },
];

const REPRODUCER = path.join(__dirname, '..', 'test', 'fixtures', 'openssl', 'cms-decrypt.c');
// Bumped when what goes into the test build's folder changes (v3: a tree of its own with Debian's
// test data; v4: the cryptodev headers copied into that tree, so no path outside the cache).
const TEST_BUILD_LAYOUT = 'v4';
const MAKE_TIMEOUT_MS = 40 * 60 * 1000;
const TEST_TIMEOUT_MS = 20 * 60 * 1000;

async function main(argv) {
  const started = Date.now();
  const tests = argv.length ? argv : Object.keys(RECIPES);
  for (const name of tests) {
    if (NOT_RUN[name]) throw new DepsError(`${name} is not run on this build: ${NOT_RUN[name]}`);
    if (!RECIPES[name]) throw new DepsError(`unknown test recipe ${name} (known: ${Object.keys(RECIPES).join(' ')})`);
  }
  const cacheDir = resolveCacheDir();
  const target = resolveTarget(hostTargetName());
  const decision = patchDecision({ dep: resolveDependency('openssl', process.env), kind: process.env.NODE_LIBRTMP_OPENSSL_DIR ? 'dir' : 'tarball' });
  if (!decision.apply) throw new DepsError(`OpenSSL tests are for the patched build; ${decision.reason}`);
  const sources = await fetchSources(['openssl', PATCHES_NAME], { cacheDir });
  const patches = { source: sources.get(PATCHES_NAME), reason: null };
  // The addon's build, so both are made from the one patched tree (reused from the cache).
  const built = await buildOpenssl(sources.get('openssl'), target, { cacheDir, patches });
  const { topDir } = await openSourceTree(sources.get('openssl'), cacheDir, patches);
  // The addon's build folder name carries the key of its tree and Configure line.
  const key = shortHash(['openssl-tests', TEST_BUILD_LAYOUT, path.basename(built.prefix)]);
  const testDir = path.join(cacheDir, `openssl-tests-${built.patchLevel}-${target.name}-${key}`);
  const env = buildEnv(process.env);
  const jobs = jobCount();
  // A tree of its own with Debian's test data: the addon's shared patched tree stays as the
  // library build uses it. It is placed first, at its final path, since OpenSSL's Makefile
  // records absolute source paths.
  const treeDir = `${testDir}-source`;
  const headerDirs = cryptodevIncludeDirs();
  await buildDirAtomically(treeDir, key, async (work) => {
    await run('cp', ['-a', topDir, work]);
    copyHeaders(headerDirs, work);
    for (const { archive, files } of await extractDebianTestData(path.join(work, path.basename(topDir)), patches.source)) {
      log(`Debian test data from debian/${archive}: ${files.join(', ')}`);
    }
  });
  const tree = path.join(treeDir, path.basename(topDir));
  // The test build lives on in the cache, and its Makefile records the path of every header it
  // was compiled with. A header of this checkout would tie it to one clone: a later clone at
  // another path (a CI machine that kept the cache) found a Makefile wanting a header that no
  // longer existed. The headers are copied into the tree instead (the key names their contents).
  const args = configureArgs(target, headerDirs.map((_, i) => path.join(treeDir, cryptodevCopyName(i))))
    .filter((arg) => arg !== 'no-tests');
  const reused = await buildDirAtomically(testDir, key, async (work) => {
    const logFile = path.join(work, 'build.log');
    log(`configuring OpenSSL with its tests: Configure ${args.join(' ')}`);
    await run('perl', [path.join(tree, 'Configure'), ...args], { cwd: work, env, logFile });
    const makeStarted = Date.now();
    log(`building OpenSSL's libraries, programs and test programs with ${jobs} jobs`);
    await run('make', [`-j${jobs}`], { cwd: work, env, logFile, timeoutMs: MAKE_TIMEOUT_MS });
    log(`built in ${formatSeconds(makeStarted)}`);
  });
  if (reused) log(`reusing the test build ${testDir}`);
  assertNoCheckoutPaths(testDir);

  await runRecipes(testDir, tests, env, jobs);
  await patchCheck(sources.get('openssl'), target, cacheDir, built, tree, env);
  log(`OpenSSL ${built.patchLevel}: ${tests.length} test recipes and ${PATCH_CHECKS.length} patch checks passed (total ${formatSeconds(started)})`);
}

// The cached test build must outlive this checkout (see copyHeaders).
function assertNoCheckoutPaths(buildDir) {
  const makefile = fs.readFileSync(path.join(buildDir, 'Makefile'), 'utf8');
  if (makefile.includes(`${REPO_ROOT}${path.sep}`)) {
    throw new DepsError(`${buildDir}/Makefile names files in the checkout ${REPO_ROOT}; the cached build would break when it moves`);
  }
}

function cryptodevCopyName(index) {
  return `cryptodev-include-${index}`;
}

// Each folder's <crypto/cryptodev.h>, copied in folder order (the first found wins, as with -I).
function copyHeaders(headerDirs, work) {
  headerDirs.forEach((dir, i) => {
    const header = path.join(dir, 'crypto', 'cryptodev.h');
    const copy = path.join(work, cryptodevCopyName(i), 'crypto');
    fs.mkdirSync(copy, { recursive: true });
    if (fs.existsSync(header)) fs.copyFileSync(header, path.join(copy, 'cryptodev.h'));
  });
}

async function runRecipes(buildDir, tests, env, jobs) {
  for (const name of tests) log(`  ${name}: ${RECIPES[name]}`);
  for (const [name, reason] of Object.entries(NOT_RUN)) log(`  not run: ${name}: ${reason}`);
  const started = Date.now();
  const result = await run('make', ['test', `TESTS=${tests.join(' ')}`, `HARNESS_JOBS=${jobs}`], {
    cwd: buildDir,
    env: { ...env, HARNESS_VERBOSE: '0' },
    allowFailure: true,
    timeoutMs: TEST_TIMEOUT_MS,
  });
  const output = result.stdout + result.stderr;
  const logFile = path.join(buildDir, 'last-test-run.log');
  fs.writeFileSync(logFile, output);
  const summary = result.stdout.split('\n').filter((line) => /^(\.\.\/)*.*test\/recipes|^All tests|^Files=|^Result|\bok$|FAIL|not ok|skipped/i.test(line));
  process.stdout.write(`${summary.join('\n')}\n`);
  if (result.code !== 0 || result.signal) {
    throw new DepsError(`OpenSSL's tests failed (${result.signal || `exit code ${result.code}`}); log: ${logFile}\n${result.tail}`);
  }
  // A recipe that skips itself proves nothing: each one listed must have run.
  const skipped = summary.filter((line) => /\bskipped\b/i.test(line));
  if (skipped.length) throw new DepsError(`OpenSSL skipped recipes that were meant to run:\n${skipped.join('\n')}`);
  log(`${tests.length} OpenSSL test recipes passed in ${formatSeconds(started)}`);
}

// Links the reproducer against one build's static libcrypto.
async function linkReproducer(out, opensslBuild, env) {
  const cc = env.CC || (findExecutable('cc') ? 'cc' : 'gcc');
  await run(cc, ['-O1', '-o', out, REPRODUCER, `-I${opensslBuild.includeDir}`,
    path.join(opensslBuild.libDir, 'libcrypto.a'), '-lpthread', '-ldl']);
}

async function patchCheck(source, target, cacheDir, patched, tree, env) {
  const started = Date.now();
  // Unpatched 1.1.1w with the same Configure line (its own cache folder; built once).
  const unpatched = await buildOpenssl(source, target, {
    cacheDir,
    patches: { source: null, reason: 'the patch check\'s unpatched reference' },
  });
  if (unpatched.patches.length) throw new DepsError('the patch check\'s reference build is patched');
  const workDir = fs.mkdtempSync(path.join(cacheDir, 'patch-check-'));
  try {
    const builds = [
      { label: patched.patchLevel, build: patched, exe: path.join(workDir, 'cms-decrypt-patched') },
      { label: `${unpatched.patchLevel} unpatched`, build: unpatched, exe: path.join(workDir, 'cms-decrypt-unpatched') },
    ];
    for (const b of builds) await linkReproducer(b.exe, b.build, env);
    const failures = [];
    for (const check of PATCH_CHECKS) {
      const outcome = [];
      for (const b of builds) {
        const args = [path.join(tree, check.input), check.args[0], ...check.args.slice(1).map((f) => (f.startsWith('test/') ? path.join(tree, f) : f))];
        const result = await run(b.exe, args, { allowFailure: true, timeoutMs: 60_000 });
        outcome.push(result.signal ? `crashed (${result.signal})` : result.code === 1 ? 'rejected' : `exit ${result.code}: ${result.stdout.trim()}`);
      }
      const [onPatched, onUnpatched] = outcome;
      log(`  patch check ${check.cve} (${check.what}): ${builds[0].label} ${onPatched}; ${builds[1].label} ${onUnpatched}`);
      if (onPatched !== 'rejected') failures.push(`${check.cve} ${check.what}: the patched build ${onPatched}`);
      if (!onUnpatched.startsWith('crashed')) failures.push(`${check.cve} ${check.what}: the unpatched build ${onUnpatched} (the check cannot tell a missing patch)`);
    }
    if (failures.length) throw new DepsError(`patch check failed:\n${failures.join('\n')}`);
    log(`patch check: ${PATCH_CHECKS.length} malformed CMS inputs rejected by ${patched.patchLevel}, each crashing unpatched ${unpatched.version} (${formatSeconds(started)})`);
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).catch((error) => {
  reportError(error);
  process.exitCode = 1;
});
