'use strict';

// The compiler for the libFuzzer targets (native/fuzz): a clang that has libFuzzer's runtime.
// Debian puts them in two packages (clang-14, libclang-rt-14-dev); NODE_LIBRTMP_FUZZ_CC names
// another clang.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { findExecutable } = require('./run');

const CANDIDATES = ['clang', 'clang-19', 'clang-18', 'clang-17', 'clang-16', 'clang-15', 'clang-14'];
const DEBIAN_PACKAGES = ['clang-14', 'libclang-rt-14-dev'];

// clang's names for the processors Node runs on.
const CLANG_ARCH = { x64: 'x86_64', arm64: 'aarch64', arm: 'armhf', ia32: 'i386' };

/** Path of `cc`'s libFuzzer runtime archive, or null when it has none. */
function libFuzzerRuntime(cc) {
  const result = spawnSync(cc, ['--print-runtime-dir'], { encoding: 'utf8' });
  if (result.status !== 0) return null;
  const dir = result.stdout.trim();
  let names = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return null;
  }
  // libclang_rt.fuzzer-x86_64.a (clang 14), or libclang_rt.fuzzer.a in a per-target folder.
  const wanted = [`libclang_rt.fuzzer-${CLANG_ARCH[process.arch]}.a`, 'libclang_rt.fuzzer.a'];
  const name = wanted.find((n) => names.includes(n));
  return name ? path.join(dir, name) : null;
}

/** { cc, cxx, runtime } for the first clang (and its clang++) with libFuzzer, or null. */
function findFuzzCompiler(env = process.env) {
  const names = env.NODE_LIBRTMP_FUZZ_CC ? [env.NODE_LIBRTMP_FUZZ_CC] : CANDIDATES;
  for (const name of names) {
    const cc = findExecutable(name, env);
    if (!cc) continue;
    // clang-14 → clang++-14, beside it; NODE_LIBRTMP_FUZZ_CXX names another.
    const cxxName = env.NODE_LIBRTMP_FUZZ_CXX || path.basename(name).replace(/^clang/, 'clang++');
    const cxx = findExecutable(cxxName, env) ?? findExecutable(path.join(path.dirname(cc), cxxName), env);
    const runtime = libFuzzerRuntime(cc);
    if (runtime && cxx) return { cc, cxx, runtime };
  }
  return null;
}

module.exports = { findFuzzCompiler, DEBIAN_PACKAGES };
