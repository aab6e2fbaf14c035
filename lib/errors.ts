// Errors with stable codes. Native failures are re-created here with the stack of the JS
// call that started the work, and every message passes through the redactor of its
// connection so that the stream key never leaves the library.
import type { NativeFailure } from './native';

export const ErrorCodes = {
  INVALID_ARG: 'ERR_INVALID_ARG',
  INVALID_URL: 'ERR_INVALID_URL',
  DNS_LOOKUP: 'ERR_DNS_LOOKUP',
  CONNECT_REFUSED: 'ERR_CONNECT_REFUSED',
  CONNECT_TIMEOUT: 'ERR_CONNECT_TIMEOUT',
  CONNECT_FAILED: 'ERR_CONNECT_FAILED',
  /** `localAddress` could not be bound (not an address of this host, or in use). */
  BIND_FAILED: 'ERR_BIND_FAILED',
  RTMP_HANDSHAKE: 'ERR_RTMP_HANDSHAKE',
  RTMP_CONNECT_REJECTED: 'ERR_RTMP_CONNECT_REJECTED',
  RTMP_STREAM_NOT_FOUND: 'ERR_RTMP_STREAM_NOT_FOUND',
  RTMP_PUBLISH_REJECTED: 'ERR_RTMP_PUBLISH_REJECTED',
  RTMP_STATUS: 'ERR_RTMP_STATUS',
  TIMEOUT: 'ERR_TIMEOUT',
  CONNECTION_CLOSED: 'ERR_CONNECTION_CLOSED',
  IO: 'ERR_IO',
  CLOSED: 'ERR_CLOSED',
  ABORTED: 'ERR_ABORTED',
  MESSAGE_TOO_LARGE: 'ERR_MESSAGE_TOO_LARGE',
  FLV_PARSE: 'ERR_FLV_PARSE',
  FILE: 'ERR_FILE',
  MEDIA_INVALID: 'ERR_MEDIA_INVALID',
  /** A platform profile's rule failed with `strict: true`; `reason` is the rule's WARN_* code. */
  PROFILE_VIOLATION: 'ERR_PROFILE_VIOLATION',
  TLS_HANDSHAKE: 'ERR_TLS_HANDSHAKE',
  TLS_CERT_VERIFY: 'ERR_TLS_CERT_VERIFY',
  TLS_INVALID_CIPHERS: 'ERR_TLS_INVALID_CIPHERS',
  TLS_CONFIG: 'ERR_TLS_CONFIG',
  /** The server asked to renegotiate TLS (1.2): refused, and the server closed the connection. */
  TLS_RENEGOTIATION: 'ERR_TLS_RENEGOTIATION',
  ENGINE_UNAVAILABLE: 'ERR_ENGINE_UNAVAILABLE',
  ENGINE_CONFLICT: 'ERR_ENGINE_CONFLICT',
  INTERNAL: 'ERR_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface RtmpErrorDetails {
  /** What the server said, for NetConnection/NetStream refusals. */
  statusCode?: string;
  statusDescription?: string;
  errno?: number;
  /** A finer, stable reason under the code (ERR_TLS_CERT_VERIFY: 'CERT_NOT_YET_VALID', …). */
  reason?: string;
  /** ERR_TLS_CERT_VERIFY for a clock reason: the certificate's validity and the device's time. */
  validFrom?: Date;
  validTo?: Date;
  deviceTime?: Date;
  cause?: unknown;
}

export class RtmpError extends Error {
  readonly code: ErrorCode;
  readonly statusCode?: string;
  readonly statusDescription?: string;
  readonly errno?: number;
  readonly reason?: string;
  readonly validFrom?: Date;
  readonly validTo?: Date;
  readonly deviceTime?: Date;

  constructor(code: ErrorCode, message: string, details: RtmpErrorDetails = {}) {
    super(message, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.name = code === ErrorCodes.ABORTED ? 'AbortError' : 'RtmpError';
    this.code = code;
    if (details.statusCode !== undefined) this.statusCode = details.statusCode;
    if (details.statusDescription !== undefined) this.statusDescription = details.statusDescription;
    if (details.errno !== undefined) this.errno = details.errno;
    if (details.reason !== undefined) this.reason = details.reason;
    if (details.validFrom !== undefined) this.validFrom = details.validFrom;
    if (details.validTo !== undefined) this.validTo = details.validTo;
    if (details.deviceTime !== undefined) this.deviceTime = details.deviceTime;
  }
}

/** Replaces secrets (stream keys, query tokens) in text; identity when there are none. */
export type Redactor = (text: string) => string;

export const noRedaction: Redactor = (text) => text;

const knownCodes = new Set<string>(Object.values(ErrorCodes));

/**
 * A stack holder taken when the caller starts native work (like sharp does): the error
 * made later from the native failure gets this stack instead of an empty async one.
 */
export function captureCallSite(): { stack?: string } {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, captureCallSite);
  return holder;
}

/**
 * `reason` of ERR_TLS_CERT_VERIFY when a certificate is outside its validity period by the
 * device's clock: on a camera that usually means the clock is wrong (1970 until NTP has run),
 * so the error names the clock, and a reconnecting publisher keeps retrying.
 */
export const TlsClockReasons = {
  /** The device's clock is before the certificate's notBefore (a clock at 1970). */
  CERT_NOT_YET_VALID: 'CERT_NOT_YET_VALID',
  /** The device's clock is after the certificate's notAfter (an expired certificate, or a clock far ahead). */
  CERT_EXPIRED: 'CERT_EXPIRED',
} as const;

// OpenSSL's X509_V_ERR_CERT_NOT_YET_VALID and X509_V_ERR_CERT_HAS_EXPIRED.
const CLOCK_REASONS: Record<number, string> = { 9: TlsClockReasons.CERT_NOT_YET_VALID, 10: TlsClockReasons.CERT_EXPIRED };

function clockDetails(failure: NativeFailure): Pick<RtmpErrorDetails, 'reason' | 'validFrom' | 'validTo' | 'deviceTime'> & { text?: string } {
  const reason = failure.verifyResult !== undefined ? CLOCK_REASONS[failure.verifyResult] : undefined;
  if (reason === undefined || failure.deviceTime === undefined) return {};
  const deviceTime = new Date(failure.deviceTime);
  const known = failure.certNotBefore !== undefined && failure.certNotBefore !== 0;
  const validFrom = known ? new Date(failure.certNotBefore as number) : undefined;
  const validTo = known ? new Date(failure.certNotAfter as number) : undefined;
  const window = validFrom && validTo ? `; the certificate${failure.certSubject ? ` (${failure.certSubject})` : ''} is valid from ${validFrom.toISOString()} to ${validTo.toISOString()}` : '';
  const text =
    reason === TlsClockReasons.CERT_NOT_YET_VALID
      ? `certificate is not yet valid by this device's clock, which reads ${deviceTime.toISOString()}${window}. Is the clock set (NTP)?`
      : `certificate has expired by this device's clock, which reads ${deviceTime.toISOString()}${window}. Is the clock ahead, or the certificate out of date?`;
  return { reason, validFrom, validTo, deviceTime, text };
}

export function fromNative(failure: NativeFailure, redact: Redactor, callSite?: { stack?: string }): RtmpError {
  const code = (knownCodes.has(failure.code) ? failure.code : ErrorCodes.INTERNAL) as ErrorCode;
  const { text, ...clock } = clockDetails(failure);
  const message = text !== undefined ? `TLS certificate verification failed: ${text}` : failure.message;
  const error = new RtmpError(code, redact(message), {
    statusCode: failure.statusCode,
    statusDescription: failure.statusDescription !== undefined ? redact(failure.statusDescription) : undefined,
    errno: failure.errno,
    ...clock,
  });
  if (callSite?.stack) {
    const header = `${error.name}: ${error.message}`;
    error.stack = header + callSite.stack.slice(callSite.stack.indexOf('\n'));
  }
  return error;
}

export function invalidArg(message: string): RtmpError {
  return new RtmpError(ErrorCodes.INVALID_ARG, message);
}

export function abortError(reason?: unknown): RtmpError {
  return new RtmpError(ErrorCodes.ABORTED, 'The operation was aborted', { cause: reason });
}
