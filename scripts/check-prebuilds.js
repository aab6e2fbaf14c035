#!/usr/bin/env node
'use strict';

// Usage: node scripts/check-prebuilds.js [prebuilds folder]
// Fails unless every prebuilds/<platform>-<arch>/*.node needs at most GLIBC_2.28 (Node 18's own
// floor), no C++ runtime or other shared library beyond glibc's, and is stripped. Reads the
// ELF version-needs section with readelf, which understands every architecture.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const GLIBC_FLOOR = [2, 28];
const ALLOWED_NEEDED = /^(libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|ld-linux[-.\w]*\.so\.\d)$/;

function compareVersions(a, b) {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const diff = (a[i] || 0) - (b[i] || 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function readelf(args, file) {
  return execFileSync('readelf', [...args, '-W', file], { encoding: 'utf8' });
}

/** { glibc: highest GLIBC_x.y needed, needed: shared libraries, problems: [text] } */
function inspect(file) {
  const problems = [];
  const versions = [...readelf(['-V'], file).matchAll(/Name: (GLIBC_[\d.]+)/g)].map((m) => m[1]);
  const numbers = versions.map((v) => v.slice('GLIBC_'.length).split('.').map(Number));
  const highest = numbers.sort(compareVersions).pop() || [0];
  if (compareVersions(highest, GLIBC_FLOOR) > 0) {
    problems.push(`needs GLIBC_${highest.join('.')}, above GLIBC_${GLIBC_FLOOR.join('.')}`);
  }
  const other = readelf(['-V'], file).match(/Name: ((GLIBCXX|CXXABI|GCC)_[\d.]+)/);
  if (other) problems.push(`needs ${other[1]} (the C++ runtime must be linked statically)`);
  const needed = [...readelf(['-d'], file).matchAll(/\(NEEDED\).*\[(.+)\]/g)].map((m) => m[1]);
  for (const lib of needed) if (!ALLOWED_NEEDED.test(lib)) problems.push(`needs ${lib}`);
  if (/\.symtab/.test(readelf(['-S'], file))) problems.push('not stripped (.symtab present)');
  return { glibc: `GLIBC_${highest.join('.')}`, needed, problems, size: fs.statSync(file).size };
}

function main() {
  const dir = path.resolve(process.argv[2] || path.join(__dirname, '..', 'prebuilds'));
  const files = fs.existsSync(dir)
    ? fs.readdirSync(dir).flatMap((sub) =>
        fs.readdirSync(path.join(dir, sub)).filter((n) => n.endsWith('.node')).map((n) => path.join(dir, sub, n)),
      )
    : [];
  if (files.length === 0) {
    console.error(`check-prebuilds: no prebuilds in ${dir}`);
    return 1;
  }
  let failed = 0;
  for (const file of files) {
    const result = inspect(file);
    const mb = (result.size / 1024 / 1024).toFixed(2);
    const status = result.problems.length ? `FAIL: ${result.problems.join('; ')}` : 'ok';
    console.log(`${path.relative(dir, file)}: ${mb} MB, ${result.glibc}, needs ${result.needed.join(' ')}: ${status}`);
    if (result.problems.length) failed += 1;
  }
  return failed ? 1 : 0;
}

module.exports = { inspect };

if (require.main === module) process.exitCode = main();
