// lib/native.ts finds the addon from the package root (as node-gyp-build expects) and, when
// none loads, says which prebuild it looked for and how to build from source.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadBinding, packageRoot } from '../lib/native';
import { FIXTURES_DIR } from './helpers/fixtures';

const ROOT = path.resolve(FIXTURES_DIR, '..', '..');

test('the package root is found from the compiled and the source tree alike', () => {
  assert.equal(packageRoot(path.join(ROOT, 'dist', 'lib')), ROOT);
  assert.equal(packageRoot(path.join(ROOT, 'lib')), ROOT);
  assert.equal(typeof loadBinding(ROOT).versions().openssl, 'string');
});

test('a package without an addon for this machine gets a message that says what to do', () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-noaddon-'));
  try {
    fs.writeFileSync(path.join(empty, 'package.json'), '{"name":"node-librtmp"}');
    let thrown: unknown;
    try {
      loadBinding(empty);
    } catch (error) {
      thrown = error;
    }
    assert.ok(thrown instanceof Error, 'loading throws');
    const { message, cause } = thrown;
    assert.match(message, new RegExp(`prebuilds/${process.platform}-${process.arch}/`));
    assert.match(message, /build\/Release\//);
    assert.match(message, /--build-from-source/);
    assert.match(message, /cmake/);
    assert.ok(cause instanceof Error, "node-gyp-build's own error is the cause");
    assert.match(message, /The loader said: .+/);
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});
