#!/usr/bin/env node
'use strict';

// Builds the addon from source with cmake-js into build/Release (where node-gyp-build
// looks). Extra arguments go to cmake-js (e.g. --debug, or -- -DNODE_LIBRTMP_TARGET=...).
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function buildNative(extraArgs = []) {
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const args = [cmakeJs, 'build', '--directory', root, ...extraArgs];
  const result = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

module.exports = { buildNative };

if (require.main === module) {
  process.exitCode = buildNative(process.argv.slice(2));
}
