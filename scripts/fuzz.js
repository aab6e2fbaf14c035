#!/usr/bin/env node
'use strict';

// Long fuzz runs against the hostile server (the bounded run is test/fuzz.test.ts):
//   npm run fuzz -- --cases 1000000 --seed 42 [--concurrency 4] [--timeout 1500]
// Under the sanitizer build: scripts/with-asan.sh node scripts/fuzz.js --cases 5000
// A failing case prints its seed; `--cases 1 --seed <it>` replays it.
const path = require('node:path');
const { parseArgs } = require('node:util');

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '10000' },
    seed: { type: 'string' },
    concurrency: { type: 'string', default: '4' },
    timeout: { type: 'string', default: '1500' },
  },
});
const { runCases } = require(path.join(__dirname, '..', 'dist', 'test', 'helpers', 'fuzz-runner.js'));

const cases = Number(values.cases);
const firstSeed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 32);
const started = Date.now();
const outcomes = new Map();
let done = 0;
let failed = 0;
console.log(`fuzz: ${cases} cases from seed ${firstSeed}`);
runCases(firstSeed, cases, {
  concurrency: Number(values.concurrency),
  timeoutMs: Number(values.timeout),
  onResult(r) {
    done++;
    const key = `${r.mode}:${r.outcome}`;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    if (r.failure) {
      failed++;
      console.error(`FAIL ${r.failure}`);
    }
    if (done % 1000 === 0) console.log(`${done} cases, ${failed} failed, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  },
}).then(() => {
  console.log(`fuzz: ${done} cases in ${((Date.now() - started) / 1000).toFixed(1)} s, ${failed} failed`);
  console.log(Object.fromEntries([...outcomes].sort()));
  process.exitCode = failed === 0 ? 0 : 1;
});
