'use strict';

// Makes each dependency's source available: a user-given folder or tarball, else the cache,
// else Debian's archive (through a private APT configuration), else a user-given URL. Every
// tarball is checked against its pinned sha256; a user's folder is used as is.

const fs = require('node:fs');
const path = require('node:path');
const { installFile, tempSiblingOf } = require('./atomic-place');
const { resolveCacheDir } = require('./cache-dir');
const { fetchFromDebianArchive } = require('./debian-archive');
const { downloadUrl } = require('./download-url');
const { DepsError } = require('./errors');
const { sha256File, verifySha256 } = require('./hashing');
const { log } = require('./log');
const { envName, resolveDependency } = require('./manifest');

function sourcesDir(cacheDir) {
  return path.join(cacheDir, 'sources');
}

function fromUserDir(dep, dir) {
  const resolved = path.resolve(dir);
  if (!fs.existsSync(path.join(resolved, dep.markerFile))) {
    throw new DepsError(
      `${envName(dep.name, 'DIR')}=${dir} does not look like an extracted ${dep.name} ` +
        `source tree (no ${dep.markerFile} in it)`,
    );
  }
  log(`using ${dep.name} source folder ${resolved} as is (given by ${envName(dep.name, 'DIR')}; ` +
      'a folder is not checksum-verified)');
  return { kind: 'dir', path: resolved, dep };
}

function requireSha(dep, how) {
  if (!dep.sha256) {
    throw new DepsError(`${how} needs the tarball's sha256 in ${envName(dep.name, 'SHA256')}`);
  }
}

async function fromUserTarball(dep, file, cacheDir) {
  requireSha(dep, envName(dep.name, 'TARBALL'));
  const resolved = path.resolve(file);
  if (!fs.existsSync(resolved)) {
    throw new DepsError(`${envName(dep.name, 'TARBALL')}=${file}: no such file`);
  }
  await verifySha256(resolved, dep.sha256);
  log(`using ${resolved} (sha256 verified)`);
  const cached = path.join(sourcesDir(cacheDir), dep.tarball);
  if (path.resolve(cached) !== resolved) installFile(resolved, cached);
  return { kind: 'tarball', path: cached, dep };
}

// A cached tarball is re-verified: the cache is a plain folder anyone may have touched.
async function fromCache(dep, cacheDir) {
  const cached = path.join(sourcesDir(cacheDir), dep.tarball);
  if (!dep.sha256 || !fs.existsSync(cached)) return null;
  const actual = await sha256File(cached);
  if (actual === dep.sha256) {
    log(`using cached ${cached} (sha256 verified)`);
    return { kind: 'tarball', path: cached, dep };
  }
  log(`cached ${cached} has sha256 ${actual}, expected ${dep.sha256}: discarding it`);
  fs.rmSync(cached, { force: true });
  return null;
}

async function fromUrl(dep, url, cacheDir) {
  requireSha(dep, envName(dep.name, 'URL'));
  const cached = path.join(sourcesDir(cacheDir), dep.tarball);
  const temp = tempSiblingOf(cached);
  log(`downloading ${dep.name} from ${url}`);
  try {
    await downloadUrl(url, temp);
    const actual = await sha256File(temp);
    if (actual !== dep.sha256) {
      throw new DepsError(
        `checksum mismatch for ${dep.tarball} downloaded from ${url}: ` +
          `expected sha256 ${dep.sha256}, got ${actual}`,
      );
    }
    fs.renameSync(temp, cached);
  } finally {
    fs.rmSync(temp, { force: true });
  }
  return { kind: 'tarball', path: cached, dep };
}

function missingSourceMessage(dep, cacheDir) {
  const ways = [
    `${envName(dep.name, 'TARBALL')}=/path/to/${dep.tarball} (checksum-verified)`,
    `${envName(dep.name, 'DIR')}=/path/to/extracted/${dep.topFolder} (used as is)`,
    `${envName(dep.name, 'URL')}=<address of ${dep.tarball}> (checksum-verified)`,
    `copy ${dep.tarball} into ${sourcesDir(cacheDir)}/`,
  ];
  if (dep.debian) {
    ways.push(
      `on Debian or Ubuntu: let APT reach Debian's archive (source package ` +
        `${dep.debian.sourcePackage} ${dep.debian.version}, ${dep.debian.codenames.join('/')})`,
    );
  }
  const sha = dep.sha256 ? `, sha256 ${dep.sha256}` : '';
  return (
    `could not obtain the ${dep.name} ${dep.version} source (${dep.tarball}${sha}). ` +
    `Provide it in one of these ways:\n  - ${ways.join('\n  - ')}`
  );
}

/**
 * Returns a Map name -> { kind: 'dir' | 'tarball', path, dep } for the requested dependencies,
 * fetching what is missing into the cache. Throws DepsError when a source cannot be obtained.
 */
async function fetchSources(names, { env = process.env, cacheDir = resolveCacheDir(env) } = {}) {
  fs.mkdirSync(sourcesDir(cacheDir), { recursive: true });
  const results = new Map();
  const pending = [];
  for (const name of names) {
    const dep = resolveDependency(name, env);
    if (env[envName(name, 'DIR')]) {
      results.set(name, fromUserDir(dep, env[envName(name, 'DIR')]));
    } else if (env[envName(name, 'TARBALL')]) {
      results.set(name, await fromUserTarball(dep, env[envName(name, 'TARBALL')], cacheDir));
    } else {
      const cached = await fromCache(dep, cacheDir);
      if (cached) results.set(name, cached);
      else pending.push(dep);
    }
  }

  if (pending.length > 0) {
    for (const dep of pending.filter((d) => !d.debian)) {
      log(`${dep.name} ${dep.version} is not the pinned version: Debian's archive is not tried`);
    }
    const fromDebian = await fetchFromDebianArchive(pending, (dep, file) => {
      const cached = path.join(sourcesDir(cacheDir), dep.tarball);
      installFile(file, cached);
      results.set(dep.name, { kind: 'tarball', path: cached, dep });
    });
    for (const dep of pending) {
      if (fromDebian.has(dep.name)) continue;
      const url = env[envName(dep.name, 'URL')];
      if (url) results.set(dep.name, await fromUrl(dep, url, cacheDir));
      else throw new DepsError(missingSourceMessage(dep, cacheDir));
    }
  }
  return results;
}

async function fetchSource(name, options) {
  return (await fetchSources([name], options)).get(name);
}

module.exports = { fetchSources, fetchSource, sourcesDir };
