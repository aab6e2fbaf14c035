#!/usr/bin/env node
'use strict';

// `npm run prebuild [-- linux-x64 linux-arm64 linux-arm]`: builds prebuilds/<target>/ for each
// target (default: all three) with prebuildify (N-API, stripped with the target's strip), using
// scripts/prebuild-node-gyp.js as its node-gyp, then checks them (scripts/check-prebuilds.js).
// prebuildify works in build/prebuildify-stage, so build/Release (a local build) stays as it is.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { TARGETS } = require('./lib/targets');

const root = path.resolve(__dirname, '..');

function stripBin(target) {
  const prefix = process.env.NODE_LIBRTMP_CROSS_PREFIX ?? `${target.triple}-`;
  return `${prefix}strip`;
}

// The armv7 build is tagged (node-librtmp.armv7.node): node-gyp-build then offers it only to a
// Node built for ARMv7 (process.config arm_version 7), and an ARMv6 board builds from source
// instead of crashing on an illegal instruction. prebuildify cannot detect it when cross-building.
function armTagArgs(target) {
  return target.nodeArch === 'arm' ? ['--tag-armv', '--armv', '7'] : [];
}

function runNode(args, options = {}) {
  const result = spawnSync(process.execPath, args, { stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function main(argv) {
  const names = argv.length ? argv : Object.keys(TARGETS);
  for (const name of names) {
    if (!TARGETS[name]) {
      console.error(`prebuild: unknown target ${name} (known: ${Object.keys(TARGETS).join(', ')})`);
      return 2;
    }
  }
  const stage = path.join(root, 'build', 'prebuildify-stage');
  fs.mkdirSync(stage, { recursive: true });
  // prebuildify names the file after package.json's name.
  fs.copyFileSync(path.join(root, 'package.json'), path.join(stage, 'package.json'));
  const prebuildify = require.resolve('prebuildify/bin.js');
  for (const name of names) {
    const target = TARGETS[name];
    const started = Date.now();
    fs.rmSync(path.join(stage, 'build'), { recursive: true, force: true });
    fs.rmSync(path.join(root, 'prebuilds', name), { recursive: true, force: true });
    const status = runNode(
      [
        prebuildify, '--napi', '--strip', '--platform', 'linux', '--arch', target.nodeArch,
        '--strip-bin', stripBin(target), ...armTagArgs(target),
        '--node-gyp', path.join(__dirname, 'prebuild-node-gyp.js'),
        '--out', root, '--cwd', stage,
      ],
      { cwd: stage },
    );
    if (status !== 0) {
      console.error(`prebuild: ${name} failed`);
      return status;
    }
    console.error(`prebuild: ${name} done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  return runNode([path.join(__dirname, 'check-prebuilds.js'), path.join(root, 'prebuilds')]);
}

process.exitCode = main(process.argv.slice(2));
