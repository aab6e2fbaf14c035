// AdtsSplitter: an AAC ADTS byte stream, sliced any way, in; whole ADTS frames out, each as
// the bytes MediaPublisher.writeAudio() takes, with what its header says (rate, channels,
// samples) so timestamps can follow the audio clock: 1024 samples a frame.
//
// A frame is handed out once its header is valid and all of its bytes have arrived. Bytes
// that are not a valid header (a stream joined mid-frame, a lost byte on a serial link) are
// skipped to the next sync word and counted in stats().droppedBytes: a decoder resynchronises
// the same way.
import { AAC_FRAME_SAMPLES, ADTS_HEADER_SIZE, readAdtsHeader, type AdtsHeader } from './aac';
import { asBytes, type SplitterStats } from './annexb-splitter';
import { ByteWindow } from './byte-window';

export interface AdtsFrameUnit {
  /** The whole ADTS frame, header included (a copy). */
  data: Buffer;
  /** MPEG-4 Audio Object Type (2 = AAC-LC). */
  objectType: number;
  sampleRate: number;
  /** Channel configuration 1–7. */
  channelConfig: number;
  /** PCM samples per channel the frame decodes to (1024). */
  samples: number;
}

export class AdtsSplitter {
  readonly #window = new ByteWindow(16 * 1024);
  readonly #stats: SplitterStats = { bytesIn: 0, units: 0, droppedBytes: 0 };

  stats(): SplitterStats {
    return { ...this.#stats };
  }

  /** Takes the next bytes of the stream; returns the frames they completed. */
  push(chunk: Uint8Array): AdtsFrameUnit[] {
    this.#stats.bytesIn += chunk.length;
    this.#window.append(chunk);
    const data = this.#window.bytes;
    const frames: AdtsFrameUnit[] = [];
    let at = 0;
    while (data.length - at >= ADTS_HEADER_SIZE) {
      const header = readAdtsHeader(data, at);
      if (typeof header === 'string') {
        at = this.#nextSync(data, at + 1);
        continue;
      }
      if (data.length - at < header.frameLength) break;
      frames.push(this.#frame(at, header));
      at += header.frameLength;
    }
    this.#window.consume(at);
    return frames;
  }

  /** End of stream: a trailing partial frame is dropped (and counted). */
  flush(): AdtsFrameUnit[] {
    this.#stats.droppedBytes += this.#window.length;
    this.#window.clear();
    return [];
  }

  // The next byte that may begin a sync word (0xFFF), counting what is skipped.
  #nextSync(data: Buffer, from: number): number {
    let at = data.indexOf(0xff, from);
    if (at < 0) at = data.length;
    this.#stats.droppedBytes += at - from + 1;
    return at;
  }

  #frame(at: number, header: AdtsHeader): AdtsFrameUnit {
    this.#stats.units++;
    return {
      data: this.#window.copy(at, at + header.frameLength),
      objectType: header.objectType,
      sampleRate: header.sampleRate,
      channelConfig: header.channelConfig,
      samples: AAC_FRAME_SAMPLES,
    };
  }
}

/** The ADTS frames of a byte stream (a Readable, or any async iterable of Buffers), in order. */
export async function* readAdtsFrames(source: AsyncIterable<unknown>): AsyncGenerator<AdtsFrameUnit, void, undefined> {
  const splitter = new AdtsSplitter();
  for await (const chunk of source) yield* splitter.push(asBytes(chunk));
}
