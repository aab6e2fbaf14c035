// ffprobe and ffmpeg wrappers: what a reference client publishes and what a stream contains.
import { spawn, type ChildProcess } from 'node:child_process';
import { trackChild, terminate, type ExitResult } from './children';

export interface StreamFacts {
  index: number;
  codecType: string;
  codecName: string;
  /** Frames the decoder produced (ffprobe -count_frames). */
  frames: number;
  packets: number;
  /** Packet presentation timestamps in seconds, in file order. */
  pts: number[];
  /** Packet decoding timestamps in seconds, in file order. */
  dts: number[];
  /** Number of packets flagged as keyframes. */
  keyPackets: number;
}

export interface ProbeResult {
  streams: StreamFacts[];
  video?: StreamFacts;
  audio?: StreamFacts;
  /** Container duration in seconds, when ffprobe reports one. */
  durationSeconds?: number;
  stderr: string;
}

export interface ProbeOptions {
  /** Kill ffprobe after this long (default 20 s); rtmp inputs also stop after `idleMs`. */
  timeoutMs?: number;
  /** rtmp inputs: end when no data arrived for this long (default 2 s). */
  idleMs?: number;
  /** Stream specifier for -select_streams, e.g. 'v' or 'a'. */
  streams?: string;
  /** Kill ffprobe when this aborts (pass a test's `t.signal`). */
  signal?: AbortSignal;
}

interface RawProbe {
  packets?: { stream_index: number; pts_time?: string; dts_time?: string; flags?: string }[];
  streams?: {
    index: number;
    codec_type: string;
    codec_name?: string;
    nb_read_frames?: string;
  }[];
  format?: { duration?: string };
}

function isNetworkInput(input: string): boolean {
  return /^rtmp[a-z]*:\/\//i.test(input);
}

interface Finished extends ExitResult {
  stdout: string;
  stderr: string;
}

// Resolves at 'close' (exit and all output read), or with the spawn error as stderr.
function finished(child: ChildProcess): Promise<Finished> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
  return new Promise((resolve) => {
    child.once('error', (e) => resolve({ code: null, signal: null, stdout: '', stderr: String(e) }));
    child.once('close', (code, signal) =>
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

/**
 * Reads `input` (a file or an rtmp:// URL) to its end and reports, per stream, the decoded
 * frame count, codec name and packet timestamps.
 */
export async function ffprobeFrames(input: string, options: ProbeOptions = {}): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? 20000;
  const args = ['-v', 'error', '-hide_banner'];
  if (isNetworkInput(input)) {
    // FFmpeg's RTMP player never sees an end when the publisher leaves: stop on silence.
    args.push('-rw_timeout', String((options.idleMs ?? 2000) * 1000));
  }
  if (options.streams !== undefined) args.push('-select_streams', options.streams);
  args.push(
    '-count_frames',
    '-show_entries',
    'packet=stream_index,pts_time,dts_time,flags:stream=index,codec_type,codec_name,nb_read_frames:format=duration',
    '-of',
    'json',
    input,
  );
  const child = spawn('ffprobe', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child, { signal: options.signal });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const exit = await finished(child);
  clearTimeout(timer);
  const stderr = exit.stderr;
  if (timedOut) throw new Error(`ffprobe ${input} killed after ${timeoutMs} ms: ${stderr}`);

  let raw: RawProbe;
  try {
    raw = JSON.parse(exit.stdout) as RawProbe;
  } catch {
    throw new Error(`ffprobe ${input} gave no JSON (exit ${exit.code ?? exit.signal}): ${stderr}`);
  }
  // A read timeout on a network input is how the stream ends; anything else is an error.
  if (exit.code !== 0 && !isNetworkInput(input)) {
    throw new Error(`ffprobe ${input} failed (exit ${exit.code ?? exit.signal}): ${stderr}`);
  }

  const streams: StreamFacts[] = (raw.streams ?? []).map((s) => {
    const packets = (raw.packets ?? []).filter((p) => p.stream_index === s.index);
    return {
      index: s.index,
      codecType: s.codec_type,
      codecName: s.codec_name ?? '',
      frames: Number(s.nb_read_frames ?? 0),
      packets: packets.length,
      pts: packets.map((p) => Number(p.pts_time)),
      dts: packets.map((p) => Number(p.dts_time)),
      keyPackets: packets.filter((p) => (p.flags ?? '').includes('K')).length,
    };
  });
  const duration = raw.format?.duration;
  return {
    streams,
    video: streams.find((s) => s.codecType === 'video'),
    audio: streams.find((s) => s.codecType === 'audio'),
    durationSeconds: duration === undefined ? undefined : Number(duration),
    stderr,
  };
}

export interface PublishOptions {
  /** Read the input at its native rate (-re), as a camera would send it. */
  realtime?: boolean;
  /** Loop the input this many extra times (-stream_loop; -1 = forever). */
  loop?: number;
  /** Arguments placed before the output URL (e.g. ['-tls_verify', '1']). */
  outputArgs?: string[];
  /** Kill ffmpeg when this aborts (pass a test's `t.signal`). */
  signal?: AbortSignal;
}

export interface PublishResult extends ExitResult {
  stderr: string;
}

export interface Publisher {
  readonly process: ChildProcess;
  /** Resolves (never rejects) when ffmpeg has exited. */
  readonly done: Promise<PublishResult>;
  /** Asks ffmpeg to finish (SIGTERM: it closes the stream cleanly), SIGKILL after 5 s. */
  stop(): Promise<PublishResult>;
}

/** Publishes an FLV file to `url` with ffmpeg, copying the streams as they are. */
export function ffmpegPublish(file: string, url: string, options: PublishOptions = {}): Publisher {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
  if (options.realtime) args.push('-re');
  if (options.loop !== undefined) args.push('-stream_loop', String(options.loop));
  args.push('-i', file, '-map', '0', '-c', 'copy', ...(options.outputArgs ?? []), '-f', 'flv', url);
  const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  trackChild(child, { signal: options.signal });
  const done = finished(child).then(({ code, signal, stderr }) => ({ code, signal, stderr }));
  return {
    process: child,
    done,
    stop: async () => {
      await terminate(child, 'SIGTERM', 5000);
      return done;
    },
  };
}
