'use strict';

const os = require('node:os');
const path = require('node:path');
const { DepsError } = require('./errors');

const REPO_ROOT = path.resolve(__dirname, '..', '..');

function isInside(child, parent) {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

// The cache lives outside the package: a build of OpenSSL must not end up in `npm pack`, and it
// should survive reinstalls of the package.
function resolveCacheDir(env = process.env) {
  let dir;
  if (env.NODE_LIBRTMP_CACHE) {
    dir = path.resolve(env.NODE_LIBRTMP_CACHE);
  } else if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)) {
    dir = path.join(env.XDG_CACHE_HOME, 'node-librtmp');
  } else {
    dir = path.join(os.homedir(), '.cache', 'node-librtmp');
  }
  if (isInside(dir, REPO_ROOT)) {
    throw new DepsError(
      `the cache folder ${dir} is inside the package source tree ${REPO_ROOT}; ` +
        'set NODE_LIBRTMP_CACHE to a folder outside it',
    );
  }
  return dir;
}

module.exports = { resolveCacheDir, REPO_ROOT, isInside };
