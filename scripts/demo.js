'use strict';
// `npm run demo`: a newcomer's first look. Starts a loopback nginx-rtmp (the test harness's),
// pushes the fixture with live progress, pulls it back, and prints what ffprobe decoded;
// then stops everything. Needs `npm run build` (or build:ts) first, nginx and ffprobe.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist', 'test', 'helpers');
const cli = path.join(root, 'bin', 'librtmp.js');

function need(file, hint) {
  if (!fs.existsSync(file)) {
    console.error(`demo: ${path.relative(root, file)} is missing; run ${hint} first`);
    process.exit(1);
  }
}

// Runs the CLI; its stderr (the progress line) goes to this terminal. Resolves with the exit code.
function librtmp(args, stdio = ['ignore', 'inherit', 'inherit']) {
  // Shown as a user would type it, but with the stream name masked as the CLI itself does.
  const shown = args.map((a) => (a.includes('://') ? a.replace(/[^/]*$/, '****') : a));
  console.log(`$ librtmp ${shown.join(' ')}`);
  const child = spawn(process.execPath, [cli, ...args], { stdio });
  const exited = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? signal));
  });
  return { child, exited };
}

async function main() {
  need(path.join(dist, 'nginx.js'), '`npm run build:ts`');
  need(path.join(root, 'dist', 'lib', 'cli', 'main.js'), '`npm run build:ts`');
  const { startNginx } = require(path.join(dist, 'nginx.js'));
  const { ffprobeFrames } = require(path.join(dist, 'media.js'));
  const { AV_FLV } = require(path.join(dist, 'fixtures.js'));

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-demo-'));
  const nginx = await startNginx();
  console.log(`nginx-rtmp listening on 127.0.0.1:${nginx.port}`);
  let failed = false;
  try {
    await librtmp(['info']).exited;
    const url = nginx.url('live', 'demo');
    const out = path.join(tmp, 'pulled.flv');
    // The player subscribes first (nginx holds it until the stream starts) and ends when the
    // publisher unpublishes; only the publisher shows progress, to keep one line.
    const pull = librtmp(['pull', '--live', '--progress=none', url, out]);
    await nginx.waitForLog(/play: name='demo'/);
    const progress = process.stderr.isTTY ? 'tty' : 'json';
    const pushed = await librtmp(['push', `--progress=${progress}`, path.relative(process.cwd(), AV_FLV), url]).exited;
    if (pushed !== 0) throw new Error(`push exited with ${pushed}`);
    const pulled = await pull.exited;
    if (pulled !== 0) throw new Error(`pull exited with ${pulled}`);
    console.log(`\nffprobe of what was pulled back (${fs.statSync(out).size} bytes):`);
    const probe = await ffprobeFrames(out);
    for (const s of probe.streams) console.log(`  ${s.codecType}: ${s.codecName}, ${s.frames} frames decoded`);
    if (probe.durationSeconds !== undefined) console.log(`  duration ${probe.durationSeconds.toFixed(2)} s`);
  } catch (error) {
    failed = true;
    console.error(`demo: ${error.message}`);
  } finally {
    await nginx.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}

main();
