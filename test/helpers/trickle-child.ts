// A child process for the trickling-link test, run in a network namespace of its own
// (runNodeChildInNetns). nginx-rtmp (behind its TLS front for rtmps) and a publisher connect
// at full speed; then the loopback is shaped to a slow rate, so the server takes the bytes of
// one big tag a few KB at a time: every send() makes some progress before the send timeout,
// and only a deadline for the whole write can end it. One JSON line reports what happened.
// Not a test file.
import { publish, RtmpError, type FlvTag } from '../../lib/index';
import { makeTestPki } from './certs';
import { bringLoopbackUp, shapedBytes, shapeLoopback, smallTcpBuffers } from './netns';
import { startNginx } from './nginx';
import { openFds, threadCount, waitForBaseline } from './process-state';

export interface TrickleInput {
  /** rtmps: through nginx's TLS front, with a PKI made for the run. */
  scheme: 'rtmp' | 'rtmps';
  /** tc's syntax, e.g. '128kbit'. */
  rate: string;
  timeoutMs: number;
  tagBytes: number;
  /** Give up on the write after this long (the test fails instead of waiting it out). */
  boundMs: number;
}

export interface TrickleResult {
  /** Whether the write settled within boundMs; when not, the connection was destroyed. */
  settled: boolean;
  /** How long the write held, ms (boundMs when it did not settle). */
  heldMs: number;
  error?: { code: string; message: string };
  /** Bytes through the shaper while the write held: the link moved data, it did not stall. */
  shapedBytesDuringWrite: number;
  /** The code of a write attempted after the failure. */
  laterWriteCode?: string;
  closeMs: number;
  /** What waitForBaseline() reported, if anything was left. */
  leftBehind?: string;
}

function coded(error: unknown): { code: string; message: string } {
  return error instanceof RtmpError ? { code: error.code, message: error.message } : { code: 'not an RtmpError', message: String(error) };
}

// An AVC NAL unit tag (keyframe), as big as asked; the payload's content does not matter here.
function bigVideoTag(bytes: number): FlvTag {
  const data = Buffer.alloc(bytes, 0x5a);
  data.set([0x17, 0x01, 0x00, 0x00, 0x00]);
  return { type: 'video', timestamp: 0, data };
}

async function main(input: TrickleInput): Promise<TrickleResult> {
  bringLoopbackUp();
  smallTcpBuffers();
  const pki = input.scheme === 'rtmps' ? await makeTestPki() : undefined;
  const nginx = await startNginx(pki ? { tls: { cert: pki.server.certPath, key: pki.server.keyPath } } : {});
  try {
    const baseline = { fds: openFds(), threads: threadCount() };
    const tls = pki ? { ca: pki.ca.cert } : undefined;
    const pub = await publish(nginx.url('live', 'trickle', input.scheme), { timeout: input.timeoutMs, tls });
    shapeLoopback(input.rate);

    const shapedBefore = shapedBytes();
    const started = performance.now();
    const writing = pub.writeTag(bigVideoTag(input.tagBytes)).then(
      () => ({ at: performance.now(), error: undefined as unknown }),
      (error: unknown) => ({ at: performance.now(), error }),
    );
    let bound: NodeJS.Timeout | undefined;
    const giveUp = new Promise<undefined>((resolve) => {
      bound = setTimeout(() => resolve(undefined), input.boundMs);
    });
    const outcome = await Promise.race([writing, giveUp]);
    clearTimeout(bound);
    const shapedBytesDuringWrite = shapedBytes() - shapedBefore;
    if (outcome === undefined) {
      await pub.destroy();
      await writing;
    }
    const laterWriteCode = await pub.writeTag({ type: 'video', timestamp: 40, data: Buffer.from([0x27, 0x01, 0, 0, 0]) }).then(
      () => undefined,
      (error: unknown) => coded(error).code,
    );
    const closing = performance.now();
    await pub.close();
    const closeMs = performance.now() - closing;
    const leftBehind = await waitForBaseline(baseline, 5000).then(
      () => undefined,
      (error: unknown) => String(error),
    );
    return {
      settled: outcome !== undefined,
      heldMs: outcome ? outcome.at - started : input.boundMs,
      error: outcome?.error === undefined ? undefined : coded(outcome.error),
      shapedBytesDuringWrite,
      laterWriteCode,
      closeMs,
      leftBehind,
    };
  } finally {
    await nginx.stop();
    pki?.remove();
  }
}

main(JSON.parse(process.argv[2]) as TrickleInput).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
