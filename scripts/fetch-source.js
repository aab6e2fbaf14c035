#!/usr/bin/env node
'use strict';

// Usage: node scripts/fetch-source.js <librtmp|openssl|openssl_debian> [--print-path]
// (the OpenSSL ones of the line NODE_LIBRTMP_OPENSSL selects)
// Makes the dependency's verified source available in the cache; with --print-path, prints its
// path (a tarball, or the user's folder given by NODE_LIBRTMP_<NAME>_DIR) on stdout.

const { fetchSource } = require('./lib/fetch-source');
const { log, reportError } = require('./lib/log');
const { dependencyNames } = require('./lib/manifest');

async function main(argv) {
  const names = dependencyNames();
  const positional = argv.filter((arg) => !arg.startsWith('--'));
  const printPath = argv.includes('--print-path');
  const unknown = argv.filter((arg) => arg.startsWith('--') && arg !== '--print-path');
  if (positional.length !== 1 || !names.includes(positional[0]) || unknown.length > 0) {
    process.stderr.write(`usage: fetch-source.js <${names.join('|')}> [--print-path]\n`);
    return 2;
  }
  const source = await fetchSource(positional[0]);
  if (printPath) process.stdout.write(`${source.path}\n`);
  else log(`${positional[0]} source: ${source.path}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    reportError(error);
    process.exitCode = 1;
  },
);
