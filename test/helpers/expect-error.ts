// Asserting a failure: the promise rejects with an RtmpError of this code (and, when asked,
// within a bound — a timeout's own behaviour, not a speed check).
import assert from 'node:assert/strict';
import { RtmpError, type ErrorCode } from '../../lib/index';

export async function expectRtmpError(promise: Promise<unknown>, code: ErrorCode, withinMs?: number): Promise<RtmpError> {
  const started = Date.now();
  const error = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof RtmpError, String(error));
  assert.equal(error.code, code, error.message);
  if (withinMs !== undefined) assert.ok(Date.now() - started < withinMs, `failed after ${Date.now() - started} ms`);
  return error;
}
