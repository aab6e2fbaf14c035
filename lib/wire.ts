// How tags cross between JavaScript and the addon (lib/native.ts declares the calls):
// outgoing, the tag bodies as they are plus one Uint32Array of (type id, timestamp) pairs —
// the bodies are referenced, not copied, until the write's callback; incoming, the bodies of
// a read back to back in one Buffer plus (type id, timestamp, offset, size) per message.
import { ErrorCodes, invalidArg, RtmpError } from './errors';
import { AGGREGATE_MESSAGE_TYPE, MAX_TAG_DATA_SIZE, splitAggregate, TAG_TYPE_IDS, tagTypeFromId, type FlvTag } from './flv';
import { decodeScriptData } from './media/metadata';

/** Tags packed for NativeConnection.write(). */
export interface PackedTags {
  bodies: Buffer[];
  /** Per tag: the RTMP message type id, then the timestamp. */
  meta: Uint32Array;
  /** Sum of the bodies' lengths. */
  bytes: number;
}

/** Checks each tag (coded errors naming its index) and packs them for the addon. */
export function packTags(tags: readonly FlvTag[]): PackedTags {
  if (!Array.isArray(tags as unknown)) throw invalidArg('writeTags() takes an array of tags');
  const bodies: Buffer[] = [];
  const meta = new Uint32Array(tags.length * 2);
  let bytes = 0;
  tags.forEach((tag, i) => {
    checkTag(tag, i);
    bodies.push(tag.data);
    bytes += tag.data.length;
    meta[i * 2] = TAG_TYPE_IDS[tag.type];
    meta[i * 2 + 1] = tag.timestamp;
  });
  return { bodies, meta, bytes };
}

function checkTag(tag: FlvTag, index: number): void {
  if (typeof tag !== 'object' || tag === null) throw invalidArg(`tags[${index}] must be an object`);
  if (!(tag.type in TAG_TYPE_IDS)) throw invalidArg(`tags[${index}].type must be 'audio', 'video' or 'script'`);
  if (!Number.isInteger(tag.timestamp) || tag.timestamp < 0 || tag.timestamp > 0xffffffff) {
    throw invalidArg(`tags[${index}].timestamp must be an integer from 0 to 2^32-1 (ms)`);
  }
  if (!Buffer.isBuffer(tag.data)) throw invalidArg(`tags[${index}].data must be a Buffer`);
  if (tag.data.length > MAX_TAG_DATA_SIZE) {
    throw new RtmpError(ErrorCodes.MESSAGE_TOO_LARGE, `tags[${index}] is ${tag.data.length} bytes; RTMP messages hold at most ${MAX_TAG_DATA_SIZE}`);
  }
}

// Metadata read from a server comes out as objects; undecodable script data stays bytes.
function decodedScript(body: Buffer): Pick<FlvTag, 'script'> {
  try {
    return { script: decodeScriptData(body) };
  } catch {
    return {};
  }
}

/** The tags of what NativeConnection.read() delivered: views into `data`, aggregates split. */
export function unpackTags(data: Buffer, meta: Uint32Array): FlvTag[] {
  const tags: FlvTag[] = [];
  for (let i = 0; i + 3 < meta.length; i += 4) {
    const [typeId, timestamp, offset, size] = [meta[i], meta[i + 1], meta[i + 2], meta[i + 3]];
    const body = data.subarray(offset, offset + size);
    if (typeId === AGGREGATE_MESSAGE_TYPE) {
      tags.push(...splitAggregate(body, timestamp));
      continue;
    }
    const type = tagTypeFromId(typeId);
    if (type === 'script') tags.push({ type, timestamp, data: body, ...decodedScript(body) });
    else if (type !== undefined) tags.push({ type, timestamp, data: body });
  }
  return tags;
}
