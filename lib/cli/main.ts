// The `librtmp` command: dispatch, signals, exit codes and the one format of error messages
// (`librtmp: <CODE>: <reason>`), with every secret of the command line masked.
import { makeRedactor } from '../redact';
import { parseRtmpUrl } from '../url';
import type { CliContext } from './context';
import { checkHelp, runCheck } from './check';
import { classify, ExitCodes, usageError, type ExitCode } from './exit-codes';
import { infoHelp, packageJson, runInfo } from './info';
import { pullHelp, runPull } from './pull';
import { pushHelp, runPush } from './push';

export const mainHelp = `Usage: librtmp <command> [options]

Commands:
  push <input> <url>     publish an FLV file (or - for stdin) to an RTMP/RTMPS server
  pull <url> [output]    play a stream and write it as FLV to a file or stdout
  check <input | url>    check a stream against a platform's rules (--profile facebook)
  info                   versions, and what the devcrypto engine does on this machine

librtmp <command> --help shows each command's options and examples.

Exit codes:
  0    done (the input ended, or the server ended the stream)
  1    internal error
  2    usage or bad input: bad arguments, invalid URL, input that cannot be read or is not
       valid FLV (truncated, malformed, a tag too large), output that cannot be written
  3    connecting or the network failed (refused, DNS, timeout, the connection closed or
       reset without the server ending the stream)
  4    TLS or the crypto engine (handshake, certificate, cipher list, engine unavailable)
  5    the server refused: the application, the stream, or a publish or play status
  6    check: a rule of the platform profile failed
  130  interrupted by SIGINT after closing gracefully
  143  terminated by SIGTERM after closing gracefully

Ctrl-C (SIGINT) or SIGTERM stops cleanly: queued media is sent, the stream unpublished and
the output flushed. A second Ctrl-C exits at once.

Example (Facebook Live, the camera TLS preset; the key from a file, never on the command line):
  librtmp push --camera-preset --key-file fb.key clip.flv 'rtmps://live-api-s.facebook.com:443/rtmp/{key}'`;

type Command = (argv: string[], ctx: CliContext) => Promise<ExitCode> | ExitCode;

const commands: Record<string, { run: Command; help: string }> = {
  push: { run: runPush, help: pushHelp },
  pull: { run: runPull, help: pullHelp },
  info: { run: runInfo, help: infoHelp },
  check: { run: runCheck, help: checkHelp },
};

/** The stream key and query tokens of every URL on the command line. */
function commandLineSecrets(argv: string[]): string[] {
  const secrets: string[] = [];
  for (const arg of argv) {
    if (!arg.includes('://')) continue;
    try {
      secrets.push(...parseRtmpUrl(arg).secrets);
    } catch {
      // Not a URL the library takes: the whole argument is masked, to be safe.
      secrets.push(arg);
    }
  }
  return secrets;
}

/**
 * The one way messages leave the command: `note` writes a line with every secret masked —
 * those of the command line, and those `addSecret` adds later (a stream key read from a file,
 * stdin or the environment).
 */
export function secretMaskingNotes(argv: string[], write: (line: string) => void): Pick<CliContext, 'note' | 'addSecret'> {
  const secrets = commandLineSecrets(argv);
  let redact = makeRedactor(secrets);
  return {
    note: (message) => write(`${redact(message)}\n`),
    addSecret: (secret) => {
      secrets.push(secret);
      redact = makeRedactor(secrets);
    },
  };
}

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write('', () => resolve());
  });
}

export async function main(argv: string[]): Promise<ExitCode> {
  const stopper = new AbortController();
  const ctx: CliContext = {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stop: stopper.signal,
    ...secretMaskingNotes(argv, (line) => process.stderr.write(line)),
  };
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled === 'SIGINT' && signal === 'SIGINT') process.exit(ExitCodes.INTERRUPTED);
    if (signalled) return;
    signalled = signal;
    // On a terminal, say why it has not exited yet (quiet otherwise, as everywhere).
    if (process.stderr.isTTY) {
      process.stderr.write('\r\x1b[Klibrtmp: stopping: sending what is queued, then closing (Ctrl-C again quits at once)\n');
    }
    stopper.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let code: ExitCode;
  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
      process.stdout.write(`${mainHelp}\n`);
      code = name === undefined ? ExitCodes.USAGE : ExitCodes.OK;
    } else if (name === '--version' || name === '-v') {
      process.stdout.write(`${packageJson().version}\n`);
      code = ExitCodes.OK;
    } else {
      const command = commands[name];
      if (!command) throw usageError(`unknown command '${name}' (push, pull, check, info; see librtmp --help)`);
      code = await command.run(rest, ctx);
    }
  } catch (error) {
    const isParseError = typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code.startsWith('ERR_PARSE_ARGS');
    const { code: errorCode, exitCode, message } = classify(isParseError ? usageError((error as Error).message) : error);
    // A connect aborted by the stop is the interruption itself, not an error to report.
    if (!(signalled && errorCode === 'ERR_ABORTED')) ctx.note(`librtmp: ${errorCode}: ${oneLine(message)}`);
    code = exitCode;
  }
  if (signalled && code === ExitCodes.INTERRUPTED && signalled === 'SIGTERM') code = ExitCodes.TERMINATED;
  // An error caused by the stop itself (an aborted connect) is an interruption, not a failure.
  if (signalled && code !== ExitCodes.OK && code !== ExitCodes.TERMINATED) {
    code = signalled === 'SIGTERM' ? ExitCodes.TERMINATED : ExitCodes.INTERRUPTED;
  }
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  return code;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Runs the command line of this process and exits with its code (bin/librtmp.js). */
export function run(): void {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}

if (require.main === module) run();
