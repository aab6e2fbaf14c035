'use strict';

// The pieces of `npm run prebuilds` that need no cross toolchain: the glibc floor check, the
// bullseye APT entries and the sysroot's symlink rewriting.

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const test = require('node:test');
const { inspect } = require('../../scripts/check-prebuilds');
const { bullseyeSourcesList, relativizeSymlinks } = require('../../scripts/lib/target-sysroot');

function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-librtmp-prebuild-checks-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// A stripped shared object built with the host's (bookworm, glibc 2.36) compiler.
function sharedObject(dir, name, source) {
  const c = path.join(dir, `${name}.c`);
  const so = path.join(dir, `${name}.so`);
  fs.writeFileSync(c, source);
  execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-s', '-o', so, c]);
  return so;
}

test('a shared object needing GLIBC_2.34 (bookworm pthread_create) is above the floor', (t) => {
  const dir = tempDir(t);
  const so = sharedObject(
    dir,
    'new',
    '#include <pthread.h>\nstatic void *run(void *a) { return a; }\n' +
      'int start(pthread_t *t) { return pthread_create(t, 0, run, 0); }\n',
  );
  const result = inspect(so);
  assert.equal(result.glibc, 'GLIBC_2.34');
  assert.match(result.problems.join('\n'), /needs GLIBC_2\.34, above GLIBC_2\.28/);
});

test('an old-symbol, stripped shared object passes; unstripped or needing libstdc++ does not', (t) => {
  const dir = tempDir(t);
  const ok = sharedObject(dir, 'old', '#include <string.h>\nsize_t len(const char *s) { return strlen(s); }\n');
  assert.deepEqual(inspect(ok).problems, []);

  const unstripped = path.join(dir, 'unstripped.so');
  execFileSync('gcc', ['-shared', '-fPIC', '-o', unstripped, path.join(dir, 'old.c')]);
  assert.match(inspect(unstripped).problems.join('\n'), /not stripped/);

  const cxx = path.join(dir, 'cxx.so');
  fs.writeFileSync(path.join(dir, 'cxx.cc'), '#include <string>\nsize_t n(const char *s) { return std::string(s).size(); }\n');
  execFileSync('g++', ['-shared', '-fPIC', '-s', '-o', cxx, path.join(dir, 'cxx.cc')]);
  assert.match(inspect(cxx).problems.join('\n'), /libstdc\+\+\.so\.6|GLIBCXX/);
});

test('bullseye entries come from the machine’s own deb entries, release suite only', () => {
  const signedBy = { paths: ['/usr/share/keyrings/debian-archive-keyring.gpg'] };
  const entries = [
    { type: 'deb', uri: 'http://deb.invalid/debian', suite: 'bookworm', components: ['main'], signedBy },
    { type: 'deb', uri: 'http://deb.invalid/debian', suite: 'bookworm-updates', components: ['main'], signedBy },
    { type: 'deb', uri: 'http://deb.invalid/debian-security', suite: 'bookworm-security', components: ['main'] },
    { type: 'deb-src', uri: 'http://deb.invalid/debian', suite: 'bookworm', components: ['main'] },
    { type: 'deb', uri: 'https://third-party.invalid/apt', suite: 'nodistro', components: ['main'] },
  ];
  assert.equal(
    bullseyeSourcesList(entries, 'bookworm', 'armhf'),
    'deb [arch=armhf signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.invalid/debian bullseye main',
  );
});

test('absolute symlinks inside the unpacked sysroot become relative to it', (t) => {
  const root = tempDir(t);
  fs.mkdirSync(path.join(root, 'lib', 'arm-linux-gnueabihf'), { recursive: true });
  fs.mkdirSync(path.join(root, 'usr', 'lib', 'arm-linux-gnueabihf'), { recursive: true });
  fs.writeFileSync(path.join(root, 'lib', 'arm-linux-gnueabihf', 'libm.so.6'), 'x');
  const link = path.join(root, 'usr', 'lib', 'arm-linux-gnueabihf', 'libm.so');
  fs.symlinkSync('/lib/arm-linux-gnueabihf/libm.so.6', link);
  fs.symlinkSync('libm.so', path.join(root, 'usr', 'lib', 'arm-linux-gnueabihf', 'relative.so'));
  relativizeSymlinks(root);
  assert.equal(fs.readlinkSync(link), '../../../lib/arm-linux-gnueabihf/libm.so.6');
  assert.equal(fs.readFileSync(link, 'utf8'), 'x');
  assert.equal(fs.readlinkSync(path.join(root, 'usr', 'lib', 'arm-linux-gnueabihf', 'relative.so')), 'libm.so');
});
