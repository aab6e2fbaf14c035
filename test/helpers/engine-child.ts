// A child process for the engine tests: the OpenSSL engine decision is process-wide, so
// each scenario gets a fresh Node. It connects (and publishes the fixture) once per step,
// in order, and prints one JSON line: what each step gave, and what the fake /dev/crypto
// counted during it. Run by runNodeChild(); not a test file itself.
import fs from 'node:fs';
import { engineInfo, publish, RtmpError, type ConnectionStats, type RtmpOptions, type TlsInfo } from '../../lib/index';
import { FlvParser } from '../../lib/flv';
import type { NativeEngineReport } from '../../lib/native';
import { deviceDelta, readDeviceStats, type DeviceDirection } from './fake-cryptodev';
import { AV_FLV } from './fixtures';

export interface EngineChildStep {
  label: string;
  url: string;
  /** JSON-able options: tls, engine, timeout, chunkSize. */
  options: RtmpOptions;
  /** Publish every tag of the fixture before closing (else connect and close). */
  publishFixture?: boolean;
}

export interface EngineChildInput {
  steps: EngineChildStep[];
  /** FAKE_CRYPTODEV_STATS of this child, to count per step. */
  deviceStatsFile?: string;
}

export interface EngineChildStepResult {
  label: string;
  error?: { code: string; message: string; stack: string };
  tlsInfo?: TlsInfo | null;
  stats?: ConnectionStats;
  /** What the device did from the step's start to the end of its close(). */
  device: DeviceDirection;
  /** engineInfo() after the step. */
  engine: NativeEngineReport;
}

export interface EngineChildOutput {
  steps: EngineChildStepResult[];
}

async function runStep(step: EngineChildStep, statsFile: string | undefined): Promise<EngineChildStepResult> {
  const before = statsFile ? readDeviceStats(statsFile) : undefined;
  const result: Omit<EngineChildStepResult, 'device' | 'engine'> = { label: step.label };
  try {
    const connection = await publish(step.url, step.options);
    try {
      if (step.publishFixture) {
        const tags = new FlvParser().push(fs.readFileSync(AV_FLV));
        for (let i = 0; i < tags.length; i += 16) await connection.writeTags(tags.slice(i, i + 16));
      }
      result.tlsInfo = connection.tlsInfo();
      result.stats = connection.stats();
    } finally {
      await connection.close();
    }
  } catch (err) {
    if (!(err instanceof RtmpError)) throw err;
    result.error = { code: err.code, message: err.message, stack: err.stack ?? '' };
  }
  const after = statsFile ? readDeviceStats(statsFile) : undefined;
  return { ...result, device: deviceDelta(before, after), engine: engineInfo() };
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as EngineChildInput;
  const steps: EngineChildStepResult[] = [];
  for (const step of input.steps) steps.push(await runStep(step, input.deviceStatsFile));
  const output: EngineChildOutput = { steps };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
