#!/usr/bin/env node
'use strict';

// Usage: check-openssl-line.js <NODE_LIBRTMP_OPENSSL at configure time>
// Run by the build (CMakeLists.txt): fails when the environment now selects another OpenSSL line
// than the one this build folder was configured for, instead of silently building the old one.

const { opensslLine } = require('./lib/openssl-line');
const { reportError } = require('./lib/log');

try {
  const configured = opensslLine({ NODE_LIBRTMP_OPENSSL: process.argv[2] || '' });
  const wanted = opensslLine(process.env);
  if (configured !== wanted) {
    process.stderr.write(
      `node-librtmp: this build folder is configured for OpenSSL ${configured}, but ` +
        `NODE_LIBRTMP_OPENSSL selects ${wanted}: build into another folder ` +
        '(node scripts/build-native.js --out <folder>) or delete this one\n',
    );
    process.exitCode = 1;
  }
} catch (error) {
  reportError(error);
  process.exitCode = 1;
}
