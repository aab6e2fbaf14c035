// Node stream views of a connection. Backpressure is real: the readable asks the native
// thread for more only when its consumer wants it, and the writable completes a write only
// once librtmp has written it, so nothing buffers without bound.
import { Readable, Writable } from 'node:stream';
import { encodeFlvHeader, encodeTag } from './flv';

/** The part of RtmpConnection the stream adapters need. */
export interface TagSource {
  readTags(): Promise<import('./flv').FlvTag[] | null>;
  close(): Promise<void>;
}

export interface ByteSink {
  write(flv: Buffer): Promise<void>;
  close(): Promise<void>;
}

export interface StreamOptions {
  /** Bytes buffered before backpressure (default 1 MiB for writables, 256 KiB for readables). */
  highWaterMark?: number;
  /** Close the connection when the stream ends or is destroyed (default true). */
  closeConnection?: boolean;
}

/** An FLV byte stream (header first) of what the connection plays. */
export function flvReadable(source: TagSource, options: StreamOptions = {}): Readable {
  let headerSent = false;
  const closeConnection = options.closeConnection ?? true;
  return new Readable({
    highWaterMark: options.highWaterMark ?? 256 * 1024,
    read() {
      source.readTags().then(
        (tags) => {
          if (tags === null) {
            this.push(null);
            return;
          }
          const parts = headerSent ? [] : [encodeFlvHeader()];
          headerSent = true;
          for (const tag of tags) parts.push(encodeTag(tag));
          this.push(Buffer.concat(parts));
        },
        (error: Error) => this.destroy(error),
      );
    },
    destroy(error, callback) {
      if (!closeConnection) return callback(error);
      source.close().then(
        () => callback(error),
        () => callback(error),
      );
    },
  });
}

/** A writable for FLV bytes (with or without the file header) that publishes them. */
export function flvWritable(sink: ByteSink, options: StreamOptions = {}): Writable {
  const closeConnection = options.closeConnection ?? true;
  return new Writable({
    highWaterMark: options.highWaterMark ?? 1024 * 1024,
    writev(chunks, callback) {
      sink.write(Buffer.concat(chunks.map((c) => c.chunk as Buffer))).then(() => callback(), callback);
    },
    final(callback) {
      if (!closeConnection) return callback();
      sink.close().then(() => callback(), callback);
    },
    destroy(error, callback) {
      if (!closeConnection) return callback(error);
      sink.close().then(
        () => callback(error),
        () => callback(error),
      );
    },
  });
}
