// `librtmp pull <url> [output]`: plays a stream and writes it as FLV to a file or stdout,
// like rtmpdump.
import fs from 'node:fs';
import nodePath from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import type { RtmpConnection } from '../connection';
import { encodeFlvHeader, encodeTag } from '../flv';
import { connect } from '../index';
import type { RtmpOptions } from '../options';
import { connectionFlagSpecs, connectionFlagsHelp, connectionOptions } from './connection-flags';
import type { CliContext } from './context';
import { CliError, ExitCodes, usageError, type ExitCode } from './exit-codes';
import { MediaClock } from './media-clock';
import { parseProgressMode, ProgressReporter } from './progress';
import { resolveStreamUrl, streamKeyFlagSpecs, streamKeyHelp, warnKeyOnCommandLine, type StreamUrl } from './stream-key';

export const pullHelp = `Usage: librtmp pull [options] <url> [output]

Plays <url> and writes it as FLV to [output] (a file; - or nothing for stdout) until the
stream ends, --duration is reached, or Ctrl-C.

The stream has ended only when the server says so (Play.Complete, Play.Stop,
UnpublishNotify or StreamEOF). A connection that closes or resets without that exits 3
(ERR_CONNECTION_CLOSED), and so does a server that goes silent for --timeout (ERR_TIMEOUT;
Node-Media-Server never signals the end of a live stream: use --duration with it).

A file is written as <output>.part and renamed to <output> when the pull succeeds
(the stream ended, --duration, Ctrl-C). When it fails, <output>.part is removed, so no
empty or truncated <output> is left behind; --keep-partial keeps what arrived in
<output>.part instead. An existing <output> is replaced only on success.

Options:
  --duration S           stop after S seconds of media time
  --keep-partial         when the pull fails, keep what arrived as <output>.part
  --live                 the stream is live (no seeking, no duration)
  --progress MODE        auto (default: a live line on a terminal, else quiet), tty, json
                         (one JSON object per second on stderr), none
${streamKeyHelp}
${connectionFlagsHelp}
  -h, --help             this help

Examples:
  librtmp pull rtmp://127.0.0.1/live/test out.flv
  librtmp pull --live --duration 10 rtmp://127.0.0.1/live/test - | ffprobe -i -
  librtmp pull --ca server.pem rtmps://ingest.example/live/test out.flv
  librtmp pull --key-file private.key 'rtmps://ingest.example/live/{key}' out.flv`;

const specs = {
  ...connectionFlagSpecs,
  ...streamKeyFlagSpecs,
  duration: { type: 'string' },
  live: { type: 'boolean' },
  'keep-partial': { type: 'boolean' },
  progress: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Output = NodeJS.WritableStream & { destroyed?: boolean };

interface OpenedOutput {
  out: Output;
  /** For a file: the name written to, and the name it gets on success. */
  file?: { partial: string; final: string };
}

function openOutput(path: string | undefined, ctx: CliContext): OpenedOutput {
  if (path === undefined || path === '-') {
    if (ctx.stdout.isTTY) throw usageError('stdout is a terminal; name an output file or pipe the output');
    return { out: ctx.stdout };
  }
  const partial = `${path}.part`;
  try {
    // The final name is checked first: a path that cannot be written fails before connecting.
    fs.accessSync(nodePath.dirname(nodePath.resolve(path)), fs.constants.W_OK);
    if (fs.existsSync(path) && fs.statSync(path).isDirectory()) throw Object.assign(new Error(), { code: 'EISDIR' });
    return { out: fs.createWriteStream('', { fd: fs.openSync(partial, 'w') }), file: { partial, final: path } };
  } catch (error) {
    throw new CliError('ERR_OUTPUT', `cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, ExitCodes.USAGE);
  }
}

// Success: the partial file takes the output's name. Failure: it goes (or stays, kept).
function settleOutput(output: OpenedOutput, succeeded: boolean, keepPartial: boolean): void {
  if (!output.file) return;
  const { partial, final } = output.file;
  if (succeeded) fs.renameSync(partial, final);
  else if (!keepPartial || fs.statSync(partial, { throwIfNoEntry: false })?.size === 0) fs.rmSync(partial, { force: true });
}

export async function runPull(argv: string[], ctx: CliContext): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args: argv, options: specs, allowPositionals: true });
  if (values.help) {
    ctx.stdout.write(`${pullHelp}\n`);
    return ExitCodes.OK;
  }
  if (positionals.length < 1 || positionals.length > 2) throw usageError('pull takes <url> and an optional output (see librtmp pull --help)');
  const [urlArg, outputPath] = positionals;
  let durationMs: number | undefined;
  if (values.duration !== undefined) {
    const s = Number(values.duration);
    if (values.duration.trim() === '' || !Number.isFinite(s) || s <= 0) throw usageError('--duration takes a positive number of seconds');
    durationMs = s * 1000;
  }
  const options: RtmpOptions = { ...connectionOptions(values), live: values.live === true };
  const progressMode = parseProgressMode(values.progress);
  // Before the output is opened: a key that cannot be had leaves no file behind.
  const target = await resolveStreamUrl(urlArg, values, ctx);
  const output = openOutput(outputPath, ctx);
  let result: PullResult | undefined;
  try {
    result = await pullInto(output, { target, options, durationMs, progressMode }, ctx);
    return result.code;
  } finally {
    // An interrupted pull keeps what it wrote (that is what Ctrl-C is for), but an empty file is no recording.
    const succeeded = result !== undefined && (result.code === ExitCodes.OK || result.wroteMedia);
    settleOutput(output, succeeded, values['keep-partial'] === true);
  }
}

interface PullResult {
  code: ExitCode;
  wroteMedia: boolean;
}

interface PullPlan {
  target: StreamUrl;
  options: RtmpOptions;
  durationMs: number | undefined;
  progressMode: ReturnType<typeof parseProgressMode>;
}

async function pullInto(output: OpenedOutput, plan: PullPlan, ctx: CliContext): Promise<PullResult> {
  const { out } = output;
  const isFile = output.file !== undefined;
  const { target, options, durationMs, progressMode } = plan;
  let wroteMedia = false;
  if (ctx.stop.aborted) {
    await finishOutput(out, isFile);
    return { code: ExitCodes.INTERRUPTED, wroteMedia };
  }

  let outputError: Error | undefined;
  // A reader that went away (| head) ends the pull; other write errors fail it.
  out.on('error', (error: Error) => {
    outputError = error;
  });
  let connection: RtmpConnection;
  try {
    warnKeyOnCommandLine(target, ctx);
    connection = await connectPlayer(target.url, options, ctx.stop);
  } catch (error) {
    await finishOutput(out, isFile);
    throw error;
  }
  // Counted as written: with --duration, the tag that reaches it is not written.
  const clock = new MediaClock();
  let videoFrames = 0;
  const progress = new ProgressReporter(progressMode, ctx.stderr, () => {
    const stats = connection.stats();
    return {
      mediaMs: clock.elapsedMs,
      bytes: stats.bytesIn,
      kbps: stats.bitrateInKbps,
      videoFrames,
      queuedBytes: 0,
      dropped: 0,
      reconnects: 0,
    };
  });
  const onStop = (): void => void connection.close();
  ctx.stop.addEventListener('abort', onStop, { once: true });
  progress.start();
  try {
    let header = true;
    for (;;) {
      let tags;
      try {
        tags = await connection.readTags();
      } catch (error) {
        if (ctx.stop.aborted) break; // closed by the stop
        throw error;
      }
      if (tags === null || outputError) break;
      const parts = header ? [encodeFlvHeader()] : [];
      header = false;
      let reached = false;
      for (const tag of tags) {
        const at = clock.see(tag);
        if (durationMs !== undefined && at >= durationMs) {
          reached = true;
          break;
        }
        if (tag.type === 'video') videoFrames++;
        parts.push(encodeTag(tag));
        wroteMedia = true;
      }
      if (parts.length > 0 && !out.write(Buffer.concat(parts))) {
        await Promise.race([once(out, 'drain'), once(out, 'error')]).catch(() => undefined);
      }
      if (reached || ctx.stop.aborted) break;
    }
    await connection.close();
  } catch (error) {
    await connection.destroy();
    throw error;
  } finally {
    ctx.stop.removeEventListener('abort', onStop);
    progress.stop();
    await finishOutput(out, isFile);
  }
  if (outputError && (outputError as NodeJS.ErrnoException).code !== 'EPIPE') {
    throw new CliError('ERR_OUTPUT', `writing the output failed: ${outputError.message}`, ExitCodes.USAGE);
  }
  return { code: ctx.stop.aborted ? ExitCodes.INTERRUPTED : ExitCodes.OK, wroteMedia };
}

async function connectPlayer(url: string, options: RtmpOptions, stop: AbortSignal): Promise<RtmpConnection> {
  const connecting = new AbortController();
  const onStop = (): void => connecting.abort(stop.reason);
  stop.addEventListener('abort', onStop, { once: true });
  try {
    return await connect(url, { ...options, mode: 'play', signal: connecting.signal });
  } finally {
    stop.removeEventListener('abort', onStop);
  }
}

// Files are flushed and closed; stdout is only drained (it is not ours to close).
async function finishOutput(out: Output, isFile: boolean): Promise<void> {
  if (out.destroyed) return;
  if (isFile) {
    const closed = once(out, 'close').catch(() => undefined);
    out.end();
    await closed;
    return;
  }
  await new Promise<void>((resolve) => out.write('', () => resolve()));
}
