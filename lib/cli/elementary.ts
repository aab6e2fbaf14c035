// `librtmp push` of raw elementary streams, as a camera's encoder writes them: H.264 or HEVC
// Annex-B video (a file or stdin) with, for audio, an ADTS AAC input or silence made by the
// library (--silent-audio), so a camera shell script needs no ffmpeg. The streams go
// through MediaPublisher on the connection (H.264 from paths: through the connection's own
// thread, sendCamera()): onMetaData, sequence headers, frame-rate (or arrival-clock)
// timestamps, real-time pacing unless --no-realtime.
import fs from 'node:fs';
import path from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import type { RtmpConnection } from '../connection';
import { MediaPublisher } from '../media/muxer';
import { SilentAudio } from '../media/silent-aac';
import type { RtmpOptions } from '../options';
import { CliError, ExitCodes, usageError } from './exit-codes';

export type ElementaryFormat = 'h264' | 'hevc';

const EXTENSIONS: Readonly<Record<string, ElementaryFormat>> = {
  '.h264': 'h264',
  '.264': 'h264',
  '.avc': 'h264',
  '.h265': 'hevc',
  '.265': 'hevc',
  '.hevc': 'hevc',
};

export interface ElementaryFlags {
  'input-format'?: string;
  'frame-rate'?: string;
  clock?: boolean;
  audio?: string;
  'silent-audio'?: boolean;
  'silent-audio-rate'?: string;
  'silent-audio-channels'?: string;
  loop?: boolean;
  'no-realtime'?: boolean;
}

export interface ElementarySpec {
  video: string;
  format: ElementaryFormat;
  /** Frames per second, or undefined with `clock`. */
  frameRate?: number;
  clock: boolean;
  audio?: string;
  silentAudio?: { sampleRate: number; channels: number };
  realtime: boolean;
}

/** The elementary format of a push, from --input-format or the file's extension; undefined for FLV. */
export function elementaryFormat(input: string, flag: string | undefined): ElementaryFormat | undefined {
  if (flag === 'h264' || flag === 'hevc') return flag;
  if (flag !== undefined) return undefined; // flv, or an unknown value parseInputFormat refuses
  return EXTENSIONS[path.extname(input).toLowerCase()];
}

const positive = (value: string | undefined, flag: string, fallback: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw usageError(`${flag} takes a positive number, not ${value}`);
  return n;
};

/** Checks the flags of an elementary push before anything connects. */
export function elementarySpec(input: string, format: ElementaryFormat, flags: ElementaryFlags): ElementarySpec {
  if (flags.loop) throw usageError('--loop is for FLV files; an elementary stream is pushed once');
  if (flags.audio !== undefined && flags['silent-audio']) throw usageError('--audio and --silent-audio exclude each other');
  if (flags.audio === '-' && input === '-') throw usageError('video and audio cannot both come from stdin');
  if (flags.clock && flags['frame-rate'] !== undefined) throw usageError('--clock stamps frames as they arrive: it takes no --frame-rate');
  if (!flags['silent-audio'] && (flags['silent-audio-rate'] !== undefined || flags['silent-audio-channels'] !== undefined)) {
    throw usageError('--silent-audio-rate and --silent-audio-channels go with --silent-audio');
  }
  for (const file of [input, flags.audio]) {
    if (file === undefined || file === '-') continue;
    try {
      const stats = fs.statSync(file);
      if (!stats.isFile() && !stats.isFIFO()) throw new Error('not a file or a named pipe');
      fs.accessSync(file, fs.constants.R_OK);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new CliError('ERR_INPUT', `cannot read ${file}: ${reason}`, ExitCodes.USAGE);
    }
  }
  const spec: ElementarySpec = {
    video: input,
    format,
    clock: flags.clock === true,
    realtime: flags['no-realtime'] !== true,
  };
  if (!spec.clock) spec.frameRate = positive(flags['frame-rate'], '--frame-rate', 25);
  if (flags.audio !== undefined) spec.audio = flags.audio;
  if (flags['silent-audio']) {
    spec.silentAudio = {
      sampleRate: positive(flags['silent-audio-rate'], '--silent-audio-rate', 48000),
      channels: positive(flags['silent-audio-channels'], '--silent-audio-channels', 2),
    };
    new SilentAudio(spec.silentAudio); // refuses a rate or channel count AAC cannot carry, before connecting
  }
  return spec;
}

/** HEVC goes out as Enhanced RTMP: announce it in the connect command unless the flags did. */
export function elementaryConnectionOptions(spec: ElementarySpec, options: RtmpOptions): RtmpOptions {
  return spec.format === 'hevc' && options.fourCcList === undefined ? { ...options, fourCcList: ['hvc1'] } : options;
}

// A path is opened by pipeVideo()/pipeAudio() (a named pipe through the event loop, not the
// thread pool), which also destroy it on a stop.
function open(file: string, stdin: NodeJS.ReadStream, stop: AbortSignal): Readable | string {
  // A stop must not wait for the next bytes of a quiet pipe: it destroys the source.
  return file === '-' ? addAbortSignal(stop, stdin) : file;
}

/** Publishes the streams on `connection` until their end or a stop; the caller closes. */
export async function publishElementary(connection: RtmpConnection, spec: ElementarySpec, stdin: NodeJS.ReadStream, stop: AbortSignal): Promise<void> {
  // H.264 (and ADTS) from files or named pipes, stamped by the frame rate: the connection's
  // thread reads and sends them (sendCamera), with no JavaScript per frame. stdin, HEVC,
  // --clock and --silent-audio go through MediaPublisher.
  if (spec.format === 'h264' && spec.frameRate !== undefined && !spec.silentAudio && spec.video !== '-' && spec.audio !== '-') {
    await connection.sendCamera({ video: spec.video, audio: spec.audio, frameRate: spec.frameRate, pace: spec.realtime, stop });
    return;
  }
  const media = new MediaPublisher(connection, {
    videoCodec: spec.format,
    audio: spec.silentAudio ? 'silent' : spec.audio !== undefined,
    ...(spec.silentAudio ? { silentAudio: spec.silentAudio } : {}),
  });
  const timing = spec.clock ? { clock: 'monotonic' as const } : { frameRate: spec.frameRate, pace: spec.realtime };
  const video = media.pipeVideo(open(spec.video, stdin, stop), { ...timing, signal: stop });
  const audio = spec.audio !== undefined ? media.pipeAudio(open(spec.audio, stdin, stop), { pace: spec.realtime && !spec.clock, ...(spec.clock ? { clock: 'monotonic' } : {}), signal: stop }) : undefined;
  await Promise.all([video, audio]);
  await media.end();
}
