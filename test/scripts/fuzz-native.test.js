'use strict';

// The libFuzzer targets (native/fuzz), bounded: each fuzzes from the captured nginx-rtmp
// replies for a fixed number of inputs under ASan, UBSan and LeakSanitizer, and the inputs that found
// bugs (fixed by native/patches/0018) are replayed. Any sanitizer report fails. Long runs:
// npm run fuzz:native -- --seconds 600.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');
const { MAX_LEN, buildFuzzTargets, runFuzzTarget, summary, writeSeeds } = require('../../scripts/fuzz-native');

const ROOT = path.resolve(__dirname, '..', '..');
const BUILD_DIR = path.join(ROOT, 'build-fuzz');

// Inputs per target, not seconds: a count is the same on a loaded CI machine. About 30 s in
// all on an idle one (packet reader ~2,000 inputs/s, AMF decoder ~50,000, FLV file reader
// ~150: it opens a file per input; camera feed ~2,000).
const RUNS = { packet_reader_fuzzer: 30_000, amf_decoder_fuzzer: 300_000, flv_file_reader_fuzzer: 1_500, camera_feed_fuzzer: 30_000 };
// Coverage (libFuzzer's "cov") that the seeds alone reach, rounded down: a target whose seeds
// stopped driving librtmp (a failed handshake, seeds not found) stays far below.
const MIN_COVERAGE = { packet_reader_fuzzer: 350, amf_decoder_fuzzer: 110, flv_file_reader_fuzzer: 100, camera_feed_fuzzer: 200 };

// An options byte (see the targets), then the input; base64 as libFuzzer printed them.
const REGRESSIONS = [
  {
    target: 'amf_decoder_fuzzer',
    what: 'a value list that fails after its first value leaks nothing',
    base64: 'cAEAAA==',
  },
  {
    target: 'amf_decoder_fuzzer',
    what: 'an empty string encodes without memcpy from NULL',
    base64: 'cAIAAA==',
  },
  {
    target: 'packet_reader_fuzzer',
    what: 'an empty message reads no body through a NULL pointer',
    base64: 'O/s=',
  },
  {
    target: 'packet_reader_fuzzer',
    what: 'an empty Flex message does not make HandleInvoke read address 1',
    base64: 'AHsAAAAAAAAR/w==',
  },
  {
    target: 'packet_reader_fuzzer',
    what: 'a _result whose transaction id is out of int range is matched without UB',
    base64: 'AAMAAAAAAB0UAAAAAAIAB19yZXN1bHQAYAAAAAAAAAAFAD/wAAAAAKoAAA==',
  },
  {
    target: 'packet_reader_fuzzer',
    what: 'a createStream result with a stream id out of int range is taken without UB',
    // connect's _result, then createStream's (transaction 2) with the stream id 1e300.
    base64: 'AAMAAAAAABUUAAAAAAIAB19yZXN1bHQAP/AAAAAAAAAFBQMAAAAAAB0UAAAAAAIAB19yZXN1bHQAQAAAAAAAAAAFAH435DyIAHWc',
  },
  // Found as strict arrays nested ~600 deep (3 KB; the targets run on a 256 KB stack); made
  // here rather than kept, for both kinds of nesting.
  {
    target: 'amf_decoder_fuzzer',
    what: 'strict arrays nested 2,000 deep are refused, not recursed into until the stack ends',
    // A value list holding a one-element strict array whose element is one, and so on.
    input: () => Buffer.from(`00${'0a00000001'.repeat(2000)}`, 'hex'),
  },
  {
    target: 'amf_decoder_fuzzer',
    what: 'objects nested 2,000 deep are refused, not recursed into until the stack ends',
    // A value list holding an object whose property "a" is an object, and so on.
    input: () => Buffer.from(`0003${'00016103'.repeat(2000)}`, 'hex'),
  },
];

describe('libFuzzer targets on librtmp', () => {
  let binaries;
  let workDir;

  before(
    () => {
      // Throws (and fails every test) when clang or libFuzzer is missing.
      binaries = buildFuzzTargets(BUILD_DIR, { quiet: true });
      workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-librtmp-fuzz-'));
    },
    { timeout: 600_000 },
  );

  after(() => {
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  for (const target of Object.keys(RUNS)) {
    test(`${target}: ${RUNS[target]} inputs from the nginx-rtmp seeds, no finding`, { timeout: 300_000 }, async (t) => {
      const { seedsDir, counts } = writeSeeds(path.join(workDir, 'seeds-out'));
      assert.ok(counts[target] > 0, 'no seeds written');
      const result = await runFuzzTarget(binaries[target], {
        runs: RUNS[target],
        corpusDirs: [path.join(workDir, 'corpus', target), path.join(seedsDir, target)],
        artifactDir: path.join(workDir, 'artifacts'),
        maxLen: MAX_LEN[target],
      });
      t.diagnostic(`${summary(target, result)}, ${counts[target]} seeds`);
      assert.equal(result.failed, false, result.finding ?? result.output.slice(-3000));
      assert.ok(result.execs >= RUNS[target], `only ${result.execs} of ${RUNS[target]} inputs ran`);
      assert.ok(result.cov >= MIN_COVERAGE[target], `coverage ${result.cov} < ${MIN_COVERAGE[target]}`);
    });
  }

  for (const [i, regression] of REGRESSIONS.entries()) {
    test(`${regression.target} regression: ${regression.what}`, async () => {
      const file = path.join(workDir, `regression-${i}`);
      fs.writeFileSync(file, regression.input ? regression.input() : Buffer.from(regression.base64, 'base64'));
      const result = await runFuzzTarget(binaries[regression.target], { inputs: [file] });
      assert.equal(result.failed, false, result.finding ?? result.output.slice(-3000));
      assert.match(result.output, /Executed .* in \d+ ms/);
    });
  }
});
