// Seed inputs for the libFuzzer targets (native/fuzz), made at run time from the nginx-rtmp
// replies the hostile-server fuzzer replays (test/fixtures/fuzz-seeds.json), in each target's
// input format (see the comment at the top of each target):
//   packet_reader_fuzzer  an options byte, then the server's chunk stream after the handshake
//   amf_decoder_fuzzer    an options byte, then the AMF0 body of a command or data message
//   flv_file_reader_fuzzer  a byte that sets the read slice, then an FLV file (from the fixture)
//   camera_feed_fuzzer    a byte that sets the read size, then an encoder's bytes: the
//                         fixture's H.264 as Annex-B, its AAC as ADTS
import fs from 'node:fs';
import path from 'node:path';
import { loadSeeds } from './capture-seeds';
import { FlvParser } from '../../lib/flv';
import { AV_FLV } from './fixtures';
import { ChunkWriter, type RtmpMessage } from './rtmp-chunks';

const PACKET_READER_PUBLISH = 1;
const PACKET_READER_LIVE = 2;
const AMF_DECODE_LIST = 0;
const AMF_DECODE_VALUE = 2;
const AMF0_DATA = 18;
const AMF0_COMMAND = 20;

export type NativeFuzzTarget = 'packet_reader_fuzzer' | 'amf_decoder_fuzzer' | 'flv_file_reader_fuzzer' | 'camera_feed_fuzzer';

function chunkStream(messages: RtmpMessage[]): Buffer {
  const writer = new ChunkWriter();
  return Buffer.concat(messages.map((m) => writer.write(m)));
}

function withOptions(options: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([options]), body]);
}

/** The seed inputs of each target, without duplicates. */
export function nativeFuzzSeeds(): Record<NativeFuzzTarget, Buffer[]> {
  const seeds = loadSeeds();
  const streams: Buffer[] = [];
  const amf: Buffer[] = [];
  const sessions: Array<[RtmpMessage[][], number[]]> = [
    [seeds.publish, [PACKET_READER_PUBLISH]],
    [seeds.play, [0, PACKET_READER_LIVE]],
  ];
  for (const [bursts, optionSets] of sessions) {
    for (const options of optionSets) {
      // The whole conversation drives librtmp from connect to publishing or playing; each
      // burst alone starts it somewhere in the middle.
      streams.push(withOptions(options, chunkStream(bursts.flat())));
      for (const burst of bursts) streams.push(withOptions(options, chunkStream(burst)));
    }
    for (const message of bursts.flat()) {
      if (message.type !== AMF0_COMMAND && message.type !== AMF0_DATA) continue;
      amf.push(withOptions(AMF_DECODE_LIST, message.payload));
      amf.push(withOptions(AMF_DECODE_VALUE, message.payload));
    }
  }
  const unique = (inputs: Buffer[]): Buffer[] => [
    ...new Map(inputs.map((b) => [b.toString('hex'), b])).values(),
  ];
  return { packet_reader_fuzzer: unique(streams), amf_decoder_fuzzer: unique(amf), flv_file_reader_fuzzer: flvFiles(), camera_feed_fuzzer: elementaryStreams() };
}

// The fixture's start (header, onMetaData, sequence headers, first frames), cut inside a tag;
// the same without the file header; a few whole tags. Slices of 16, 44 and 1036 bytes.
function flvFiles(): Buffer[] {
  const fixture = fs.readFileSync(AV_FLV);
  const start = fixture.subarray(0, 6000);
  const files = [start, start.subarray(13), fixture.subarray(0, 13 + 2 * 1024)];
  return [0, 7, 255].flatMap((slice) => files.map((file) => Buffer.concat([Buffer.from([slice]), file])));
}

// The fixture's first video frames as an encoder's Annex-B output (the sequence header's SPS
// and PPS before the keyframe, a 4-byte start code before each NAL unit) and its first AAC
// frames as ADTS; each with reads of 1, 64 and 256 bytes.
function elementaryStreams(): Buffer[] {
  const tags = new FlvParser().push(fs.readFileSync(AV_FLV));
  const startCode = Buffer.of(0, 0, 0, 1);
  const video: Buffer[] = [];
  const audio: Buffer[] = [];
  let asc: Buffer | undefined;
  for (const tag of tags) {
    if (tag.type === 'video' && video.length < 40) {
      const body = tag.data.subarray(5);
      if (tag.data[1] === 0) {
        // AVCDecoderConfigurationRecord: one SPS, then one PPS.
        const spsLength = body.readUInt16BE(6);
        const sps = body.subarray(8, 8 + spsLength);
        const pps = body.subarray(8 + spsLength + 3, 8 + spsLength + 3 + body.readUInt16BE(8 + spsLength + 1));
        video.push(startCode, sps, startCode, pps);
      } else {
        for (let at = 0; at + 4 <= body.length; at += 4 + body.readUInt32BE(at)) video.push(startCode, body.subarray(at + 4, at + 4 + body.readUInt32BE(at)));
      }
    } else if (tag.type === 'audio' && audio.length < 20) {
      if (tag.data[1] === 0) asc = tag.data.subarray(2);
      else if (asc) audio.push(adtsFrame(asc, tag.data.subarray(2)));
    }
  }
  const streams = [Buffer.concat(video), Buffer.concat(audio)];
  return [0, 63, 255].flatMap((read) => streams.map((stream) => Buffer.concat([Buffer.from([read]), stream])));
}

// An ADTS header (no CRC) for a raw AAC frame of the AudioSpecificConfig's kind.
function adtsFrame(asc: Buffer, raw: Buffer): Buffer {
  const objectType = asc[0] >> 3;
  const frequencyIndex = ((asc[0] & 0x07) << 1) | (asc[1] >> 7);
  const channels = (asc[1] >> 3) & 0x0f;
  const length = raw.length + 7;
  const header = Buffer.of(
    0xff, 0xf1,
    ((objectType - 1) << 6) | (frequencyIndex << 2) | (channels >> 2),
    ((channels & 3) << 6) | (length >> 11),
    (length >> 3) & 0xff,
    ((length & 7) << 5) | 0x1f,
    0xfc,
  );
  return Buffer.concat([header, raw]);
}

/** Writes each target's seeds into `<dir>/<target>/` (emptied first); returns the counts. */
export function writeNativeFuzzSeeds(dir: string): Record<NativeFuzzTarget, number> {
  const all = nativeFuzzSeeds();
  const counts = {} as Record<NativeFuzzTarget, number>;
  for (const target of Object.keys(all) as NativeFuzzTarget[]) {
    const targetDir = path.join(dir, target);
    fs.rmSync(targetDir, { recursive: true, force: true });
    fs.mkdirSync(targetDir, { recursive: true });
    all[target].forEach((input, i) => fs.writeFileSync(path.join(targetDir, `seed-${i}`), input));
    counts[target] = all[target].length;
  }
  return counts;
}
