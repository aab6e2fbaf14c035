#!/usr/bin/env node
'use strict';

// The node-gyp stand-in that prebuildify runs (`--node-gyp`):
//   prebuild-node-gyp.js rebuild --target=<node version> --arch=<x64|arm64|arm> --release [...]
// It builds the addon with cmake-js and the CMake toolchain file of the arch's target triple
// (cmake/toolchains/<triple>.cmake) against an old-glibc sysroot, and leaves the result where
// prebuildify looks for it: build/Release/node_librtmp.node under the current folder.
// The build itself happens in <package>/build/prebuild-<target>, so the developer's own
// build/Release is never touched. NODE_LIBRTMP_SYSROOT, when set, replaces the bullseye sysroot
// (e.g. a camera vendor's); NODE_LIBRTMP_CROSS_PREFIX replaces the Debian cross compiler.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { resolveCacheDir } = require('./lib/cache-dir');
const { log, reportError } = require('./lib/log');
const { DepsError } = require('./lib/errors');
const { TARGETS } = require('./lib/targets');
const { prepareSysroot } = require('./lib/target-sysroot');

const root = path.resolve(__dirname, '..');

function parseArgs(argv) {
  const options = { command: argv[0], arch: process.arch, debug: false };
  for (const arg of argv.slice(1)) {
    const match = /^--([^=]+)(?:=(.*))?$/.exec(arg);
    if (!match) continue;
    if (match[1] === 'arch') options.arch = match[2];
    if (match[1] === 'debug') options.debug = true;
  }
  return options;
}

function targetForArch(arch) {
  const entry = Object.entries(TARGETS).find(([, t]) => t.nodeArch === arch);
  if (!entry) throw new DepsError(`no prebuild target for arch "${arch}"`);
  return { name: entry[0], ...entry[1] };
}

async function main(argv) {
  const options = parseArgs(argv);
  if (options.command !== 'rebuild') {
    throw new DepsError(`only "rebuild" is supported (prebuildify's call), got "${options.command}"`);
  }
  const target = targetForArch(options.arch);
  const env = { ...process.env };
  if (!env.NODE_LIBRTMP_SYSROOT) {
    env.NODE_LIBRTMP_SYSROOT = await prepareSysroot(target.name, { cacheDir: resolveCacheDir() });
  }
  log(`prebuild ${target.name}: toolchain ${target.triple}, sysroot ${env.NODE_LIBRTMP_SYSROOT}`);

  const config = options.debug ? 'Debug' : 'Release';
  const outDir = path.join(root, 'build', `prebuild-${target.name}`);
  const toolchain = path.join(root, 'cmake', 'toolchains', `${target.triple}.cmake`);
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const args = [
    cmakeJs, 'rebuild', '--directory', root, '--out', outDir, '--config', config,
    '--parallel', '2', '--prefer-make',
    `--CDCMAKE_TOOLCHAIN_FILE=${toolchain}`,
    `--CDNODE_LIBRTMP_TARGET=${target.name}`,
  ];
  const result = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root, env });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new DepsError(`cmake-js failed for ${target.name} (exit ${result.status})`);

  const built = path.join(outDir, config, 'node_librtmp.node');
  const destDir = path.join(process.cwd(), 'build', config);
  fs.mkdirSync(destDir, { recursive: true });
  fs.copyFileSync(built, path.join(destDir, 'node_librtmp.node'));
}

main(process.argv.slice(2)).catch((error) => {
  reportError(error);
  process.exitCode = 1;
});
