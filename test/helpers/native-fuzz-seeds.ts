// Seed inputs for the libFuzzer targets (native/fuzz), made at run time from the nginx-rtmp
// replies the hostile-server fuzzer replays (test/fixtures/fuzz-seeds.json), in each target's
// input format (see the comment at the top of each target):
//   packet_reader_fuzzer  an options byte, then the server's chunk stream after the handshake
//   amf_decoder_fuzzer    an options byte, then the AMF0 body of a command or data message
//   flv_file_reader_fuzzer  a byte that sets the read slice, then an FLV file (from the fixture)
import fs from 'node:fs';
import path from 'node:path';
import { loadSeeds } from './capture-seeds';
import { AV_FLV } from './fixtures';
import { ChunkWriter, type RtmpMessage } from './rtmp-chunks';

const PACKET_READER_PUBLISH = 1;
const PACKET_READER_LIVE = 2;
const AMF_DECODE_LIST = 0;
const AMF_DECODE_VALUE = 2;
const AMF0_DATA = 18;
const AMF0_COMMAND = 20;

export type NativeFuzzTarget = 'packet_reader_fuzzer' | 'amf_decoder_fuzzer' | 'flv_file_reader_fuzzer';

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
  return { packet_reader_fuzzer: unique(streams), amf_decoder_fuzzer: unique(amf), flv_file_reader_fuzzer: flvFiles() };
}

// The fixture's start (header, onMetaData, sequence headers, first frames), cut inside a tag;
// the same without the file header; a few whole tags. Slices of 16, 44 and 1036 bytes.
function flvFiles(): Buffer[] {
  const fixture = fs.readFileSync(AV_FLV);
  const start = fixture.subarray(0, 6000);
  const files = [start, start.subarray(13), fixture.subarray(0, 13 + 2 * 1024)];
  return [0, 7, 255].flatMap((slice) => files.map((file) => Buffer.concat([Buffer.from([slice]), file])));
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
