#!/usr/bin/env node
'use strict';

// libFuzzer on librtmp's packet reader and AMF decoder and on our FLV file reader
// (native/fuzz), under ASan, UBSan and LeakSanitizer. The bounded run is test/scripts/fuzz-native.test.js; long runs:
//   npm run fuzz:native -- --seconds 600 [--target amf_decoder_fuzzer] [--out build-fuzz]
//   npm run fuzz:native -- --runs 200000
//   npm run fuzz:native -- --replay <input>...   (runs saved inputs once, e.g. a crash)
// --seconds and --runs are per target. Builds the targets with clang into <out>/, seeds them
// from the captured nginx-rtmp replies and the FLV fixture (written to <out>/seeds/ at each run), keeps what each
// corpus grows to in <out>/corpus/<target>/ and saves a crashing input in <out>/artifacts/.
// Exits 1 on a finding.

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { findFuzzCompiler, DEBIAN_PACKAGES } = require('./lib/fuzz-toolchain');
const { findExecutable } = require('./lib/run');

const ROOT = path.resolve(__dirname, '..');
const SOURCE_DIR = path.join(ROOT, 'native', 'fuzz');
const DEFAULT_OUT = path.join(ROOT, 'build-fuzz');
const TARGETS = ['packet_reader_fuzzer', 'amf_decoder_fuzzer', 'flv_file_reader_fuzzer', 'camera_feed_fuzzer'];
// Input size caps: room for a few chunked messages, for AMF nested past the limit of
// native/patches/0018 (64 levels), or for an FLV file spanning many of the reader's slices.
const MAX_LEN = { packet_reader_fuzzer: 16384, amf_decoder_fuzzer: 8192, flv_file_reader_fuzzer: 8192, camera_feed_fuzzer: 32768 };
// A single input running this long is a hang, reported like a crash.
const HANG_SECONDS = 10;
// Lines that only a sanitizer or libFuzzer finding prints.
const FINDING = /ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error: |deadly signal/;
const SEEDS_MODULE = path.join(ROOT, 'dist', 'test', 'helpers', 'native-fuzz-seeds.js');

function missingCompilerMessage() {
  return (
    'the native fuzz targets need clang with libFuzzer ' +
    `(Debian: apt-get install ${DEBIAN_PACKAGES.join(' ')}), or NODE_LIBRTMP_FUZZ_CC=<clang>`
  );
}

function runOrThrow(command, args, { quiet }) {
  const result = spawnSync(command, args, {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    const tail = quiet ? `\n${`${result.stdout}${result.stderr}`.slice(-4000)}` : '';
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status})${tail}`);
  }
}

/** Configures (once) and builds the targets into `outDir`; returns { target: binary path }. */
function buildFuzzTargets(outDir = DEFAULT_OUT, { quiet = false } = {}) {
  const compiler = findFuzzCompiler();
  if (!compiler) throw new Error(missingCompilerMessage());
  // Configured every time (quick once done): a build folder from before the C++ target
  // learns its C++ compiler.
  const configured = fs.existsSync(path.join(outDir, 'CMakeCache.txt'));
  const generator = !configured && findExecutable('ninja') ? ['-G', 'Ninja'] : [];
  runOrThrow(
    'cmake',
    ['-S', SOURCE_DIR, '-B', outDir, ...generator, `-DCMAKE_C_COMPILER=${compiler.cc}`, `-DCMAKE_CXX_COMPILER=${compiler.cxx}`],
    { quiet },
  );
  // Two jobs at most: the tests share the machine.
  runOrThrow('cmake', ['--build', outDir, '--parallel', '2'], { quiet });
  return Object.fromEntries(TARGETS.map((target) => [target, path.join(outDir, target)]));
}

/** Writes the seed inputs under `<outDir>/seeds/<target>/`; needs `npm run build:ts`. */
function writeSeeds(outDir = DEFAULT_OUT) {
  if (!fs.existsSync(SEEDS_MODULE)) {
    throw new Error(`${path.relative(ROOT, SEEDS_MODULE)} is missing: run npm run build:ts`);
  }
  const seedsDir = path.join(outDir, 'seeds');
  const counts = require(SEEDS_MODULE).writeNativeFuzzSeeds(seedsDir);
  return { seedsDir, counts };
}

/** The figures a libFuzzer run prints, and the report of a finding if there was one. */
function parseFuzzOutput(text) {
  const stat = (name) => {
    const match = new RegExp(`stat::${name}:\\s+(\\d+)`).exec(text);
    return match ? Number(match[1]) : null;
  };
  const progress = [...text.matchAll(/\bcov: (\d+) ft: (\d+) corp: (\d+)/g)];
  const last = progress[progress.length - 1];
  const seed = /INFO: Seed: (\d+)/.exec(text);
  const lines = text.split('\n');
  const first = lines.findIndex((line) => FINDING.test(line));
  const artifact = /Test unit written to (\S+)/.exec(text);
  return {
    seed: seed ? Number(seed[1]) : null,
    execs: stat('number_of_executed_units'),
    execsPerSecond: stat('average_exec_per_sec'),
    peakRssMb: stat('peak_rss_mb'),
    cov: last ? Number(last[1]) : null,
    ft: last ? Number(last[2]) : null,
    corpus: last ? Number(last[3]) : null,
    finding: first >= 0 ? lines.slice(first, first + 40).join('\n') : null,
    artifact: artifact ? artifact[1] : null,
  };
}

/**
 * Runs one target: fuzzing for `runs` inputs or `seconds` (from `corpusDirs`, the first of
 * which receives what the corpus grows to), or, with `inputs`, only those files once each.
 * Resolves to parseFuzzOutput's figures plus `exitCode`, `failed` and the full `output`.
 */
function runFuzzTarget(binary, options) {
  const { runs, seconds, corpusDirs = [], inputs, artifactDir, maxLen, echo = false } = options;
  const args = [`-timeout=${HANG_SECONDS}`, '-print_final_stats=1'];
  if (maxLen) args.push(`-max_len=${maxLen}`);
  if (artifactDir) {
    fs.mkdirSync(artifactDir, { recursive: true });
    args.push(`-artifact_prefix=${artifactDir}${path.sep}${path.basename(binary)}-`);
  }
  if (runs !== undefined) args.push(`-runs=${runs}`);
  if (seconds !== undefined) args.push(`-max_total_time=${seconds}`);
  if (inputs) {
    args.push(...inputs);
  } else {
    for (const dir of corpusDirs) fs.mkdirSync(dir, { recursive: true });
    args.push(...corpusDirs);
  }
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    const keep = (chunk) => {
      chunks.push(chunk);
      if (echo) process.stderr.write(chunk);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const output = Buffer.concat(chunks).toString('utf8');
      const parsed = parseFuzzOutput(output);
      const exitCode = code ?? 128;
      resolve({ ...parsed, exitCode, signal, failed: exitCode !== 0 || parsed.finding !== null, output });
    });
  });
}

function summary(target, result) {
  const figures = [
    `${result.execs ?? '?'} execs`,
    `${result.execsPerSecond ?? '?'} exec/s`,
    `cov ${result.cov ?? '?'}`,
    `ft ${result.ft ?? '?'}`,
    `corpus ${result.corpus ?? '?'}`,
    `peak RSS ${result.peakRssMb ?? '?'} MB`,
    `seed ${result.seed ?? '?'}`,
  ];
  return `${target}: ${figures.join(', ')}`;
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      target: { type: 'string', multiple: true },
      runs: { type: 'string' },
      seconds: { type: 'string' },
      out: { type: 'string', default: DEFAULT_OUT },
      replay: { type: 'boolean', default: false },
    },
  });
  const targets = values.target ?? TARGETS;
  for (const target of targets) {
    if (!TARGETS.includes(target)) throw new Error(`unknown target ${target} (${TARGETS.join(', ')})`);
  }
  if (values.replay && positionals.length === 0) throw new Error('--replay needs input files');
  if (!values.replay && values.runs === undefined && values.seconds === undefined) {
    throw new Error('say how long: --runs N or --seconds S (per target)');
  }
  const outDir = path.resolve(values.out);
  const binaries = buildFuzzTargets(outDir);
  const seeds = values.replay ? null : writeSeeds(outDir);
  let failed = false;
  for (const target of targets) {
    const common = { artifactDir: path.join(outDir, 'artifacts'), maxLen: MAX_LEN[target], echo: true };
    let result;
    if (values.replay) {
      result = await runFuzzTarget(binaries[target], {
        ...common,
        inputs: positionals.map((p) => path.resolve(p)),
      });
      console.log(`${target}: replayed ${positionals.length} input(s)`);
    } else {
      result = await runFuzzTarget(binaries[target], {
        ...common,
        runs: values.runs !== undefined ? Number(values.runs) : undefined,
        seconds: values.seconds !== undefined ? Number(values.seconds) : undefined,
        corpusDirs: [path.join(outDir, 'corpus', target), path.join(seeds.seedsDir, target)],
      });
      console.log(`${summary(target, result)}, ${seeds.counts[target]} seeds`);
    }
    if (result.failed) {
      failed = true;
      console.error(`${target}: FINDING${result.artifact ? ` (input saved as ${result.artifact})` : ''}`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}

module.exports = { TARGETS, MAX_LEN, buildFuzzTargets, writeSeeds, runFuzzTarget, parseFuzzOutput, summary };

if (require.main === module) {
  main().catch((error) => {
    console.error(`fuzz-native: ${error.message}`);
    process.exitCode = 1;
  });
}
