// Media time of a played stream. A server sends a late joiner the codec configuration
// (and metadata) it cached, stamped 0 or with the stream's first time, before the frames at
// the current time: the clock starts at the first frame, not at those.
import type { FlvTag } from '../flv';

const AAC = 10;
const AVC = 7;
const HEVC = 12;

/** Metadata and codec configuration records (AVC/HEVC/AAC sequence headers, enhanced-FLV sequence start). */
export function isConfigurationTag(tag: FlvTag): boolean {
  const d = tag.data;
  if (tag.type === 'script') return true;
  if (d.length < 2) return false;
  if (tag.type === 'audio') return d[0] >> 4 === AAC && d[1] === 0;
  if (d[0] & 0x80) return (d[0] & 0x0f) === 0; // enhanced FLV: PacketTypeSequenceStart
  const codec = d[0] & 0x0f;
  return (codec === AVC || codec === HEVC) && d[1] === 0;
}

export class MediaClock {
  #first: number | undefined;
  #last = 0;

  /** Media ms of this tag since the first frame (0 for configuration before it). */
  see(tag: FlvTag): number {
    if (this.#first === undefined) {
      if (isConfigurationTag(tag)) return 0;
      this.#first = tag.timestamp;
    }
    const at = tag.timestamp - this.#first;
    this.#last = Math.max(this.#last, at);
    return at;
  }

  /** The furthest media time seen, ms. */
  get elapsedMs(): number {
    return this.#last;
  }
}
