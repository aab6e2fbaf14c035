'use strict';
// Runs the compiled tests (dist/test/**/*.test.js) with node's test runner.
//   node scripts/run-tests.js [node --test options…] [file filters…]
// Options (e.g. --test-name-pattern=TLS) go to node as they are; other arguments keep only
// the test files whose path contains one of them (e.g. `npm test -- harness`).
// Node 20's --test takes no globs, so the files are listed here.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const testDir = path.join(root, 'dist', 'test');

function listTests(dir) {
  if (!fs.existsSync(dir)) return [];
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...listTests(full));
    else if (entry.isFile() && entry.name.endsWith('.test.js')) found.push(full);
  }
  return found.sort();
}

const extra = process.argv.slice(2);
const options = extra.filter((a) => a.startsWith('-'));
const filters = extra.filter((a) => !a.startsWith('-'));

// The compiled TypeScript suites, and the build scripts' own tests (plain JS, test/scripts/).
let files = [...listTests(testDir), ...listTests(path.join(root, 'test', 'scripts'))];
if (filters.length > 0) {
  files = files.filter((f) => filters.some((filter) => path.relative(root, f).includes(filter)));
}
if (files.length === 0) {
  console.error(
    `no test files in ${path.relative(root, testDir)}` +
      (filters.length ? ` matching ${filters.join(', ')}` : ' (run `npm run build:ts` first)'),
  );
  process.exit(1);
}

const args = [
  '--test',
  // Each file starts its own servers on free ports; two at a time suits two cores.
  '--test-concurrency=2',
  // Node 20 applies this bound to each test FILE as a whole, not only to each test: a file
  // of real-time publishes, or the 1,500-case fuzz, can pass 120 s when CI's two cores are
  // shared with nginx and ffmpeg. Ten minutes still ends a hung file well inside CI's budget.
  '--test-timeout=600000',
  // A test that fails before its close() leaves a connection holding the event loop open;
  // its file still ends (after its after() hooks) instead of hanging the run.
  '--test-force-exit',
  ...options,
  ...files.map((f) => path.relative(root, f)),
];
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (result.error) {
  console.error(result.error.message);
  process.exit(1);
}
// Killed by a signal: exit the way a shell reports it.
process.exit(result.status ?? 128 + (os.constants.signals[result.signal] || 0));
