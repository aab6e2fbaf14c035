'use strict';

// An old-glibc sysroot for building prebuilds: Debian bullseye's (glibc 2.31) libc6, libc6-dev,
// linux-libc-dev and zlib (libz.a + zlib.h) for the target's architecture, downloaded with
// `apt-get download` through a private APT configuration and unpacked with `dpkg -x` into
// <cache>/sysroot-bullseye-<arch>-<hash>/. Linking against it keeps the addon's glibc symbol
// versions at or below what bullseye offers, whatever glibc the build machine runs.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { buildDirAtomically } = require('./atomic-place');
const { guessHostCodename, readConfiguredEntries, swapCodename } = require('./apt-sources');
const { privateAptOptions } = require('./debian-archive');
const { DepsError } = require('./errors');
const { shortHash } = require('./hashing');
const { log, formatSeconds } = require('./log');
const { findExecutable, run } = require('./run');

const SYSROOT_CODENAME = 'bullseye';
const PACKAGES = ['libc6', 'libc6-dev', 'linux-libc-dev', 'zlib1g', 'zlib1g-dev'];
const DEBIAN_ARCH = { 'linux-x64': 'amd64', 'linux-arm64': 'arm64', 'linux-arm': 'armhf' };
const TIMEOUT_MS = 10 * 60 * 1000;

// `deb` lines for bullseye's release suite, built from the machine's own entries. Only the
// point release: -security and -updates add nothing the headers and symbol versions depend on,
// and the release suite's files stay put.
function bullseyeSourcesList(entries, hostCodename, debArch) {
  const lines = new Set();
  for (const entry of entries) {
    if (entry.type !== 'deb' || entry.uri.startsWith('cdrom:')) continue;
    const suite = swapCodename(entry.suite, hostCodename, SYSROOT_CODENAME);
    if (suite !== SYSROOT_CODENAME) continue;
    const options = [`arch=${debArch}`];
    if (entry.signedBy && entry.signedBy.paths) options.push(`signed-by=${entry.signedBy.paths.join(',')}`);
    lines.add(`deb [${options.join(' ')}] ${[entry.uri, suite, ...entry.components].join(' ')}`);
  }
  return [...lines].join('\n');
}

function privateApt(workDir, sourcesText, debArch) {
  for (const dir of ['state/lists/partial', 'cache/archives/partial', 'debs']) {
    fs.mkdirSync(path.join(workDir, dir), { recursive: true });
  }
  fs.writeFileSync(path.join(workDir, 'sources.list'), `${sourcesText}\n`);
  // No installed packages as far as this APT knows, and only the target's architecture.
  fs.writeFileSync(path.join(workDir, 'status'), '');
  const options = {
    ...privateAptOptions(workDir),
    'Dir::State::status': path.join(workDir, 'status'),
    'APT::Get::Only-Source': 'false',
    'APT::Architecture': debArch,
    'APT::Architectures': debArch,
  };
  const configFile = path.join(workDir, 'apt.conf');
  fs.writeFileSync(
    configFile,
    `${Object.entries(options)
      .map(([key, value]) => `${key} "${value}";`)
      .join('\n')}\n`,
  );
  const optionArgs = Object.entries(options).flatMap(([key, value]) => ['-o', `${key}=${value}`]);
  return { optionArgs, env: { ...process.env, APT_CONFIG: configFile, LC_ALL: 'C' } };
}

// dpkg -x keeps absolute symlinks (libm.so -> /lib/<triple>/libm.so.6), which would point into
// the build machine; rewrite them relative to the sysroot.
function relativizeSymlinks(root, dir = root) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) {
      const target = fs.readlinkSync(full);
      if (path.isAbsolute(target)) {
        fs.unlinkSync(full);
        fs.symlinkSync(path.relative(path.dirname(full), path.join(root, target)), full);
      }
    } else if (entry.isDirectory()) {
      relativizeSymlinks(root, full);
    }
  }
}

async function downloadDebs(workDir, debArch) {
  const entries = readConfiguredEntries();
  const osRelease = fs.existsSync('/etc/os-release') ? fs.readFileSync('/etc/os-release', 'utf8') : '';
  const hostCodename = guessHostCodename(entries, osRelease);
  const sourcesText = bullseyeSourcesList(entries, hostCodename, debArch);
  if (!sourcesText) throw new DepsError(`no Debian APT source to derive ${SYSROOT_CODENAME} from`);
  const apt = privateApt(workDir, sourcesText, debArch);
  const update = await run('apt-get', [...apt.optionArgs, 'update', '-q'], {
    env: apt.env,
    allowFailure: true,
    timeoutMs: TIMEOUT_MS,
  });
  if (update.code !== 0) log(`apt-get update reported problems (continuing): ${update.tail}`);
  const debDir = path.join(workDir, 'debs');
  await run('apt-get', [...apt.optionArgs, 'download', '-q', ...PACKAGES.map((p) => `${p}:${debArch}`)], {
    cwd: debDir,
    env: apt.env,
    timeoutMs: TIMEOUT_MS,
  });
  return fs
    .readdirSync(debDir)
    .filter((name) => name.endsWith('.deb'))
    .sort()
    .map((name) => path.join(debDir, name));
}

/** The bullseye sysroot for a target name (linux-x64, linux-arm64, linux-arm), fetched once. */
async function prepareSysroot(targetName, { cacheDir }) {
  const debArch = DEBIAN_ARCH[targetName];
  if (!debArch) throw new DepsError(`no sysroot for target ${targetName}`);
  for (const tool of ['apt-get', 'dpkg']) {
    if (!findExecutable(tool)) throw new DepsError(`${tool} is needed to fetch the ${debArch} sysroot`);
  }
  const key = shortHash(['sysroot', SYSROOT_CODENAME, debArch, ...PACKAGES]);
  const finalDir = path.join(cacheDir, `sysroot-${SYSROOT_CODENAME}-${debArch}-${key}`);
  const reused = await buildDirAtomically(finalDir, key, async (workDir) => {
    const started = Date.now();
    const aptDir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-librtmp-sysroot-'));
    try {
      const debs = await downloadDebs(aptDir, debArch);
      if (debs.length !== PACKAGES.length) {
        throw new DepsError(`expected ${PACKAGES.length} packages, got ${debs.map((d) => path.basename(d))}`);
      }
      for (const deb of debs) await run('dpkg', ['-x', deb, workDir]);
      fs.writeFileSync(path.join(workDir, 'packages.txt'), `${debs.map((d) => path.basename(d)).join('\n')}\n`);
    } finally {
      fs.rmSync(aptDir, { recursive: true, force: true });
    }
    relativizeSymlinks(workDir);
    log(`${SYSROOT_CODENAME} ${debArch} sysroot ready in ${formatSeconds(started)}`);
  });
  if (reused) log(`sysroot: reusing ${finalDir}`);
  return finalDir;
}

module.exports = { prepareSysroot, bullseyeSourcesList, relativizeSymlinks, DEBIAN_ARCH };
