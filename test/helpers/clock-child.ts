// A child process for the TLS clock test, run under libfaketime (`faketime`) so that its
// clock alone reads another date: it connects to the nginx TLS front once, then lets a
// reconnecting publisher try twice, and prints one JSON line with what each said.
// Not a test file.
import { connect, publishCamera, RtmpError, type ReconnectingEvent } from '../../lib/index';

export interface ClockInput {
  url: string;
  /** The test CA, PEM. */
  ca: string;
}

export interface ClockError {
  code: string;
  reason?: string;
  message: string;
  validFrom?: string;
  validTo?: string;
  deviceTime?: string;
}

export interface ClockResult {
  /** This process's clock when it started (what faketime made it). */
  now: string;
  connect: { ok: true } | { ok: false; error: ClockError };
  reconnecting: ReconnectingEvent[];
}

function describe(error: unknown): ClockError {
  if (!(error instanceof RtmpError)) return { code: 'not an RtmpError', message: String(error) };
  return {
    code: error.code,
    reason: error.reason,
    message: error.message,
    validFrom: error.validFrom?.toISOString(),
    validTo: error.validTo?.toISOString(),
    deviceTime: error.deviceTime?.toISOString(),
  };
}

async function main(input: ClockInput): Promise<ClockResult> {
  const now = new Date().toISOString();
  const tls = { ca: input.ca };
  let result: ClockResult['connect'];
  try {
    const connection = await connect(input.url, { mode: 'publish', tls, timeout: 10_000 });
    await connection.close();
    result = { ok: true };
  } catch (error) {
    result = { ok: false, error: describe(error) };
  }
  // A camera that boots before NTP: the first connection in the background, retried.
  const reconnecting: ReconnectingEvent[] = [];
  const camera = await publishCamera(input.url, { rtmp: { tls, timeout: 10_000 }, retryFirstConnection: true, reconnect: { initialDelayMs: 100, retries: 5 } });
  await new Promise<void>((resolve) => {
    camera.on('connected', () => resolve());
    camera.on('reconnecting', (event: ReconnectingEvent) => {
      reconnecting.push(event);
      if (reconnecting.length >= 2) resolve();
    });
  });
  await camera.close();
  return { now, connect: result, reconnecting };
}

main(JSON.parse(process.argv[2]) as ClockInput).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
