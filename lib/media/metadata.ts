// onMetaData: the script tag that tells players what the stream holds. It is sent as
// 'onMetaData' + an ECMA array; the addon prefixes '@setDataFrame' when publishing, so that
// the server keeps it for players that join later.
import { Amf0EcmaArray, decodeAmf0, encodeAmf0, type Amf0Value } from '../amf0';
import type { FlvTag } from '../flv';
import { SoundFormat } from '../flv-tags';

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

/** What onMetaData is made from: the tracks declared and what their configurations say. */
export interface StreamDescription {
  /** undefined: no video track. */
  videoCodecId?: number;
  sps?: { width: number; height: number; frameRate?: number };
  audio: boolean;
  /** From the AudioSpecificConfig (or the silent track's settings). */
  audioConfig?: { sampleRate: number; channels: number };
  /** Added to (and overriding) what the streams say. */
  extra?: StreamMetadata;
}

/** Channels of an AAC channel configuration (7 is 7.1: eight). */
export function aacChannels(channelConfig: number): number {
  return channelConfig === 7 ? 8 : channelConfig;
}

/** onMetaData's fields for a stream: what MediaPublisher and the native camera feed announce. */
export function streamMetadata(stream: StreamDescription): StreamMetadata {
  const fields: StreamMetadata = { encoder: 'node-librtmp' };
  if (stream.videoCodecId !== undefined) {
    fields.videocodecid = stream.videoCodecId;
    const sps = stream.sps;
    if (sps) {
      fields.width = sps.width;
      fields.height = sps.height;
      if (sps.frameRate !== undefined) fields.framerate = sps.frameRate;
    }
  }
  if (stream.audio) {
    fields.audiocodecid = SoundFormat.AAC;
    const config = stream.audioConfig;
    if (config) {
      fields.audiosamplerate = config.sampleRate;
      fields.audiochannels = config.channels;
      fields.stereo = config.channels >= 2;
    }
  }
  return { ...fields, ...stream.extra };
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
