// `npm run test:prebuilds`, part 2: the tarball `npm pack` makes installs on a machine with no
// compiler and no cmake (it must take the prebuild), publishes a stream, and carries what a
// source build needs (native sources, the pinned manifest, patches, CMake files) but no tests,
// benchmarks or build output.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { AV_FLV, avFacts } from '../helpers/fixtures';
import { ffprobeFrames } from '../helpers/media';
import { startNginx, type NginxServer } from '../helpers/nginx';
import { REPO_ROOT } from './package-copy';

const run = promisify(execFile);

const MUST_SHIP = [
  'package.json',
  'CMakeLists.txt',
  'cmake/librtmp.cmake',
  'cmake/toolchains/linux-gnu.cmake',
  'cmake/toolchains/aarch64-linux-gnu.cmake',
  'cmake/toolchains/arm-linux-gnueabihf.cmake',
  'cmake/toolchains/x86_64-linux-gnu.cmake',
  'scripts/deps.json',
  'scripts/install.js',
  'scripts/prepare-deps.js',
  'native/exports.map',
  'dist/lib/index.js',
  'dist/lib/index.d.ts',
  'prebuilds/linux-x64/node-librtmp.node',
  'prebuilds/linux-arm64/node-librtmp.node',
  'prebuilds/linux-arm/node-librtmp.armv7.node',
];
const MUST_SHIP_SOME = ['native/src/', 'native/patches/', 'native/cryptodev/crypto/'];
const MUST_NOT_SHIP = /^(test|bench|build|build-fuzz|native\/fuzz|dist\/test|node_modules|\.ci|\.cache)\//;
const BUILD_TOOLS = ['cmake', 'cc', 'gcc', 'c++', 'g++', 'make', 'clang'];

let work: string;
let tarball: string;
let files: string[];
let nginx: NginxServer;

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'node-librtmp-packed-'));
  // --ignore-scripts: dist/lib is already built (npm run build:ts); `prepare` would rebuild it.
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
    cwd: REPO_ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(work, packed.filename);
  files = packed.files.map((f) => f.path);
  nginx = await startNginx({ record: true });
});

after(async () => {
  await nginx?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('the tarball carries the sources, manifest, patches, CMake files and all three prebuilds', () => {
  for (const file of MUST_SHIP) assert.ok(files.includes(file), `missing ${file}`);
  for (const dir of MUST_SHIP_SOME) assert.ok(files.some((f) => f.startsWith(dir)), `nothing under ${dir}`);
  const unwanted = files.filter((f) => MUST_NOT_SHIP.test(f));
  assert.deepEqual(unwanted, [], 'tests, benchmarks and build output stay out of the tarball');
});

test('installs with no compiler and no cmake on PATH, and publishes a stream', { timeout: 300_000 }, async (t) => {
  // A PATH with only node and npm (and the shell npm runs lifecycle scripts with).
  const binDir = path.join(work, 'bin');
  fs.mkdirSync(binDir);
  for (const tool of ['node', 'npm', 'sh']) {
    const { stdout } = await run('sh', ['-c', `command -v ${tool}`]);
    fs.symlinkSync(fs.realpathSync(stdout.trim()), path.join(binDir, tool));
  }
  const env = { ...process.env, PATH: binDir };
  const missing = await run('sh', ['-c', BUILD_TOOLS.map((tool) => `! command -v ${tool}`).join(' && ')], { env });
  assert.equal(missing.stdout, '', 'no build tool is reachable');

  const project = path.join(work, 'app');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), '{"name":"app","private":true}\n');
  const install = await run('npm', ['install', '--no-audit', '--no-fund', '--foreground-scripts', tarball], {
    cwd: project,
    env,
    maxBuffer: 16 * 1024 * 1024,
  });
  assert.match(install.stderr + install.stdout, /using the prebuilt addon/);
  const installed = path.join(project, 'node_modules', 'node-librtmp');
  assert.ok(!fs.existsSync(path.join(installed, 'build')), 'nothing was built');

  const script = `
    const fs = require('node:fs');
    const lib = require('node-librtmp');
    (async () => {
      const pub = await lib.publish(process.argv[1]);
      await pub.write(fs.readFileSync(process.argv[2]));
      await pub.close();
      const file = require('node-gyp-build').path(require.resolve('node-librtmp/package.json').replace(/package\\.json$/, ''));
      console.log(JSON.stringify({ openssl: lib.versions().openssl, file }));
    })().catch((e) => { console.error(e.code, e.message); process.exitCode = 1; });`;
  const { stdout } = await run('node', ['-e', script, nginx.url('live', 'packed'), AV_FLV], { cwd: project, env });
  const report = JSON.parse(stdout.trim()) as { openssl: string; file: string };
  assert.match(report.openssl, /^OpenSSL 1\.1\.1w /);
  assert.equal(report.file, path.join(installed, 'prebuilds', 'linux-x64', 'node-librtmp.node'));
  t.diagnostic(`installed tarball of ${(fs.statSync(tarball).size / 1024 / 1024).toFixed(1)} MB`);

  const probe = await ffprobeFrames(await nginx.waitForRecording('packed', 30_000));
  assert.equal(probe.video?.frames, avFacts.video.frames);
  assert.equal(probe.audio?.frames, avFacts.audio.frames);
});
