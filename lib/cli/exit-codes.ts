// Exit codes of the command line, and which library error codes map to which: scripts on a
// camera branch on these, so they are part of the interface (documented in --help).
import { ErrorCodes, RtmpError, type ErrorCode } from '../errors';

export const ExitCodes = {
  OK: 0,
  /** Anything not classified below (a bug, an internal error). */
  FAILURE: 1,
  USAGE: 2,
  NETWORK: 3,
  TLS: 4,
  STREAM: 5,
  /** `librtmp check`: a rule of the platform profile failed. */
  CHECK_FAILED: 6,
  INTERRUPTED: 130,
  TERMINATED: 143,
} as const;

export type ExitCode = (typeof ExitCodes)[keyof typeof ExitCodes];

/** An error of the command line itself (bad flags, unusable files); `code` is shown to the user. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usageError(message: string): CliError {
  return new CliError('ERR_USAGE', message, ExitCodes.USAGE);
}

const byLibraryCode: Partial<Record<ErrorCode, ExitCode>> = {
  [ErrorCodes.INVALID_ARG]: ExitCodes.USAGE,
  [ErrorCodes.INVALID_URL]: ExitCodes.USAGE,
  [ErrorCodes.DNS_LOOKUP]: ExitCodes.NETWORK,
  [ErrorCodes.CONNECT_REFUSED]: ExitCodes.NETWORK,
  [ErrorCodes.CONNECT_TIMEOUT]: ExitCodes.NETWORK,
  [ErrorCodes.CONNECT_FAILED]: ExitCodes.NETWORK,
  [ErrorCodes.BIND_FAILED]: ExitCodes.NETWORK,
  [ErrorCodes.RTMP_HANDSHAKE]: ExitCodes.NETWORK,
  [ErrorCodes.TIMEOUT]: ExitCodes.NETWORK,
  [ErrorCodes.CONNECTION_CLOSED]: ExitCodes.NETWORK,
  [ErrorCodes.IO]: ExitCodes.NETWORK,
  [ErrorCodes.TLS_HANDSHAKE]: ExitCodes.TLS,
  [ErrorCodes.TLS_CERT_VERIFY]: ExitCodes.TLS,
  [ErrorCodes.TLS_INVALID_CIPHERS]: ExitCodes.TLS,
  [ErrorCodes.TLS_CONFIG]: ExitCodes.TLS,
  [ErrorCodes.TLS_RENEGOTIATION]: ExitCodes.TLS,
  [ErrorCodes.ENGINE_UNAVAILABLE]: ExitCodes.TLS,
  [ErrorCodes.ENGINE_CONFLICT]: ExitCodes.TLS,
  [ErrorCodes.RTMP_CONNECT_REJECTED]: ExitCodes.STREAM,
  [ErrorCodes.RTMP_STREAM_NOT_FOUND]: ExitCodes.STREAM,
  [ErrorCodes.RTMP_PUBLISH_REJECTED]: ExitCodes.STREAM,
  [ErrorCodes.RTMP_STATUS]: ExitCodes.STREAM,
  // Bad input: a truncated or malformed FLV, a tag RTMP cannot carry, encoder output that
  // cannot become FLV, a file that cannot be read.
  [ErrorCodes.MESSAGE_TOO_LARGE]: ExitCodes.USAGE,
  [ErrorCodes.FLV_PARSE]: ExitCodes.USAGE,
  [ErrorCodes.MEDIA_INVALID]: ExitCodes.USAGE,
  [ErrorCodes.FILE]: ExitCodes.USAGE,
};

/** The code shown and the exit code for anything a command throws. */
export function classify(error: unknown): { code: string; exitCode: ExitCode; message: string } {
  if (error instanceof CliError) return { code: error.code, exitCode: error.exitCode, message: error.message };
  if (error instanceof RtmpError) {
    return { code: error.code, exitCode: byLibraryCode[error.code] ?? ExitCodes.FAILURE, message: error.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'ERR_INTERNAL', exitCode: ExitCodes.FAILURE, message };
}
