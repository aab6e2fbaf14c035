'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { buildDirAtomically } = require('./atomic-place');
const { DepsError } = require('./errors');
const { log } = require('./log');
const { findExecutable, run } = require('./run');

// Unpacks with the system tar (it detects gzip/xz/bzip2 itself); file owners from the archive
// are not applied, so a root build does not leave files owned by unknown uids in the cache.
async function extractInto(tarball, dir) {
  if (!findExecutable('tar')) throw new DepsError('tar is needed to extract sources');
  await run('tar', ['-xf', tarball, '--no-same-owner', '-C', dir]);
}

/**
 * Extracts `tarball` into the fresh folder `finalDir` (temp name, then rename). An existing
 * complete folder for the same `key` is reused. Returns true when reused.
 */
function extractTarball(tarball, finalDir, key) {
  return buildDirAtomically(finalDir, key, (workDir) => extractInto(tarball, workDir), {
    tarball: path.basename(tarball),
  });
}

/**
 * The source tree's top folder inside an extraction folder: the expected name, or else the only
 * folder there (a tarball packed under another name, e.g. a renamed upstream release).
 */
function findTopFolder(extractDir, expectedName) {
  const expected = path.join(extractDir, expectedName);
  if (fs.existsSync(expected)) return expected;
  const folders = fs
    .readdirSync(extractDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  if (folders.length === 1) {
    log(`expected top folder ${expectedName}, found ${folders[0]}: using it`);
    return path.join(extractDir, folders[0]);
  }
  throw new DepsError(
    `${extractDir} has no top folder ${expectedName} (found: ${folders.join(', ') || 'nothing'})`,
  );
}

module.exports = { extractTarball, extractInto, findTopFolder };
