'use strict';

const path = require('node:path');
const { DepsError } = require('./errors');
const { lineOnlyKeys, manifestKey } = require('./openssl-line');

const MANIFEST_PATH = path.join(__dirname, '..', 'deps.json');
const VERSION_PATTERN = /^[0-9A-Za-z][0-9A-Za-z.+~_-]*$/;
const SHA256_PATTERN = /^[0-9a-fA-F]{64}$/;

function loadManifest() {
  return require(MANIFEST_PATH);
}

/** The dependency names (librtmp, openssl, openssl_debian); each resolves on the selected OpenSSL line. */
function dependencyNames() {
  const lineOnly = lineOnlyKeys();
  return Object.keys(loadManifest()).filter((key) => !lineOnly.has(key));
}

// NODE_LIBRTMP_OPENSSL_DIR etc.: one naming scheme for every per-dependency setting.
function envName(name, setting) {
  return `NODE_LIBRTMP_${name.toUpperCase()}_${setting}`;
}

function fillTemplate(template, version) {
  return template.replace(/\{version\}/g, version);
}

/**
 * The pinned description of one dependency, with a user's version override applied
 * (NODE_LIBRTMP_<NAME>_VERSION + _SHA256). An overridden version is not in Debian's archive
 * as pinned, so `debian` is null for it. "openssl" and "openssl_debian" are the pins of the
 * OpenSSL line NODE_LIBRTMP_OPENSSL selects (scripts/lib/openssl-line.js).
 */
function resolveDependency(name, env = process.env) {
  const manifest = loadManifest();
  const pinned = dependencyNames().includes(name) ? manifest[manifestKey(name, env)] : null;
  if (!pinned) {
    const known = dependencyNames().join(', ');
    throw new DepsError(`unknown dependency "${name}" (known: ${known})`);
  }
  const base = {
    name,
    version: pinned.upstreamVersion,
    sha256: pinned.sha256.toLowerCase(),
    tarball: pinned.tarball,
    topFolder: pinned.topFolder,
    markerFile: pinned.markerFile,
    debian: pinned.debian,
    overridden: false,
  };

  const versionVar = envName(name, 'VERSION');
  const shaVar = envName(name, 'SHA256');
  const version = env[versionVar];
  const sha256 = env[shaVar];
  if (!version && !sha256) return base;
  if (!pinned.versionOverride) {
    throw new DepsError(`${versionVar}/${shaVar} are not supported: ${name} is pinned`);
  }
  if (!version) throw new DepsError(`${shaVar} is set but ${versionVar} is not`);
  if (!VERSION_PATTERN.test(version)) {
    throw new DepsError(`${versionVar}="${version}" is not a plausible version string`);
  }
  if (version === base.version && !sha256) return base;
  if (sha256 && !SHA256_PATTERN.test(sha256)) {
    throw new DepsError(`${shaVar} must be 64 hexadecimal digits, got "${sha256}"`);
  }
  if (!sha256 && !env[envName(name, 'DIR')]) {
    throw new DepsError(
      `${versionVar}=${version} needs ${shaVar} (the sha256 of its tarball), ` +
        `unless the source is an extracted folder given with ${envName(name, 'DIR')}`,
    );
  }
  return {
    ...base,
    version,
    sha256: sha256 ? sha256.toLowerCase() : null,
    tarball: fillTemplate(pinned.versionOverride.tarball, version),
    topFolder: fillTemplate(pinned.versionOverride.topFolder, version),
    debian: null,
    overridden: true,
  };
}

module.exports = { resolveDependency, loadManifest, dependencyNames, envName, MANIFEST_PATH };
