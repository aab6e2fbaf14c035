// `librtmp check <input | url> --profile facebook`: a platform's rules (lib/media/stream-rules.ts)
// on an FLV file, an H.264/HEVC elementary stream (with an optional ADTS track), or a live
// stream played for --duration seconds; one line per rule, or JSON.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { RtmpConnection } from '../connection';
import { ErrorCodes, RtmpError } from '../errors';
import { FlvParser, type FlvTag } from '../flv';
import { connect } from '../index';
import { readAdtsFrames, type AdtsFrameUnit } from '../media/adts-splitter';
import { readAccessUnits, type AnnexBCodec } from '../media/annexb-splitter';
import { NalType, nalType, parseSps, splitAnnexB } from '../media/h264';
import { MediaPublisher } from '../media/muxer';
import { PLATFORM_PROFILES } from '../media/platform-profiles';
import { StreamRules, type RuleResult } from '../media/stream-rules';
import { connectionFlagSpecs, connectionFlagsHelp, connectionOptions } from './connection-flags';
import type { CliContext } from './context';
import { CliError, ExitCodes, usageError, type ExitCode } from './exit-codes';

export const checkHelp = `Usage: librtmp check [options] <input | url>

Checks a stream against a live platform's rules: keyframe interval, both tracks present,
codec, H.264 profile and level for the picture size and frame rate, picture size, frame
rate, AAC object type, sample rate and channels, video and audio bitrate, duration.
<input> is an FLV file, an H.264/HEVC Annex-B elementary stream or an ADTS AAC file (the
format is told from the first bytes; - reads stdin); <url> is played for --duration seconds.

Options:
  --profile NAME         facebook (default) or youtube
  --duration S           seconds of media to read from a URL (default 10)
  --codec C              the elementary video's codec: h264 (default) or hevc
  --audio FILE           an ADTS AAC file that goes with an elementary video stream
  --fps N                frame rate of an elementary video stream whose SPS has no timing
                         (default 30)
  --json                 one JSON object on stdout instead of lines
${connectionFlagsHelp}
  -h, --help             this help

Each line: pass, warn (against a recommendation) or fail (the platform refuses or ends
such a stream), the rule's code, what was measured and the limit. Exit code 0 when no
rule fails, 6 when one does (2: unreadable, malformed or unknown input; 3–5: as for pull).

Examples:
  librtmp check --profile facebook camera.flv
  librtmp check --json --audio mic.aac camera.h264
  librtmp check --duration 20 rtmp://127.0.0.1/live/cam`;

const specs = {
  ...connectionFlagSpecs,
  profile: { type: 'string' },
  duration: { type: 'string' },
  codec: { type: 'string' },
  audio: { type: 'string' },
  fps: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type InputKind = 'flv' | 'annexb' | 'adts';

function inputError(message: string): CliError {
  return new CliError('ERR_INPUT', message, ExitCodes.USAGE);
}

function positiveNumber(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw usageError(`${flag} takes a positive number`);
  return n;
}

/** What a byte stream is, from its first bytes. */
function kindOf(head: Buffer): InputKind | undefined {
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'FLV') return 'flv';
  let zeros = 0;
  while (zeros < head.length && head[zeros] === 0) zeros++;
  if (zeros >= 2 && head[zeros] === 1) return 'annexb';
  if (head.length >= 2 && head[0] === 0xff && (head[1] & 0xf6) === 0xf0) return 'adts';
  return undefined;
}

// The input's chunks, with the first ones (at least 16 bytes) looked at to tell its kind.
async function openInput(path: string, ctx: CliContext): Promise<{ kind: InputKind; chunks: AsyncIterable<Buffer> }> {
  let source: AsyncIterable<Buffer>;
  if (path === '-') {
    if (ctx.stdin.isTTY) throw usageError('stdin is a terminal; pipe the stream into it or name a file');
    source = ctx.stdin as AsyncIterable<Buffer>;
  } else {
    try {
      if (!fs.statSync(path).isFile()) throw new Error('not a file');
    } catch (error) {
      throw inputError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    source = fs.createReadStream(path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>;
  }
  const iterator = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let length = 0;
  while (length < 16) {
    const next = await iterator.next();
    if (next.done) break;
    head.push(next.value);
    length += next.value.length;
  }
  const first = Buffer.concat(head);
  if (first.length === 0) throw inputError(`${path === '-' ? 'stdin' : path} is empty`);
  const kind = kindOf(first);
  if (!kind) throw inputError(`${path === '-' ? 'stdin' : path} is not FLV, an H.264/HEVC Annex-B stream or ADTS AAC (it starts with ${first.subarray(0, 8).toString('hex')})`);
  async function* chunks(): AsyncGenerator<Buffer> {
    yield first;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { kind, chunks: chunks() };
}

// FLV video codec ids and sound formats the format defines; others are not FLV media at all.
const FLV_VIDEO_CODECS = new Set([2, 3, 4, 5, 6, 7, 12]);
const FLV_SOUND_FORMATS = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 14, 15]);

function checkCodecIds(tag: FlvTag, offsetHint: string): void {
  const d = tag.data;
  if (tag.type === 'script' || d.length === 0) return;
  if (tag.type === 'video' && !(d[0] & 0x80) && !FLV_VIDEO_CODECS.has(d[0] & 0x0f)) {
    throw new RtmpError(ErrorCodes.MEDIA_INVALID, `unknown FLV video codec id ${d[0] & 0x0f} ${offsetHint}`);
  }
  if (tag.type === 'audio' && !FLV_SOUND_FORMATS.has(d[0] >> 4)) {
    throw new RtmpError(ErrorCodes.MEDIA_INVALID, `unknown FLV sound format ${d[0] >> 4} ${offsetHint}`);
  }
}

async function feedFlv(chunks: AsyncIterable<Buffer>, rules: StreamRules): Promise<void> {
  const parser = new FlvParser();
  let tags = 0;
  for await (const chunk of chunks) {
    for (const tag of parser.push(chunk)) {
      tags++;
      checkCodecIds(tag, `in tag ${tags}`);
      rules.observe(tag);
    }
  }
  if (parser.pendingBytes > 0) {
    throw new RtmpError(ErrorCodes.FLV_PARSE, `the FLV is truncated: ${parser.pendingBytes} bytes of an incomplete tag after tag ${tags}`);
  }
  if (tags === 0) throw new RtmpError(ErrorCodes.FLV_PARSE, 'the FLV has no tags');
}

// Elementary streams go through the muxer a publisher would use: the rules see the tags it makes.
async function feedElementary(
  video: AsyncIterable<Buffer> | undefined,
  audio: AsyncIterable<Buffer> | undefined,
  codec: AnnexBCodec,
  fpsOption: number | undefined,
  rules: StreamRules,
): Promise<void> {
  const sink = { writeTags: (tags: readonly FlvTag[]): Promise<void> => (tags.forEach((tag) => rules.observe(tag)), Promise.resolve()) };
  const publisher = new MediaPublisher(sink, { videoCodec: codec, video: video !== undefined, audio: audio !== undefined });
  const units = video ? readAccessUnits(video, { codec })[Symbol.asyncIterator]() : undefined;
  const frames = audio ? readAdtsFrames(audio)[Symbol.asyncIterator]() : undefined;
  let fps = fpsOption;
  let videoN = 0;
  let audioMs = 0;
  let nextUnit = units ? await units.next() : undefined;
  let nextFrame = frames ? await frames.next() : undefined;
  while ((nextUnit && !nextUnit.done) || (nextFrame && !nextFrame.done)) {
    if (nextUnit && !nextUnit.done) fps ??= spsFrameRate(nextUnit.value, codec) ?? 30;
    const videoMs = videoN * (1000 / (fps ?? 30));
    const takeVideo = nextUnit !== undefined && !nextUnit.done && (!nextFrame || nextFrame.done || videoMs <= audioMs);
    if (takeVideo) {
      await publisher.writeVideo({ data: (nextUnit as IteratorYieldResult<Buffer>).value, pts: Math.round(videoMs) });
      videoN++;
      nextUnit = await (units as AsyncIterator<Buffer>).next();
    } else {
      const frame = (nextFrame as IteratorYieldResult<AdtsFrameUnit>).value;
      await publisher.writeAudio({ data: frame.data, pts: Math.round(audioMs) });
      audioMs += (frame.samples * 1000) / frame.sampleRate;
      nextFrame = await (frames as AsyncIterator<AdtsFrameUnit>).next();
    }
  }
  await publisher.end();
}

function spsFrameRate(unit: Buffer, codec: AnnexBCodec): number | undefined {
  if (codec !== 'h264') return undefined;
  try {
    const sps = splitAnnexB(unit).find((nal) => nalType(nal) === NalType.SPS);
    return sps ? parseSps(sps).frameRate : undefined;
  } catch {
    return undefined;
  }
}

async function feedUrl(url: string, durationMs: number, values: Parameters<typeof connectionOptions>[0], ctx: CliContext, rules: StreamRules): Promise<void> {
  const connection: RtmpConnection = await connect(url, { ...connectionOptions(values), live: true, signal: ctx.stop });
  try {
    let first: number | undefined;
    for await (const tag of connection.tags()) {
      if (ctx.stop.aborted) break;
      rules.observe(tag);
      if (tag.type === 'script') continue;
      first ??= tag.timestamp;
      if (tag.timestamp - first >= durationMs) break;
    }
  } finally {
    await connection.close();
  }
}

function formatMeasured(result: RuleResult): string {
  if (result.measured === undefined) return '—';
  return result.unit ? `${result.measured} ${result.unit}` : String(result.measured);
}

export async function runCheck(argv: string[], ctx: CliContext): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args: argv, options: specs, allowPositionals: true });
  if (values.help) {
    ctx.stdout.write(`${checkHelp}\n`);
    return ExitCodes.OK;
  }
  if (positionals.length !== 1) throw usageError('check takes one <input> or <url> (see librtmp check --help)');
  const profileName = values.profile ?? 'facebook';
  if (!Object.hasOwn(PLATFORM_PROFILES, profileName)) throw usageError(`--profile must be one of ${Object.keys(PLATFORM_PROFILES).join(', ')}`);
  const codec = values.codec ?? 'h264';
  if (codec !== 'h264' && codec !== 'hevc') throw usageError('--codec takes h264 or hevc');
  const fps = values.fps === undefined ? undefined : positiveNumber(values.fps, '--fps', 30);
  const durationMs = positiveNumber(values.duration, '--duration', 10) * 1000;
  const rules = new StreamRules(profileName as 'facebook');
  const [target] = positionals;

  if (target.includes('://')) {
    await feedUrl(target, durationMs, values, ctx, rules);
  } else {
    const input = await openInput(target, ctx);
    if (input.kind === 'flv') {
      if (values.audio !== undefined) throw usageError('--audio goes with an elementary video stream, not an FLV');
      await feedFlv(input.chunks, rules);
    } else if (input.kind === 'annexb') {
      const audio = values.audio === undefined ? undefined : (await openInput(values.audio, ctx));
      if (audio && audio.kind !== 'adts') throw inputError(`${values.audio} is not ADTS AAC`);
      await feedElementary(input.chunks, audio?.chunks, codec, fps, rules);
    } else {
      if (values.audio !== undefined) throw usageError('--audio goes with an elementary video stream');
      await feedElementary(undefined, input.chunks, codec, fps, rules);
    }
  }

  const results = rules.results();
  const failed = results.some((r) => r.status === 'fail');
  if (values.json) {
    const { name, source } = rules.profile;
    ctx.stdout.write(`${JSON.stringify({ profile: name, source, passed: !failed, durationMs: rules.durationMs(), results })}\n`);
  } else {
    const width = Math.max(...results.map((r) => r.rule.length));
    for (const r of results) {
      ctx.stdout.write(`${r.status.padEnd(4)}  ${r.rule.padEnd(width)}  ${r.code.padEnd(22)}  ${formatMeasured(r).padEnd(14)}  ${r.limit}\n`);
    }
    ctx.stdout.write(`${failed ? 'FAILED' : 'passed'}: ${rules.profile.name} profile (${rules.profile.source})\n`);
  }
  return failed ? ExitCodes.CHECK_FAILED : ExitCodes.OK;
}
