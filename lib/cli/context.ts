// What a command gets from main: its streams, the stop signal raised by SIGINT/SIGTERM, and
// the one place messages go out (redacted).
export interface CliContext {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** Aborts on the first SIGINT/SIGTERM: finish gracefully (unpublish, flush) and return. */
  stop: AbortSignal;
  /** Prints a line on stderr with the stream key and URL tokens masked. */
  note(message: string): void;
}
