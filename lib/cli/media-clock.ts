// Media time of a played stream. A server sends a late joiner the codec configuration
// (and metadata) it cached, stamped 0 or with the stream's first time, before the frames at
// the current time: the clock starts at the first frame, not at those.
import type { FlvTag } from '../flv';
import { isConfigurationTag } from '../flv-tags';

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
