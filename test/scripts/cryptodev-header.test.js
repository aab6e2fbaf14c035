'use strict';

// native/cryptodev/crypto/cryptodev.h must compile as C (old and new standards) and C++, with
// its layout assertions active; -fpack-struct proves the assertions really fire.

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const test = require('node:test');
const { findExecutable } = require('../../scripts/lib/run');

const INCLUDE_DIR = path.join(__dirname, '..', '..', 'native', 'cryptodev');
const SOURCE = '#include <crypto/cryptodev.h>\nint node_librtmp_probe;\n';

function compile(compiler, language, flags) {
  return spawnSync(
    compiler,
    ['-x', language, '-fsyntax-only', '-Wall', '-Wextra', '-Werror', `-I${INCLUDE_DIR}`]
      .concat(flags, ['-']),
    { input: SOURCE, encoding: 'utf8' },
  );
}

for (const [compiler, language, std] of [
  ['gcc', 'c', 'c89'],
  ['gcc', 'c', 'gnu99'],
  ['gcc', 'c', 'c11'],
  ['g++', 'c++', 'c++11'],
  ['g++', 'c++', 'c++17'],
]) {
  const skip = !findExecutable(compiler);
  test(`cryptodev.h compiles with ${compiler} -std=${std} -pedantic`, { skip }, () => {
    const result = compile(compiler, language, [`-std=${std}`, '-pedantic']);
    assert.equal(result.status, 0, result.stderr);
  });
}

test('layout assertions fire on a wrong layout', { skip: !findExecutable('gcc') }, () => {
  const result = compile('gcc', 'c', ['-fpack-struct']);
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /static assertion failed/);
});
