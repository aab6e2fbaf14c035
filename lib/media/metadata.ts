// onMetaData: the script tag that tells players what the stream holds. It is sent as
// 'onMetaData' + an ECMA array; the addon prefixes '@setDataFrame' when publishing, so that
// the server keeps it for players that join later.
import { Amf0EcmaArray, decodeAmf0, encodeAmf0, type Amf0Value } from '../amf0';
import type { FlvTag } from '../flv';

export interface StreamMetadata {
  width?: number;
  height?: number;
  framerate?: number;
  /** kbit/s, as FLV players expect. */
  videodatarate?: number;
  audiodatarate?: number;
  /** FLV CodecID (7 = AVC) or, for Enhanced RTMP, a FourCC's number. */
  videocodecid?: number;
  /** FLV SoundFormat (10 = AAC). */
  audiocodecid?: number;
  audiosamplerate?: number;
  audiochannels?: number;
  stereo?: boolean;
  encoder?: string;
  /** Anything else to announce. */
  [key: string]: Amf0Value;
}

/** The script tag body of onMetaData; unset fields are left out. */
export function encodeMetadata(metadata: StreamMetadata): Buffer {
  const properties: { [key: string]: Amf0Value } = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (value !== undefined) properties[key] = value;
  }
  return encodeAmf0('onMetaData', new Amf0EcmaArray(properties));
}

export function metadataTag(metadata: StreamMetadata, timestamp = 0): FlvTag {
  return { type: 'script', timestamp, data: encodeMetadata(metadata) };
}

/**
 * The name and values of a script tag as read from a stream, e.g.
 * { name: 'onMetaData', values: [{ width: 1280, … }] }; a leading '@setDataFrame' is skipped.
 */
export function decodeScriptData(data: Buffer): { name: string; values: Amf0Value[] } {
  const values = decodeAmf0(data);
  if (values[0] === '@setDataFrame') values.shift();
  const name = typeof values[0] === 'string' ? (values.shift() as string) : '';
  return { name, values };
}
