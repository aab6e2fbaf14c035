#!/usr/bin/env node
'use strict';

// Usage: node scripts/prepare-deps.js --target <linux-x64|linux-arm64|linux-arm> --cmake-out <file>
//
// Called by CMake at configure time: fetches and verifies the librtmp and OpenSSL sources,
// prepares the patched librtmp tree, builds the static OpenSSL (both cached), and writes a CMake
// file with the paths and expected versions.

const fs = require('node:fs');
const path = require('node:path');
const { buildOpenssl } = require('./lib/build-openssl');
const { resolveCacheDir } = require('./lib/cache-dir');
const { DepsError } = require('./lib/errors');
const { fetchSources } = require('./lib/fetch-source');
const { log, formatSeconds, reportError } = require('./lib/log');
const { prepareLibrtmp } = require('./lib/prepare-librtmp');
const { hostTargetName, resolveTarget, TARGETS } = require('./lib/targets');

const USAGE =
  `usage: prepare-deps.js --target <${Object.keys(TARGETS).join('|')}> --cmake-out <file>`;

function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i += 1) {
    const match = /^--(target|cmake-out)(?:=(.*))?$/.exec(argv[i]);
    if (!match) throw new DepsError(`unexpected argument "${argv[i]}"\n${USAGE}`);
    const value = match[2] !== undefined ? match[2] : argv[(i += 1)];
    if (!value) throw new DepsError(`--${match[1]} needs a value\n${USAGE}`);
    options[match[1]] = value;
  }
  if (!options['cmake-out']) throw new DepsError(`--cmake-out is required\n${USAGE}`);
  if (!options.target) {
    options.target = hostTargetName();
    if (!options.target) throw new DepsError(`--target is required on this host\n${USAGE}`);
  }
  return options;
}

// A CMake quoted argument: backslash, quote and ${...} expansion must be escaped.
function cmakeQuote(value) {
  return `"${String(value).replace(/([\\"$])/g, '\\$1')}"`;
}

function cmakeFileText(values) {
  const lines = [
    '# Written by scripts/prepare-deps.js; regenerated at every CMake configure.',
    ...Object.entries(values).map(([name, value]) => {
      const text = Array.isArray(value) ? value.map(cmakeQuote).join(' ') : cmakeQuote(value);
      return `set(${name} ${text})`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}

// Rewritten only when the content changes, so CMake does not see a newer file on every run.
function writeIfChanged(file, text) {
  try {
    if (fs.readFileSync(file, 'utf8') === text) return false;
  } catch {
    // Not there yet.
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(temp, text);
  fs.renameSync(temp, file);
  return true;
}

async function main(argv) {
  const started = Date.now();
  const options = parseArgs(argv);
  const target = resolveTarget(options.target);
  const cacheDir = resolveCacheDir();
  log(`cache: ${cacheDir}; target: ${target.name}`);

  const sources = await fetchSources(['librtmp', 'openssl'], { cacheDir });
  const librtmp = await prepareLibrtmp(sources.get('librtmp'), { cacheDir });
  const openssl = await buildOpenssl(sources.get('openssl'), target, { cacheDir });

  const text = cmakeFileText({
    LIBRTMP_SOURCE_DIR: librtmp.librtmpDir,
    LIBRTMP_VERSION: sources.get('librtmp').dep.version,
    OPENSSL_PREFIX: openssl.prefix,
    OPENSSL_VERSION_EXPECTED: openssl.version,
    OPENSSL_VERSION_NUMBER_EXPECTED: openssl.versionNumber,
    CRYPTODEV_INCLUDE_DIRS: openssl.cryptodevIncludeDirs,
  });
  const outFile = path.resolve(options['cmake-out']);
  writeIfChanged(outFile, text);
  log(`wrote ${outFile} (dependencies ready in ${formatSeconds(started)})`);
}

main(process.argv.slice(2)).catch((error) => {
  reportError(error);
  process.exitCode = 1;
});
