// Feeding a publisher from byte streams: an encoder's Annex-B video and ADTS audio as Node
// Readables (a pipe, a socket, a file) or paths to open (byte-source.ts: a named pipe is read
// through the event loop, not the thread pool), split into access units and frames and stamped.
//
// Timestamps, since an elementary stream carries none:
// - video, `frameRate`: frame n at n × 1000 / frameRate ms (from n itself: no drift);
// - video, `clock`: each access unit at the clock's reading when it is complete (arrival
//   time: a live source that is not regular);
// - audio: its own clock, 1024 samples a frame (frame n at n × 1024 / rate); with `clock`,
//   counted from the clock's reading at the first frame, so it lines up with clock-stamped
//   video. Clock readings count from the first one any feed of the publisher took.
// Decoding order is presentation order here, so B-frames (which need the encoder's own pts
// and dts) are refused; camera encoders do not use them.
//
// Pacing (`pace`, default on with frameRate): each frame is written when its time comes, like
// ffmpeg -re, on the publisher's one pacer — a file or a fast pipe then streams live instead
// of flooding the send queue (which drops what runs ahead of the link).
import type { AudioFrame } from './aac';
import { AdtsSplitter } from './adts-splitter';
import { AnnexBSplitter, asBytes, type AnnexBCodec } from './annexb-splitter';
import { openByteSource, type ByteSource } from './byte-source';
import { invalidArg } from '../errors';
import { mediaError } from './errors';
import { hasBSlice, type VideoFrame } from './h264';
import { HevcSliceTypes } from './hevc';
import { Pacer } from './pacer';

export type FeedClock = 'monotonic' | (() => number);

export interface PipeOptions {
  /** Video: frames per second; frame n is at n × 1000 / frameRate ms. */
  frameRate?: number;
  /** Stamp by a clock in ms ('monotonic': performance.now()) instead: video at each unit's arrival, audio from its first frame. */
  clock?: FeedClock;
  /** Write each frame when its time comes (like ffmpeg -re). Default true with frameRate, false with clock. */
  pace?: boolean;
  /** Stops reading: the pipe resolves with what was written (the source is not destroyed). */
  signal?: AbortSignal;
  /** Video: see AnnexBSplitter. */
  maxAccessUnitBytes?: number;
}

export interface PipeResult {
  /** Frames written. */
  frames: number;
  bytes: number;
  /** Bytes that belonged to no frame (before the first start code; junk between ADTS frames). */
  droppedBytes: number;
}

export interface FrameWriter {
  writeVideo(frame: VideoFrame): Promise<void>;
  writeAudio(frame: AudioFrame): Promise<void>;
}

/** What the feeds of one publisher share: the clock's zero and the pacer. */
export class FeedTiming {
  readonly pacer: Pacer;
  #zero: number | undefined;

  /** `signal`: ends every wait of the pacer (the publisher is closed). */
  constructor(signal?: AbortSignal) {
    this.pacer = new Pacer(signal);
  }

  /** Milliseconds since the first reading any feed took. */
  read(clock: FeedClock): number {
    const now = clock === 'monotonic' ? performance.now() : clock();
    if (!Number.isFinite(now)) throw mediaError('the feed clock gave a time that is not a number');
    this.#zero ??= now;
    return now - this.#zero;
  }
}

function checkTiming(options: PipeOptions, video: boolean): void {
  const { frameRate, clock } = options;
  if (frameRate !== undefined && !(Number.isFinite(frameRate) && frameRate > 0 && frameRate <= 1000)) {
    throw invalidArg('frameRate must be frames per second, > 0 and ≤ 1000');
  }
  if (clock !== undefined && clock !== 'monotonic' && typeof clock !== 'function') throw invalidArg("clock must be 'monotonic' or a function returning ms");
  if (video && (frameRate === undefined) === (clock === undefined)) throw invalidArg('a video byte stream needs its timing: frameRate or clock (one of them)');
  if (!video && frameRate !== undefined) throw invalidArg('audio takes its timing from its samples (or clock), not frameRate');
}

// The source's chunks until its end or the signal; a source destroyed by the signal (as
// stream.addAbortSignal does) ends the feed normally. A path is opened here (see
// byte-source.ts), destroyed by the signal (a quiet pipe must not hold a stop back) and
// closed at the end.
async function* chunks(source: ByteSource, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
  const owned = typeof source === 'string' || source instanceof URL ? await openByteSource(source) : undefined;
  const stop = owned && ((): void => void owned.destroy());
  if (stop) signal?.addEventListener('abort', stop, { once: true });
  try {
    if (signal?.aborted) return;
    for await (const chunk of owned ?? (source as AsyncIterable<unknown>)) {
      if (signal?.aborted) return;
      yield asBytes(chunk);
    }
  } catch (error) {
    if (signal?.aborted) return;
    throw error;
  } finally {
    if (stop) signal?.removeEventListener('abort', stop);
    owned?.destroy();
  }
}

/** Splits `source` into access units, stamps them and writes them to `target`. */
export async function pipeVideo(target: FrameWriter, timing: FeedTiming, codec: AnnexBCodec, source: ByteSource, options: PipeOptions): Promise<PipeResult> {
  checkTiming(options, true);
  const splitter = new AnnexBSplitter({ codec, maxAccessUnitBytes: options.maxAccessUnitBytes });
  const { frameRate, clock, signal } = options;
  const pace = options.pace ?? frameRate !== undefined;
  let frames = 0;
  const hevcSlices = codec === 'hevc' ? new HevcSliceTypes() : undefined;
  const write = async (data: Buffer): Promise<void> => {
    if (hevcSlices ? hevcSlices.hasBSlice(data) : hasBSlice(data)) {
      const name = codec === 'h264' ? 'H.264' : 'HEVC';
      throw mediaError(`${name} B-frames need the encoder’s own pts and dts (writeVideo()); a byte stream is stamped in decoding order — turn B-frames off in the encoder`);
    }
    let ms: number;
    if (clock !== undefined) {
      ms = timing.read(clock);
    } else {
      ms = (frames * 1000) / (frameRate as number);
    }
    if (pace) await timing.pacer.waitFor(ms, signal);
    if (signal?.aborted) return;
    await target.writeVideo({ data, pts: ms, dts: ms });
    frames++;
  };
  for await (const chunk of chunks(source, signal)) {
    for (const unit of splitter.push(chunk)) {
      await write(unit);
      if (signal?.aborted) break;
    }
  }
  if (!signal?.aborted) for (const unit of splitter.flush()) await write(unit);
  const stats = splitter.stats();
  return { frames, bytes: stats.bytesIn, droppedBytes: stats.droppedBytes };
}

/** Splits `source` into ADTS frames, stamps them by their samples and writes them to `target`. */
export async function pipeAudio(target: FrameWriter, timing: FeedTiming, source: ByteSource, options: PipeOptions): Promise<PipeResult> {
  checkTiming(options, false);
  const { clock, signal } = options;
  const pace = options.pace ?? false;
  const splitter = new AdtsSplitter();
  let frames = 0;
  let start: number | undefined;
  let samples = 0;
  let rate: number | undefined;
  reading: for await (const chunk of chunks(source, signal)) {
    for (const frame of splitter.push(chunk)) {
      if (rate !== undefined && frame.sampleRate !== rate) {
        // A new rate starts a new grid where the old one ended.
        start = (start ?? 0) + (samples * 1000) / rate;
        samples = 0;
      }
      rate = frame.sampleRate;
      start ??= clock !== undefined ? timing.read(clock) : 0;
      const ms = start + (samples * 1000) / rate;
      if (pace) await timing.pacer.waitFor(ms, signal);
      if (signal?.aborted) break reading;
      await target.writeAudio({ data: frame.data, pts: ms });
      samples += frame.samples;
      frames++;
    }
  }
  splitter.flush();
  const stats = splitter.stats();
  return { frames, bytes: stats.bytesIn, droppedBytes: stats.droppedBytes };
}
