#!/usr/bin/env node
'use strict';

// `npm install` entry: use a prebuilt addon when one fits this platform and Node, else build
// from source (fetching and verifying librtmp and OpenSSL). `npm install --build-from-source`
// (npm_config_build_from_source) always builds.
const path = require('node:path');
const { buildNative } = require('./build-native');

const root = path.resolve(__dirname, '..');

// Only a binary from prebuilds/ counts: a build/ folder is a local build, and rebuilding
// it is cheap (OpenSSL and librtmp are cached).
function prebuiltLoads() {
  try {
    const file = require('node-gyp-build').path(root);
    if (!file.includes(`${path.sep}prebuilds${path.sep}`)) return false;
    require(file);
    return true;
  } catch {
    return false;
  }
}

const fromSource = ['true', '1', 'node-librtmp'].includes(process.env.npm_config_build_from_source ?? '');
if (!fromSource && prebuiltLoads()) {
  process.stderr.write('node-librtmp: using the prebuilt addon\n');
} else {
  process.exitCode = buildNative();
}
