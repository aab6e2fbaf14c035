#!/usr/bin/env node
'use strict';

// Usage: npm run test:openssl35 [-- <file filters…> | -- --all]
// Builds the addon on OpenSSL 3.5 (NODE_LIBRTMP_OPENSSL=3.5) into build-ossl35/ (its OpenSSL
// cached like the default one) and runs test files against it: by default the TLS, engine,
// RTMPE and foundation suites; `--all` runs every suite; file filters pick others. The suites
// load that addon through a preload (scripts/openssl35-addon.js) and check, from
// NODE_LIBRTMP_OPENSSL, that they run on 3.5.

const { spawnSync } = require('node:child_process');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DEFAULT_FILTERS = ['foundation', 'tls', 'engine', 'rtmpe', 'cli.test'];

function run(command, args, env) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', env });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function main(argv) {
  const env = { ...process.env, NODE_LIBRTMP_OPENSSL: '3.5' };
  const started = Date.now();
  let status = run(process.execPath, [path.join(ROOT, 'scripts', 'build-native.js'), '--out', 'build-ossl35'], env);
  if (status !== 0) return status;
  const built = Date.now();
  status = run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], env);
  if (status !== 0) return status;
  const preload = path.join(ROOT, 'scripts', 'openssl35-addon.js');
  const testEnv = { ...env, NODE_OPTIONS: `-r ${preload}${env.NODE_OPTIONS ? ` ${env.NODE_OPTIONS}` : ''}` };
  const filters = argv.includes('--all') ? [] : argv.length ? argv : DEFAULT_FILTERS;
  // test/scripts/ holds the build scripts' own tests: they are about the default line.
  const files = argv.includes('--all') ? ['dist/test/'] : filters;
  status = run(process.execPath, [path.join(ROOT, 'scripts', 'run-tests.js'), ...files], testEnv);
  const minutes = (ms) => (ms / 60000).toFixed(1);
  console.log(`test:openssl35: build ${minutes(built - started)} min, tests ${minutes(Date.now() - built)} min`);
  return status;
}

process.exitCode = main(process.argv.slice(2));
