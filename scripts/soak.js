#!/usr/bin/env node
'use strict';
// npm run soak -- [--duration 60m] [--seed N] [--destinations N] [--short] [--out DIR]
// A real-time camera stream through publishCamera over RTMPS under a schedule of faults (see
// test/soak/): runs in private network and mount namespaces (root, iproute2, tc, nginx with
// the rtmp and stream modules, ffmpeg), prints a report table and writes it (JSON and
// Markdown) to --out. Destination 0 takes the faults; the others must lose nothing.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const { buildSchedule, scheduleEndMs } = require(path.join(root, 'dist/test/soak/schedule.js'));
const { formatReport } = require(path.join(root, 'dist/test/soak/report.js'));

function parseDuration(text) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(text));
  if (!m) throw new Error(`--duration: '${text}' is not a duration like 90s, 60m or 2h`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'];
}

function parseArgs(argv) {
  const args = { durationMs: undefined, seed: 1, destinations: 2, short: false, out: path.join(root, 'soak-report') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--duration') args.durationMs = parseDuration(value());
    else if (a === '--seed') args.seed = Number(value());
    else if (a === '--destinations') args.destinations = Number(value());
    else if (a === '--short') args.short = true;
    else if (a === '--out') args.out = path.resolve(value());
    else throw new Error(`unknown option ${a}`);
  }
  // --short alone: the short schedule's own length (every kind once); with --duration, the
  // same faults spread over that time.
  args.durationMs ??= args.short ? 0 : 3_600_000;
  if (!Number.isInteger(args.seed)) throw new Error('--seed must be an integer');
  if (!Number.isInteger(args.destinations) || args.destinations < 1 || args.destinations > 16) {
    throw new Error('--destinations must be 1 to 16 (destination 0 takes the faults)');
  }
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const faults = buildSchedule(args.durationMs, args.seed, args.short);
  const runMs = Math.max(args.durationMs, scheduleEndMs(faults, args.short));
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-soak-'));
  const input = { faults, runMs, destinations: args.destinations, workDir };
  console.error(`soak: ${Math.round(runMs / 1000)} s, seed ${args.seed}, ${args.destinations} destinations, ${faults.length} faults`);
  const child = spawn('unshare', ['--net', '--mount', '--', process.execPath, path.join(root, 'dist/test/soak/soak-child.js'), JSON.stringify(input)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const code = await new Promise((resolve) => child.on('close', resolve));
  fs.rmSync(workDir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`the soak failed (exit ${code})`);
  const report = JSON.parse(stdout.trim().split('\n').pop());
  fs.mkdirSync(args.out, { recursive: true });
  fs.writeFileSync(path.join(args.out, 'soak-report.json'), `${JSON.stringify({ seed: args.seed, ...report }, null, 2)}\n`);
  const table = formatReport(report, args.seed);
  fs.writeFileSync(path.join(args.out, 'soak-report.md'), table);
  process.stdout.write(table);
}

main().catch((error) => {
  console.error(`soak: ${error.message}`);
  process.exit(1);
});
