// The stream key off the command line: `push` and `pull` take it from a file (--key-file),
// from stdin (--key-stdin) or from LIBRTMP_STREAM_KEY, and put it into the URL at `{key}`.
// Every process on the machine can read another's command line (/proc/<pid>/cmdline, `ps`)
// and the shell keeps it in its history; a file is readable by whom its mode says, and the
// environment (/proc/<pid>/environ) only by the same user and root. The key is registered as
// a secret before anything could print it.
import fs from 'node:fs';
import { parseRtmpUrl } from '../url';
import type { CliContext } from './context';
import { CliError, ExitCodes, usageError } from './exit-codes';

export const STREAM_KEY_ENV = 'LIBRTMP_STREAM_KEY';
export const KEY_PLACEHOLDER = '{key}';
/** The warning for a key written into the URL on the command line (printed once). */
export const ARGV_KEY_WARNING =
  `librtmp: warning: the stream key is on the command line, where ps and the shell history show it; ` +
  `put ${KEY_PLACEHOLDER} in the URL and give the key with --key-file, --key-stdin or ${STREAM_KEY_ENV}`;

// A key is one line; a whole file of something else must not become a URL.
const MAX_KEY_BYTES = 4096;

export const streamKeyFlagSpecs = {
  'key-file': { type: 'string' },
  'key-stdin': { type: 'boolean' },
} as const;

export interface StreamKeyFlags {
  'key-file'?: string;
  'key-stdin'?: boolean;
}

export const streamKeyHelp = `Stream key (keeps it out of ps and the shell history; the URL says where it goes: {key}):
  --key-file FILE        read the key from FILE (one line; make it readable by you only)
  --key-stdin            read the key from stdin (not with - as the input)
  ${STREAM_KEY_ENV}     environment variable, used when neither flag is given
                         e.g. rtmps://live-api-s.facebook.com:443/rtmp/{key}`;

/** ERR_STREAM_KEY: the key source was named but gave no usable key (exit 2). */
function keyError(message: string): CliError {
  return new CliError('ERR_STREAM_KEY', message, ExitCodes.USAGE);
}

// Surrounding whitespace (a file's final newline) goes; whitespace or control characters
// inside mean this is not a key (a wrong file, two lines).
function cleanKey(raw: string, source: string): string {
  const key = raw.trim();
  if (key === '') throw keyError(`${source} is empty`);
  if (/\s/.test(key) || [...key].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw keyError(`${source} holds more than one line or word: not a stream key`);
  return key;
}

function readKeyFile(file: string): string {
  let raw: Buffer;
  try {
    if (!fs.statSync(file).isFile()) throw Object.assign(new Error(), { code: 'not a regular file' });
    raw = fs.readFileSync(file);
  } catch (error) {
    throw keyError(`--key-file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'cannot read'}`);
  }
  if (raw.length > MAX_KEY_BYTES) throw keyError(`--key-file ${file}: larger than ${MAX_KEY_BYTES} bytes, not a stream key`);
  return cleanKey(raw.toString('utf8'), `--key-file ${file}`);
}

async function readKeyStdin(stdin: NodeJS.ReadStream): Promise<string> {
  if (stdin.isTTY) throw usageError('--key-stdin: stdin is a terminal; pipe the key in, or use --key-file');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > MAX_KEY_BYTES) throw keyError(`--key-stdin: more than ${MAX_KEY_BYTES} bytes, not a stream key`);
  }
  return cleanKey(Buffer.concat(chunks).toString('utf8'), 'the key read from stdin');
}

export interface StreamUrl {
  url: string;
  /** The URL on the command line carries a stream key itself: warnKeyOnCommandLine() before using it. */
  keyOnCommandLine: boolean;
}

/**
 * The URL to connect to: `url` with the key from --key-file, --key-stdin or
 * LIBRTMP_STREAM_KEY at `{key}`. `stdinUse` names what else of the command reads stdin (the
 * input `-`), which --key-stdin cannot share. A key already in the URL is used as it is.
 */
export async function resolveStreamUrl(url: string, flags: StreamKeyFlags, ctx: CliContext, stdinUse?: string): Promise<StreamUrl> {
  const file = flags['key-file'];
  const fromStdin = flags['key-stdin'] === true;
  if (file !== undefined && fromStdin) throw usageError('--key-file and --key-stdin: give the stream key one way');
  if (fromStdin && stdinUse !== undefined) {
    throw usageError(`--key-stdin and ${stdinUse} both read stdin; give the key with --key-file or ${STREAM_KEY_ENV}`);
  }
  const flag = file !== undefined ? '--key-file' : fromStdin ? '--key-stdin' : undefined;
  if (!url.includes(KEY_PLACEHOLDER)) {
    if (flag !== undefined) throw usageError(`${flag} needs ${KEY_PLACEHOLDER} in the URL, where the key goes (e.g. rtmps://host/app/${KEY_PLACEHOLDER})`);
    // LIBRTMP_STREAM_KEY may be set for the device as a whole: a URL without {key} ignores it.
    return { url, keyOnCommandLine: hasStreamKey(url) };
  }
  let key: string;
  if (file !== undefined) key = readKeyFile(file);
  else if (fromStdin) key = await readKeyStdin(ctx.stdin);
  else {
    const fromEnv = ctx.env[STREAM_KEY_ENV];
    if (fromEnv === undefined) {
      throw usageError(`the URL has ${KEY_PLACEHOLDER}: give the stream key with --key-file, --key-stdin or ${STREAM_KEY_ENV}`);
    }
    key = cleanKey(fromEnv, STREAM_KEY_ENV);
  }
  ctx.addSecret(key);
  return { url: url.split(KEY_PLACEHOLDER).join(key), keyOnCommandLine: false };
}

function hasStreamKey(url: string): boolean {
  try {
    return parseRtmpUrl(url).secrets.length > 0;
  } catch {
    return false; // the library refuses the URL with its own error
  }
}

let warned = false;

/**
 * The warning for a key written into the URL, once per process; called when the command is
 * about to connect, so that a command refused for its arguments says only why.
 */
export function warnKeyOnCommandLine(target: StreamUrl, ctx: CliContext): void {
  if (!target.keyOnCommandLine || warned) return;
  warned = true;
  ctx.note(ARGV_KEY_WARNING);
}
