// StartGate: where one destination of a shared encode picks the stream up. The muxer runs
// once for every destination, so a destination that (re)connects mid-stream cannot ask it to
// start over; the gate keeps the stream's current onMetaData and sequence headers instead and,
// after restart(), sends them again before the next tag, with video held back until the next
// keyframe (audio goes on at once, as after a reconnect of a single publisher).
import type { FlvTag } from '../flv';
import { isKeyframe, isSequenceHeader } from '../flv-tags';

export interface GateStats {
  /** Video frames not passed on while waiting for a keyframe after restart(). */
  skippedVideoFrames: number;
}

export class StartGate {
  #metadata: FlvTag | undefined;
  #videoHeader: FlvTag | undefined;
  #audioHeader: FlvTag | undefined;
  #resendHeaders = false;
  #waitingForKeyframe = false;
  #skippedVideoFrames = 0;

  stats(): GateStats {
    return { skippedVideoFrames: this.#skippedVideoFrames };
  }

  /** The next tags start a new session: headers first, video from a keyframe. */
  restart(): void {
    this.#resendHeaders = true;
    this.#waitingForKeyframe = true;
  }

  /** The tags this destination sends of `tags` (the muxer's output, in order). */
  pass(tags: readonly FlvTag[]): FlvTag[] {
    const out: FlvTag[] = [];
    for (const tag of tags) {
      if (tag.type === 'script') {
        this.#metadata = tag;
      } else if (isSequenceHeader(tag)) {
        if (tag.type === 'video') this.#videoHeader = tag;
        else this.#audioHeader = tag;
      } else if (tag.type === 'video' && this.#waitingForKeyframe) {
        if (!isKeyframe(tag)) {
          this.#skippedVideoFrames++;
          continue;
        }
        this.#waitingForKeyframe = false;
      }
      if (this.#resendHeaders) {
        this.#resendHeaders = false;
        out.push(...this.#headersAt(tag.timestamp, tag));
      }
      out.push(tag);
    }
    return out;
  }

  // The cached headers, retimed to where the new session starts; not the one about to pass.
  #headersAt(timestamp: number, next: FlvTag): FlvTag[] {
    return [this.#metadata, this.#videoHeader, this.#audioHeader]
      .filter((tag): tag is FlvTag => tag !== undefined && tag !== next)
      .map((tag) => ({ ...tag, timestamp }));
  }
}
