// `librtmp push <input> <url>`: publishes FLV from a file or stdin, paced in real time by
// its timestamps unless --no-realtime; or raw H.264/HEVC (+ ADTS or silent audio) through
// the muxer (elementary.ts).
import { parseArgs } from 'node:util';
import type { ConnectionStats, RtmpConnection } from '../connection';
import type { FlvTag } from '../flv';
import { publish } from '../index';
import type { RtmpOptions } from '../options';
import { connectionFlagSpecs, connectionFlagsHelp, connectionOptions } from './connection-flags';
import type { CliContext } from './context';
import { elementaryConnectionOptions, elementaryFormat, elementarySpec, publishElementary } from './elementary';
import { ExitCodes, usageError, type ExitCode } from './exit-codes';
import { checkInput, firstFrameTimestamp, parseInputFormat, readInput, type InputSpec } from './input';
import { MediaClock } from './media-clock';
import { Pacer } from '../media/pacer';
import { parseProgressMode, ProgressReporter, type ProgressMode } from './progress';
import { resolveStreamUrl, streamKeyFlagSpecs, streamKeyHelp, warnKeyOnCommandLine, type StreamUrl } from './stream-key';

export const pushHelp = `Usage: librtmp push [options] <input> <url>

Publishes <input> (an FLV file, or - for stdin) to <url> (rtmp, rtmps, rtmpe, rtmpt, rtmpte,
rtmpts). Files are sent in real time by their timestamps, like ffmpeg -re; a file sent once
is read and paced by the connection's own thread (the least CPU).

<input> may also be a raw H.264 or HEVC elementary stream (Annex-B, as camera encoders write
it; a file named .h264/.264/.avc or .h265/.265/.hevc, or --input-format h264|hevc, for
stdin too): frames are stamped at --frame-rate and sent in real time, with audio from an
ADTS AAC input (--audio) or silence made here (--silent-audio; Facebook Live and YouTube end
streams without audio). No B-frames: a byte stream has no timestamps to reorder them by.

Options:
  --no-realtime          send as fast as the connection takes it
  --loop                 start the file again at its end (timestamps go on); stop with Ctrl-C
  --input-format F       flv (default), h264 or hevc (default from the file's extension)
  --frame-rate FPS       elementary video: frames per second (default 25)
  --clock                elementary video: stamp each frame when it arrives (a live pipe
                         whose rate is not exact), instead of --frame-rate
  --audio FILE           elementary video: AAC audio, ADTS (a file, or - for stdin)
  --silent-audio         elementary video: an AAC-LC track of digital silence
  --silent-audio-rate HZ       its sample rate (default 48000)
  --silent-audio-channels N    its channels (default 2)
  --progress MODE        auto (default: a live line on a terminal, else quiet), tty, json
                         (one JSON object per second on stderr), none
${streamKeyHelp}
${connectionFlagsHelp}
  -h, --help             this help

Examples:
  librtmp push clip.flv rtmp://127.0.0.1/live/test
  librtmp push --loop --no-realtime test.flv rtmp://ingest.example/live/test
  ffmpeg -re -i cam.mp4 -c copy -f flv - | librtmp push --no-realtime - rtmp://host/live/cam
  A camera's encoder on stdin, no microphone:
  camera-encoder | librtmp push --input-format h264 --clock --silent-audio - rtmp://host/live/cam
  librtmp push --frame-rate 30 --audio mic.aac video.h264 rtmp://host/live/cam
  Facebook Live from a camera (TLS 1.2 suites the devcrypto engine serves), the key in a file:
  librtmp push --camera-preset --key-file fb.key clip.flv 'rtmps://live-api-s.facebook.com:443/rtmp/{key}'

The stream key never appears in output: messages show the URL as rtmps://host:443/app/****.
A key written into the URL works too, with a warning: ps and the shell history show it.`;

const specs = {
  ...connectionFlagSpecs,
  ...streamKeyFlagSpecs,
  'no-realtime': { type: 'boolean' },
  loop: { type: 'boolean' },
  'input-format': { type: 'string' },
  'frame-rate': { type: 'string' },
  clock: { type: 'boolean' },
  audio: { type: 'string' },
  'silent-audio': { type: 'boolean' },
  'silent-audio-rate': { type: 'string' },
  'silent-audio-channels': { type: 'string' },
  progress: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface PushCounters {
  clock: MediaClock;
  videoFrames: number;
}

export async function runPush(argv: string[], ctx: CliContext): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args: argv, options: specs, allowPositionals: true });
  if (values.help) {
    ctx.stdout.write(`${pushHelp}\n`);
    return ExitCodes.OK;
  }
  if (positionals.length !== 2) throw usageError('push takes <input> and <url> (see librtmp push --help)');
  const [inputPath, urlArg] = positionals;
  const stdinUse = inputPath === '-' ? 'the input -' : values.audio === '-' ? '--audio -' : undefined;
  const target = await resolveStreamUrl(urlArg, values, ctx, stdinUse);
  const elementary = elementaryFormat(inputPath, values['input-format']);
  if (elementary) return pushElementary(inputPath, elementary, target, values, ctx);
  for (const flag of ['frame-rate', 'clock', 'audio', 'silent-audio', 'silent-audio-rate', 'silent-audio-channels'] as const) {
    if (values[flag] !== undefined) throw usageError(`--${flag} is for elementary streams (h264, hevc); FLV carries its own audio and timestamps`);
  }
  const input: InputSpec = { path: inputPath, format: parseInputFormat(values['input-format']), loop: values.loop === true };
  const options = connectionOptions(values);
  const progressMode = parseProgressMode(values.progress);
  checkInput(input, ctx.stdin);
  if (ctx.stop.aborted) return ExitCodes.INTERRUPTED;

  // A whole file, once: the connection thread reads, paces and sends it (sendFile), with
  // no JavaScript per tag. Loops and stdin go tag by tag through the loop below.
  const fileOnce = input.path !== '-' && !input.loop;
  const firstFrameMs = fileOnce ? await firstFrameTimestamp(input.path) : 0;
  const connection = await connectPublisher(target, options, ctx);
  if (fileOnce) {
    const media = (stats: ConnectionStats): MediaProgress => ({
      mediaMs: stats.messagesOut > 0 ? Math.max(0, stats.lastTimestampOut - firstFrameMs) : 0,
      videoFrames: stats.videoMessagesOut,
    });
    // A stop ends the send between two tags.
    const realtime = values['no-realtime'] !== true;
    return publishWithProgress(connection, progressMode, ctx, media, () => connection.sendFile(input.path, { realtime, stop: ctx.stop }));
  }
  const counters: PushCounters = { clock: new MediaClock(), videoFrames: 0 };
  const media = (): MediaProgress => ({ mediaMs: counters.clock.elapsedMs, videoFrames: counters.videoFrames });
  return publishWithProgress(connection, progressMode, ctx, media, async () => {
    const pacer = values['no-realtime'] ? undefined : new Pacer(ctx.stop);
    for await (const batch of readInput(input, ctx.stdin, ctx.stop)) {
      await send(connection, batch, pacer, counters, ctx.stop);
      if (ctx.stop.aborted) break;
    }
  });
}

// Raw H.264/HEVC (+ audio) through the muxer on one connection.
async function pushElementary(input: string, format: 'h264' | 'hevc', target: StreamUrl, values: Parameters<typeof connectionOptions>[0] & Parameters<typeof elementarySpec>[2] & { progress?: string }, ctx: CliContext): Promise<ExitCode> {
  const spec = elementarySpec(input, format, values);
  const options = elementaryConnectionOptions(spec, connectionOptions(values));
  const progressMode = parseProgressMode(values.progress);
  if (spec.video === '-' && ctx.stdin.isTTY) throw usageError('stdin is a terminal; pipe the encoder into it or name a file');
  if (ctx.stop.aborted) return ExitCodes.INTERRUPTED;
  const connection = await connectPublisher(target, options, ctx);
  const media = (stats: ConnectionStats): MediaProgress => ({ mediaMs: stats.messagesOut > 0 ? stats.lastTimestampOut : 0, videoFrames: stats.videoMessagesOut });
  return publishWithProgress(connection, progressMode, ctx, media, () => publishElementary(connection, spec, ctx.stdin, ctx.stop));
}

type MediaProgress = { mediaMs: number; videoFrames: number };

// Runs `publishing` with progress reports, then closes gracefully (queued tags written,
// unpublished), also after a stop; destroys the connection when publishing fails.
async function publishWithProgress(
  connection: RtmpConnection,
  mode: ProgressMode,
  ctx: CliContext,
  media: (stats: ConnectionStats) => MediaProgress,
  publishing: () => Promise<unknown>,
): Promise<ExitCode> {
  const progress = new ProgressReporter(mode, ctx.stderr, () => {
    const stats = connection.stats();
    return {
      ...media(stats),
      bytes: stats.bytesOut,
      kbps: stats.bitrateOutKbps,
      queuedBytes: stats.queuedBytes,
      // Reconnecting and dropping under congestion come with the camera pipeline.
      dropped: 0,
      reconnects: 0,
    };
  });
  progress.start();
  try {
    await publishing();
    await connection.close();
  } catch (error) {
    await connection.destroy();
    throw error;
  } finally {
    progress.stop();
  }
  return ctx.stop.aborted ? ExitCodes.INTERRUPTED : ExitCodes.OK;
}

/**
 * Connects once. The reconnect policy of the camera issue (retry with backoff, resume the
 * timeline) replaces this function; the sending loop only needs a connection.
 */
async function connectPublisher(target: StreamUrl, options: RtmpOptions, ctx: CliContext): Promise<RtmpConnection> {
  warnKeyOnCommandLine(target, ctx);
  const { stop } = ctx;
  // Only the connect phase is abortable: once connected, a stop closes gracefully instead.
  const connecting = new AbortController();
  const onStop = (): void => connecting.abort(stop.reason);
  stop.addEventListener('abort', onStop, { once: true });
  try {
    return await publish(target.url, { ...options, signal: connecting.signal });
  } finally {
    stop.removeEventListener('abort', onStop);
  }
}

// Writes a batch: at once without a pacer, else each run of tags when its time has come.
async function send(connection: RtmpConnection, batch: FlvTag[], pacer: Pacer | undefined, counters: PushCounters, stop: AbortSignal): Promise<void> {
  const count = (tags: FlvTag[]): void => {
    for (const tag of tags) {
      counters.clock.see(tag);
      if (tag.type === 'video') counters.videoFrames++;
    }
  };
  if (!pacer) {
    await connection.writeTags(batch);
    count(batch);
    return;
  }
  let due: FlvTag[] = [];
  for (const tag of batch) {
    if (pacer.delayFor(tag.timestamp) > 0) {
      if (due.length > 0) {
        await connection.writeTags(due);
        count(due);
        due = [];
      }
      await pacer.waitFor(tag.timestamp);
      if (stop.aborted) return;
    }
    due.push(tag);
  }
  if (due.length > 0) {
    await connection.writeTags(due);
    count(due);
  }
}
