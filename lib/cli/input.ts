// What `push` sends from FLV: tags read from a file or stdin, with timestamps continued
// across --loop passes. Raw H.264/HEVC elementary streams go through elementary.ts.
import fs from 'node:fs';
import { addAbortSignal, type Readable } from 'node:stream';
import { FlvParser, type FlvTag } from '../flv';
import { isConfigurationTag } from '../flv-tags';
import { CliError, ExitCodes, usageError } from './exit-codes';

export const INPUT_FORMATS = ['flv'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

export interface InputSpec {
  /** A file path, or '-' for stdin. */
  path: string;
  format: InputFormat;
  loop: boolean;
}

/** The gap put between the last tag of a pass and the first of the next when no frame rate is known. */
const DEFAULT_LOOP_GAP_MS = 40;
const READ_CHUNK_BYTES = 64 * 1024;

export function parseInputFormat(value: string | undefined): InputFormat {
  const format = value ?? 'flv';
  if ((INPUT_FORMATS as readonly string[]).includes(format)) return format as InputFormat;
  throw usageError(`--input-format ${format} is not supported (supported: ${INPUT_FORMATS.join(', ')}, h264, hevc)`);
}

/** Checks the input before anything connects, so a typo fails fast with a usage error. */
export function checkInput(spec: InputSpec, stdin: NodeJS.ReadStream): void {
  if (spec.path === '-') {
    if (spec.loop) throw usageError('--loop needs a file: stdin cannot be read twice');
    if (stdin.isTTY) throw usageError('stdin is a terminal; pipe FLV into it or name a file');
    return;
  }
  try {
    const stat = fs.statSync(spec.path);
    if (!stat.isFile()) throw new Error('not a file');
    fs.accessSync(spec.path, fs.constants.R_OK);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new CliError('ERR_INPUT', `cannot read ${spec.path}: ${reason}`, ExitCodes.USAGE);
  }
}

async function* flvTags(source: Readable): AsyncGenerator<FlvTag[]> {
  const parser = new FlvParser();
  for await (const chunk of source) {
    const tags = parser.push(chunk as Buffer);
    if (tags.length > 0) yield tags;
  }
}

function open(spec: InputSpec, stdin: NodeJS.ReadStream): Readable {
  return spec.path === '-' ? stdin : fs.createReadStream(spec.path, { highWaterMark: READ_CHUNK_BYTES });
}

const readers: Record<InputFormat, (source: Readable) => AsyncGenerator<FlvTag[]>> = { flv: flvTags };

/**
 * Batches of tags in input order. With `loop`, the file is read again and again; timestamps
 * go on from where the previous pass ended (plus one frame interval) and the metadata
 * (script) tags of later passes are left out: a server takes them as a new stream.
 */
export async function* readInput(spec: InputSpec, stdin: NodeJS.ReadStream, signal?: AbortSignal): AsyncGenerator<FlvTag[]> {
  let offset = 0;
  for (let pass = 0; ; pass++) {
    let first: number | undefined;
    let last = 0;
    let lastVideo: number | undefined;
    let gap = DEFAULT_LOOP_GAP_MS;
    const source = open(spec, stdin);
    // A stop must not wait for the next bytes of a quiet pipe: it destroys the source.
    if (signal) addAbortSignal(signal, source);
    const batches = readers[spec.format](source);
    for (;;) {
      let next: IteratorResult<FlvTag[]>;
      try {
        next = await batches.next();
      } catch (error) {
        if (signal?.aborted) return;
        throw error;
      }
      if (next.done || signal?.aborted) break;
      const batch = next.value;
      const out: FlvTag[] = [];
      for (const tag of batch) {
        first ??= tag.timestamp;
        if (tag.type === 'video') {
          if (lastVideo !== undefined && tag.timestamp > lastVideo) gap = tag.timestamp - lastVideo;
          lastVideo = tag.timestamp;
        }
        last = Math.max(last, tag.timestamp);
        if (pass > 0 && tag.type === 'script') continue;
        out.push(pass === 0 ? tag : { ...tag, timestamp: (offset + tag.timestamp - (first ?? 0)) >>> 0 });
      }
      if (out.length > 0) yield out;
    }
    if (!spec.loop || first === undefined || signal?.aborted) return;
    offset += (pass === 0 ? last : last - first) + gap;
  }
}

/**
 * The timestamp of the file's first frame (after metadata and codec configuration), from
 * its first 64 KB; 0 when none is there. Progress counts media time from it.
 */
export async function firstFrameTimestamp(file: string): Promise<number> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const head = Buffer.alloc(READ_CHUNK_BYTES);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const frame = new FlvParser().push(head.subarray(0, bytesRead)).find((tag) => !isConfigurationTag(tag));
    return frame?.timestamp ?? 0;
  } finally {
    await handle.close();
  }
}
