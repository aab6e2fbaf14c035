'use strict';

// Static OpenSSL (libcrypto.a, libssl.a + headers) with the devcrypto engine, built once per
// source, target and configure options into <cache>/openssl-<version>-<target>-<hash>/.

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { buildDirAtomically, removeDir, tempSiblingOf } = require('./atomic-place');
const { REPO_ROOT } = require('./cache-dir');
const { DepsError } = require('./errors');
const { reviewedPlan, applyDebianPatches, cveList } = require('./debian-patches');
const { extractTarball, extractInto, findTopFolder } = require('./extract');
const { shortHash } = require('./hashing');
const { log, formatSeconds } = require('./log');
const { opensslLine } = require('./openssl-line');
const { readOpensslVersion } = require('./openssl-version');
const { findExecutable, run } = require('./run');
const { fingerprintTree } = require('./tree-fingerprint');

const BUNDLED_CRYPTODEV_DIR = path.join(REPO_ROOT, 'native', 'cryptodev');
// Our own OpenSSL patches, per line (native/openssl-patches/<line>/series, each file explains
// itself); 1.1.1 needs none.
const OWN_PATCHES_DIR = path.join(REPO_ROOT, 'native', 'openssl-patches');

// Variables that Configure or make would silently pick up from the caller (npm, cmake-js, a
// parent make's jobserver); the build must depend only on the options below.
const SCRUBBED_ENV = [
  'CC', 'CXX', 'CPP', 'AR', 'AS', 'LD', 'NM', 'RANLIB', 'RC', 'CROSS_COMPILE',
  'CFLAGS', 'CXXFLAGS', 'CPPFLAGS', 'LDFLAGS', 'LDLIBS', 'ASFLAGS', 'ARFLAGS',
  'MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES', 'OPENSSL_LOCAL_CONFIG_DIR',
];

function buildEnv(env) {
  const clean = { ...env, LC_ALL: 'C' };
  for (const name of SCRUBBED_ENV) delete clean[name];
  return clean;
}

/**
 * Include folders providing <crypto/cryptodev.h>: the user's (a vendor SDK's header wins) and
 * then the ABI header in native/cryptodev.
 */
function cryptodevIncludeDirs(env = process.env) {
  const userDirs = (env.CRYPTODEV_INCLUDE_DIR || '')
    .split(path.delimiter)
    .filter(Boolean)
    .map((dir) => path.resolve(dir));
  for (const dir of userDirs) {
    if (!fs.existsSync(path.join(dir, 'crypto', 'cryptodev.h'))) {
      log(`warning: CRYPTODEV_INCLUDE_DIR entry ${dir} has no crypto/cryptodev.h`);
    }
  }
  return [...userDirs, BUNDLED_CRYPTODEV_DIR];
}

// Configure decodes %xx in flags; a literal % has to be written as %25.
function configureFlag(flag) {
  return flag.replace(/%/g, '%25');
}

/** Arguments for OpenSSL's Configure (without the Configure path itself). */
function configureArgs(target, includeDirs) {
  return [
    target.configureTarget,
    'no-shared',
    'no-tests',
    // AF_ALG needs newer kernel headers than some camera SDKs have; devcrypto is our engine.
    'no-afalgeng',
    'enable-devcryptoeng',
    '-fPIC',
    // These only become compiled-in defaults (nothing is installed there): OPENSSLDIR is where
    // X509_get_default_cert_dir()/file() and openssl.cnf are looked up at run time, so it has to
    // be the target system's folder, /etc/ssl on Debian-like and most embedded Linux systems,
    // never a path of this build machine. --prefix only sets ENGINESDIR for dynamic engines.
    '--prefix=/usr/local',
    '--openssldir=/etc/ssl',
    ...includeDirs.map((dir) => `-I${dir}`),
    ...target.cflags,
    ...target.extraCflags.map(configureFlag),
    ...(target.crossPrefix ? [`--cross-compile-prefix=${target.crossPrefix}`] : []),
  ];
}

// The cache key names header folders by their cryptodev.h contents rather than their paths, so
// that the same package installed in another project reuses the build.
function keyedArgs(args, includeDirs) {
  const byFlag = new Map(includeDirs.map((dir) => [`-I${dir}`, dir]));
  return args.map((arg) => {
    const dir = byFlag.get(arg);
    if (!dir) return arg;
    const header = path.join(dir, 'crypto', 'cryptodev.h');
    return `-I<cryptodev.h ${fs.existsSync(header) ? sha256Hex(fs.readFileSync(header)) : 'none'}>`;
  });
}

function sha256Hex(bytes) {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

function jobCount() {
  return typeof os.availableParallelism === 'function'
    ? os.availableParallelism()
    : os.cpus().length || 1;
}

function checkTools(target) {
  for (const tool of ['perl', 'make']) {
    if (!findExecutable(tool)) throw new DepsError(`${tool} is needed to build OpenSSL`);
  }
  const compiler = `${target.crossPrefix}gcc`;
  if (!findExecutable(compiler)) {
    const hint = target.crossPrefix
      ? ` (on Debian: apt-get install gcc-${target.triple}; or set NODE_LIBRTMP_CROSS_PREFIX)`
      : '';
    throw new DepsError(`compiler ${compiler} not found for target ${target.name}${hint}`);
  }
}

/** Our own patches for the line: [{ name, file }] in series order. */
function ownPatches(line) {
  const dir = path.join(OWN_PATCHES_DIR, line);
  let series;
  try {
    series = fs.readFileSync(path.join(dir, 'series'), 'utf8');
  } catch {
    return [];
  }
  return series
    .split('\n')
    .map((entry) => entry.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((name) => ({ name, file: path.join(dir, name) }));
}

async function applyOwnPatches(topDir, own) {
  for (const { name, file } of own) {
    const result = await run(
      'patch',
      ['-p1', '--batch', '--forward', '--fuzz=0', '--no-backup-if-mismatch', '-i', file],
      { cwd: topDir, allowFailure: true },
    );
    if (result.code !== 0) throw new DepsError(`patch ${name} does not apply to ${topDir}:\n${result.tail}`);
  }
  if (own.length) log(`applied ${own.length} patch(es) of ours (native/openssl-patches)`);
}

// The source tree as a folder: the user's folder, or the tarball extracted into the cache, with
// Debian's security patches applied when `patches.source` is given, then our own for the line.
async function openSourceTree(source, cacheDir, patches, env = process.env) {
  const { dep } = source;
  if (source.kind === 'dir') {
    if (fs.existsSync(path.join(source.path, 'configdata.pm'))) {
      throw new DepsError(
        `${source.path} has been configured in place (configdata.pm exists); OpenSSL is built ` +
          'outside the source folder, which Configure refuses then: run `make distclean` there',
      );
    }
    return { topDir: source.path, sourceId: `dir:${fingerprintTree(source.path)}`, applied: [] };
  }
  const own = ownPatches(opensslLine(env));
  if (!patches.source && own.length === 0) {
    const extractDir = path.join(cacheDir, 'src', `openssl-${dep.version}-${dep.sha256.slice(0, 12)}`);
    const started = Date.now();
    const reused = await extractTarball(source.path, extractDir, dep.sha256);
    if (!reused) log(`extracted ${path.basename(source.path)} in ${formatSeconds(started)}`);
    return { topDir: findTopFolder(extractDir, dep.topFolder), sourceId: dep.sha256, applied: [] };
  }
  // The patched tree has its own folder and key: the orig's sha256, the Debian tarball's (or the
  // user's debian folder's fingerprint), the reviewed list of what is applied and our own patches.
  const patchesId = !patches.source
    ? 'no-debian'
    : patches.source.kind === 'dir'
      ? `dir:${fingerprintTree(patches.source.path)}`
      : patches.source.dep.sha256;
  const plan = reviewedPlan(env);
  const ownIds = own.map((p) => `${p.name}:${shortHash([fs.readFileSync(p.file, 'utf8')])}`);
  const sourceId = shortHash([
    dep.sha256,
    patchesId,
    ...(patches.source ? plan.patches.map((p) => p.name) : []),
    ...ownIds,
  ]);
  const level = patches.source ? `+${plan.patchLevel}` : '';
  const extractDir = path.join(cacheDir, 'src', `openssl-${dep.version}${level}-${sourceId}`);
  let applied = null;
  const started = Date.now();
  const reused = await buildDirAtomically(extractDir, sourceId, async (workDir) => {
    await extractInto(source.path, workDir);
    const topDir = findTopFolder(workDir, dep.topFolder);
    applied = patches.source ? await applyDebianPatches(topDir, patches.source, env) : [];
    await applyOwnPatches(topDir, own);
    fs.writeFileSync(path.join(workDir, 'debian-patches.json'), `${JSON.stringify(applied, null, 2)}\n`);
  });
  if (!reused) log(`extracted and patched ${path.basename(source.path)} in ${formatSeconds(started)}`);
  if (!applied) applied = JSON.parse(fs.readFileSync(path.join(extractDir, 'debian-patches.json'), 'utf8'));
  return { topDir: findTopFolder(extractDir, dep.topFolder), sourceId, applied };
}

function copyFiles(fromDir, toDir, filter) {
  fs.mkdirSync(toDir, { recursive: true });
  for (const name of fs.readdirSync(fromDir).filter(filter)) {
    fs.copyFileSync(path.join(fromDir, name), path.join(toDir, name));
  }
}

async function configureAndMake(topDir, args, target, prefixWork, buildDirName) {
  const buildDir = tempSiblingOf(buildDirName);
  fs.mkdirSync(buildDir, { recursive: true });
  const logFile = path.join(buildDir, 'build.log');
  const env = buildEnv(process.env);
  try {
    log(`configuring OpenSSL: Configure ${args.join(' ')}`);
    await run('perl', [path.join(topDir, 'Configure'), ...args], { cwd: buildDir, env, logFile });
    const jobs = jobCount();
    const started = Date.now();
    log(`building OpenSSL for ${target.name} with ${jobs} jobs (1.1.1: about 1.5 min on 2 cores; 3.5: several times that)`);
    await run('make', [`-j${jobs}`, 'build_libs'], { cwd: buildDir, env, logFile });
    log(`OpenSSL built in ${formatSeconds(started)}`);

    // Public headers come from the source tree, the generated ones (opensslconf.h) from the
    // build tree, which Configure fills for this target.
    const includeOut = path.join(prefixWork, 'include', 'openssl');
    copyFiles(path.join(topDir, 'include', 'openssl'), includeOut, (n) => n.endsWith('.h'));
    copyFiles(path.join(buildDir, 'include', 'openssl'), includeOut, (n) => n.endsWith('.h'));
    const isLibrary = (name) => name === 'libcrypto.a' || name === 'libssl.a';
    copyFiles(buildDir, path.join(prefixWork, 'lib'), isLibrary);
    for (const lib of ['libcrypto.a', 'libssl.a']) {
      if (!fs.existsSync(path.join(prefixWork, 'lib', lib))) {
        throw new DepsError(`OpenSSL build produced no ${lib} (log: ${logFile})`);
      }
    }
    removeDir(buildDir);
  } catch (error) {
    // Keep the failed build folder for its log; it is under a temporary name.
    log(`OpenSSL build folder kept for inspection: ${buildDir}`);
    throw error;
  }
}

/**
 * `source` is a fetch-source result for openssl, `target` a resolveTarget() result, `patches`
 * { source: fetch-source result for openssl_debian | null, reason: why none | null }. Returns
 * { prefix, includeDir, libDir, version, versionNumber, reused, configureArgs, patchLevel,
 *   patches: [{ name, cves, kind }], cves, patchNote }.
 */
async function buildOpenssl(source, target, { cacheDir, env = process.env, patches = { source: null, reason: null } }) {
  const { dep } = source;
  const includeDirs = cryptodevIncludeDirs(env);
  const args = configureArgs(target, includeDirs);
  const { topDir, sourceId, applied } = await openSourceTree(source, cacheDir, patches, env);

  const sourceVersion = readOpensslVersion(path.join(topDir, 'include'));
  if (sourceVersion.version !== dep.version) {
    throw new DepsError(
      `${topDir} is OpenSSL ${sourceVersion.version}, expected ${dep.version}` +
        (dep.overridden
          ? ' (from NODE_LIBRTMP_OPENSSL_VERSION)'
          : ' (set NODE_LIBRTMP_OPENSSL_VERSION and _SHA256 for another version)'),
    );
  }

  const key = shortHash(['openssl', sourceId, ...keyedArgs(args, includeDirs)]);
  const patchLevel = applied.length ? `${dep.version}+${reviewedPlan(env).patchLevel}` : dep.version;
  const prefix = path.join(cacheDir, `openssl-${patchLevel}-${target.name}-${key}`);
  const reused = await buildDirAtomically(
    prefix,
    key,
    async (prefixWork) => {
      checkTools(target);
      const buildDirName = path.join(cacheDir, 'build', path.basename(prefix));
      await configureAndMake(topDir, args, target, prefixWork, buildDirName);
    },
    { source: source.path, target: target.name, configureArgs: args },
  );
  if (reused) log(`OpenSSL: reusing ${prefix}`);

  const includeDir = path.join(prefix, 'include');
  const built = readOpensslVersion(includeDir);
  if (built.version !== dep.version) {
    throw new DepsError(`${includeDir} holds OpenSSL ${built.version}, expected ${dep.version}`);
  }
  return {
    prefix,
    includeDir,
    libDir: path.join(prefix, 'lib'),
    version: built.version,
    versionNumber: built.number,
    reused,
    configureArgs: args,
    cryptodevIncludeDirs: includeDirs,
    sourceDir: topDir,
    patchLevel,
    patches: applied,
    cves: cveList(applied),
    patchNote: applied.length ? null : patches.reason || 'no Debian security patches',
  };
}

module.exports = { buildOpenssl, configureArgs, cryptodevIncludeDirs, openSourceTree, buildEnv, jobCount };
