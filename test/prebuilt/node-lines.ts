// `npm run test:node-lines [LINE…]` (in .ci/run, after `npm test` on the machine's Node): the
// suite's files that exercise the addon run again on each tested Node line's official x64
// build from npm (target-node.ts, NODE_LINES: 22, 24 and 26), loading the addon that
// `npm install` built once (N-API: one binary for every line). The child processes the tests
// start (the CLI, exit and worker tests) run on the same build: its bin/ comes first on PATH
// and the tests spawn process.execPath.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { NODE_LINES, nodeLine, officialNodeBinary } from './target-node';

const ROOT = path.resolve(__dirname, '..', '..', '..');

// Left out on the extra lines, with why (docs/BUILDING.md repeats this).
const LEFT_OUT: Record<string, string> = {
  'test/scripts/':
    'the build scripts\' own tests (fetching, patching, the prebuild checks, the libFuzzer targets built with clang): ' +
    'they test the build, not the addon on a Node line',
  'dist/test/openssl3.test.js': 'compiles librtmp against the system OpenSSL 3 in C; it never loads the addon',
};

function listTests(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return listTests(full);
      return entry.isFile() && entry.name.endsWith('.test.js') ? [full] : [];
    })
    .sort();
}

function main(lines: string[]): number {
  const builds = NODE_LINES['linux-x64'].filter((spec) => lines.length === 0 || lines.includes(nodeLine(spec)));
  if (builds.length === 0) {
    console.error(`no tested line among ${lines.join(', ')} (tested: ${NODE_LINES['linux-x64'].map(nodeLine).join(', ')})`);
    return 2;
  }
  const all = listTests(path.join(ROOT, 'dist', 'test')).map((file) => path.relative(ROOT, file));
  const files = all.filter((file) => !Object.keys(LEFT_OUT).some((prefix) => file.startsWith(prefix)));
  for (const [prefix, reason] of Object.entries(LEFT_OUT)) console.log(`# left out: ${prefix}: ${reason}`);
  const results: string[] = [];
  let failed = false;
  for (const spec of builds) {
    const node = officialNodeBinary(spec);
    const started = Date.now();
    console.log(`# Node ${nodeLine(spec)} (${spec}): ${files.length} test files`);
    const result = spawnSync(node, [path.join('scripts', 'run-tests.js'), ...files], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ''}` },
    });
    const minutes = ((Date.now() - started) / 60_000).toFixed(1);
    const ok = result.status === 0;
    failed ||= !ok;
    results.push(`# Node ${nodeLine(spec)} (${spec}): ${ok ? 'passed' : `FAILED (${result.error?.message ?? result.signal ?? `exit ${result.status}`})`} in ${minutes} min`);
  }
  console.log(results.join('\n'));
  return failed ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
