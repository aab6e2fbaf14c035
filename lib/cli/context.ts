// What a command gets from main: its streams, the stop signal raised by SIGINT/SIGTERM, and
// the one place messages go out (redacted).
export interface CliContext {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  /** Aborts on the first SIGINT/SIGTERM: finish gracefully (unpublish, flush) and return. */
  stop: AbortSignal;
  /** Prints a line on stderr with the stream key and URL tokens masked. */
  note(message: string): void;
  /** Masks `secret` too from now on (a stream key that did not come from the command line). */
  addSecret(secret: string): void;
}
