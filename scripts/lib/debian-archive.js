'use strict';

// Fetches orig tarballs with `apt-get source --download-only`, through a private APT
// configuration in a temporary folder: its own sources list (deb-src entries derived from the
// machine's deb entries), lists, cache and no locking. The system's /etc/apt and /var/lib/apt
// are only read, never written, and root is not required.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { deriveSourceEntries, formatSourcesList, guessHostCodename, readConfiguredEntries } =
  require('./apt-sources');
const { DepsError } = require('./errors');
const { sha256File } = require('./hashing');
const { log, formatSeconds } = require('./log');
const { findExecutable, run } = require('./run');

const UPDATE_TIMEOUT_MS = 10 * 60 * 1000;
const SOURCE_TIMEOUT_MS = 10 * 60 * 1000;

// Where APT reads the machine's sources from (normally /etc/apt/sources.list{,.d}).
async function systemSourcePaths() {
  const defaults = { sourceList: '/etc/apt/sources.list', sourceParts: '/etc/apt/sources.list.d' };
  if (!findExecutable('apt-config')) return defaults;
  const result = await run(
    'apt-config',
    ['shell', 'SL', 'Dir::Etc::SourceList/f', 'SP', 'Dir::Etc::SourceParts/d'],
    { allowFailure: true },
  );
  const value = (name) => {
    const match = new RegExp(`^${name}='([^']*)'`, 'm').exec(result.stdout);
    return match ? match[1] : null;
  };
  return {
    sourceList: value('SL') || defaults.sourceList,
    sourceParts: (value('SP') || defaults.sourceParts).replace(/\/$/, ''),
  };
}

function readOsRelease() {
  try {
    return fs.readFileSync('/etc/os-release', 'utf8');
  } catch {
    return '';
  }
}

// APT drops privileges to this user for downloads; it must be able to write our temp folder.
function sandboxUser() {
  if (typeof process.getuid === 'function' && process.getuid() === 0) return 'root';
  return os.userInfo().username;
}

function privateAptOptions(workDir) {
  return {
    'Dir::Etc::SourceList': path.join(workDir, 'sources.list'),
    'Dir::Etc::SourceParts': '/nonexistent',
    'Dir::State': path.join(workDir, 'state'),
    'Dir::State::Lists': path.join(workDir, 'state', 'lists'),
    'Dir::State::status': '/var/lib/dpkg/status',
    'Dir::Cache': path.join(workDir, 'cache'),
    'Debug::NoLocking': 'true',
    'APT::Sandbox::User': sandboxUser(),
    'APT::Get::Only-Source': 'true',
    'Acquire::Languages': 'none',
  };
}

function createPrivateApt(workDir, sourcesText) {
  for (const dir of ['state/lists/partial', 'cache/archives/partial', 'download']) {
    fs.mkdirSync(path.join(workDir, dir), { recursive: true });
  }
  fs.writeFileSync(path.join(workDir, 'sources.list'), sourcesText);
  const options = privateAptOptions(workDir);
  const configText = Object.entries(options)
    .map(([key, value]) => `${key} "${value}";`)
    .join('\n');
  const configFile = path.join(workDir, 'apt.conf');
  fs.writeFileSync(configFile, `${configText}\n`);
  // The same settings also go on the command line: files in /etc/apt/apt.conf.d are read after
  // APT_CONFIG and could otherwise point APT back at the system's state.
  const optionArgs = Object.entries(options).flatMap(([key, value]) => ['-o', `${key}=${value}`]);
  const env = { ...process.env, APT_CONFIG: configFile, LC_ALL: 'C' };
  return { optionArgs, env, downloadDir: path.join(workDir, 'download') };
}

function aptMessages(output) {
  return output
    .split('\n')
    .filter((line) => /^(E|W):/.test(line))
    .slice(0, 6);
}

// "2.4+20151223.gitfa8646d.1-2" -> "2.4+20151223.gitfa8646d.1" (no epoch, no Debian revision).
function upstreamPart(debianVersion) {
  const noEpoch = debianVersion.replace(/^\d+:/, '');
  const dash = noEpoch.lastIndexOf('-');
  return dash < 0 ? noEpoch : noEpoch.slice(0, dash);
}

// Other revisions of the same upstream version known to the private lists (they ship the same
// orig tarball, e.g. openssl 1.1.1w-0+deb11u8 in bullseye-security).
async function sameUpstreamRevisions(apt, sourcePackage, pinnedVersion) {
  const result = await run('apt-cache', [...apt.optionArgs, 'showsrc', sourcePackage], {
    env: apt.env,
    allowFailure: true,
  });
  if (result.code !== 0) return null;
  const wanted = upstreamPart(pinnedVersion);
  const versions = [...result.stdout.matchAll(/^Version:\s*(\S+)\s*$/gm)].map((m) => m[1]);
  return [...new Set(versions)].filter((v) => v !== pinnedVersion && upstreamPart(v) === wanted);
}

// Tries one `apt-get source` request; returns the orig tarball's path when it was downloaded.
async function trySource(apt, request, dep) {
  const result = await run(
    'apt-get',
    [...apt.optionArgs, 'source', '--download-only', '-q', request],
    { cwd: apt.downloadDir, env: apt.env, allowFailure: true, timeoutMs: SOURCE_TIMEOUT_MS },
  );
  const file = path.join(apt.downloadDir, dep.tarball);
  if (fs.existsSync(file)) return file;
  const messages = aptMessages(result.stdout + result.stderr);
  log(`apt-get source ${request}: not available${messages.length ? ` (${messages[0]})` : ''}`);
  return null;
}

async function fetchOne(apt, dep) {
  const { sourcePackage, version, exactRevision } = dep.debian;
  // One `apt-get source` request brings every file of the source package (orig tarball and
  // Debian tarball): a file an earlier request brought is not asked for again.
  const already = path.join(apt.downloadDir, dep.tarball);
  let file = fs.existsSync(already) ? already : await trySource(apt, `${sourcePackage}=${version}`, dep);
  // A Debian tarball (patches) belongs to one revision; only an orig tarball is shared by others.
  if (!file && !exactRevision) {
    const revisions = await sameUpstreamRevisions(apt, sourcePackage, version);
    if (revisions === null) {
      file = await trySource(apt, sourcePackage, dep);
    } else {
      for (const revision of revisions) {
        log(`trying ${sourcePackage}=${revision} (same upstream version ${dep.version})`);
        file = await trySource(apt, `${sourcePackage}=${revision}`, dep);
        if (file) break;
      }
    }
  }
  if (!file) return null;
  const actual = await sha256File(file);
  if (actual !== dep.sha256) {
    throw new DepsError(
      `checksum mismatch for ${dep.tarball} from Debian's archive: ` +
        `expected sha256 ${dep.sha256}, got ${actual}`,
    );
  }
  return file;
}

/**
 * Runs `use(apt)` with a private APT configuration whose deb-src entries are this machine's
 * entries plus the same entries for `wantedCodenames` (bullseye, bullseye-security...), after
 * an `apt-get update` of that private index. `apt` has `optionArgs`, `env` and `downloadDir`
 * (a temporary folder, removed afterwards). Resolves `{ unavailable: reason }` without calling
 * `use` when there is no apt-get or no APT source on this machine.
 */
async function withPrivateApt(wantedCodenames, use) {
  if (!findExecutable('apt-get') || !findExecutable('apt-cache')) {
    return { unavailable: 'apt-get not found (not a Debian-based system?)' };
  }
  const entries = readConfiguredEntries(await systemSourcePaths());
  if (entries.length === 0) return { unavailable: 'no APT sources configured on this machine' };
  const hostCodename = guessHostCodename(entries, readOsRelease());
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-librtmp-apt-'));
  try {
    let keyCount = 0;
    const sourcesText = formatSourcesList(
      deriveSourceEntries(entries, { hostCodename, wantedCodenames }),
      (keyText) => {
        const keyFile = path.join(workDir, `embedded-key-${(keyCount += 1)}.asc`);
        fs.writeFileSync(keyFile, keyText);
        return keyFile;
      },
    );
    const apt = createPrivateApt(workDir, sourcesText);
    const started = Date.now();
    log(`updating a private APT source index (${wantedCodenames.join(', ')} + this machine's)`);
    const update = await run('apt-get', [...apt.optionArgs, 'update', '-q'], {
      env: apt.env,
      allowFailure: true,
      timeoutMs: UPDATE_TIMEOUT_MS,
    });
    if (update.code !== 0) {
      // Some derived entries may not exist (e.g. a third-party repository without sources);
      // the rest of the index is still usable.
      const messages = aptMessages(update.stdout + update.stderr);
      log(`apt-get update reported problems (continuing): ${messages.join(' | ') || update.tail}`);
    }
    log(`private APT index ready in ${formatSeconds(started)}`);
    return { result: await use(apt) };
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * Downloads the orig tarballs of `deps` (those with Debian coordinates) from the archive the
 * machine is configured for. `onFetched(dep, file)` receives each verified file while the
 * temporary folder still exists. Returns the names it could fetch; never throws for a missing
 * package or a missing apt-get, only for a checksum mismatch or an I/O failure.
 */
async function fetchFromDebianArchive(deps, onFetched) {
  const wanted = deps.filter((dep) => dep.debian);
  const fetched = new Set();
  if (wanted.length === 0) return fetched;
  const wantedCodenames = [...new Set(wanted.flatMap((dep) => dep.debian.codenames))];
  const outcome = await withPrivateApt(wantedCodenames, async (apt) => {
    for (const dep of wanted) {
      const downloadStarted = Date.now();
      const file = await fetchOne(apt, dep);
      if (!file) continue;
      log(`downloaded ${dep.tarball} from Debian's archive in ${formatSeconds(downloadStarted)}`);
      await onFetched(dep, file);
      fetched.add(dep.name);
    }
  });
  if (outcome.unavailable) log(`${outcome.unavailable}: skipping Debian's archive`);
  return fetched;
}

module.exports = { fetchFromDebianArchive, withPrivateApt, aptMessages, upstreamPart, privateAptOptions };
