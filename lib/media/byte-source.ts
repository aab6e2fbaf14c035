// Opening an encoder's output by path, read the cheapest way Node has for what it is.
//
// A camera's encoder hands its elementary streams over through named pipes (or a character
// device). fs.createReadStream reads those through libuv's thread pool: every read is a job
// queued to a pool thread, a blocking read() there and a wake-up of the main thread to
// collect it — two threads woken per chunk, and at a 30 fps stream most chunks are one
// frame. Measured here on the camera workload (1080p30 4.5 Mbit/s + AAC, two FIFOs read and
// discarded): 127 CPU-s per hour and 362 wake-ups/s through the thread pool, 71 CPU-s and 89
// wake-ups/s through the event loop's own epoll. So a named pipe is opened as a net.Socket
// on its descriptor (non-blocking, polled by the event loop); anything else (a regular file,
// which epoll cannot poll; a device) goes through fs.createReadStream as before.
import fs from 'node:fs';
import net from 'node:net';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ErrorCodes, invalidArg, RtmpError } from '../errors';

/** What pipeVideo() and pipeAudio() read: a Readable (or any async iterable of Buffers), or a path to open. */
export type ByteSource = AsyncIterable<unknown> | string | URL;

// Regular files: large reads, the file is there to be read flat out (or paced by the feed).
const FILE_CHUNK_BYTES = 256 * 1024;

const openFd = promisify(fs.open);

function pathOf(source: string | URL): string {
  const file = source instanceof URL ? fileURLToPath(source) : source;
  if (typeof file !== 'string' || file.length === 0 || file.includes('\0')) throw invalidArg('a byte source path must be a non-empty file path or file: URL');
  return file;
}

/**
 * Opens `source` for reading as a byte stream. A FIFO's open waits (in the thread pool, as
 * fs.createReadStream's does) until its writer opens the other end: opened non-blocking it
 * would read end-of-file at once when the encoder has not started yet.
 */
export async function openByteSource(source: string | URL): Promise<Readable> {
  const file = pathOf(source);
  let fd: number;
  try {
    const stats = await fs.promises.stat(file);
    if (!stats.isFIFO()) return fs.createReadStream(file, { highWaterMark: FILE_CHUNK_BYTES });
    fd = await openFd(file, fs.constants.O_RDONLY);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new RtmpError(ErrorCodes.FILE, `cannot open ${file}: ${reason}`, { cause: error });
  }
  // The socket owns the descriptor from here (libuv makes it non-blocking) and closes it.
  return new net.Socket({ fd, readable: true, writable: false, allowHalfOpen: true });
}
