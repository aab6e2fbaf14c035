// The streaming splitters: Annex-B byte streams (H.264 and HEVC, with and without AUDs, one
// or several slices a picture) and ADTS, cut into chunks of random sizes down to one byte,
// must give the same access units and frames as the whole stream split at once by the test's
// own splitter, as many as ffmpeg's packets, every one accepted by the packetizers.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { AdtsSplitter, AnnexBSplitter, ErrorCodes, readAccessUnits, readAdtsFrames, RtmpError } from '../lib/index';
import { AacPacketizer } from '../lib/media/aac';
import { H264Packetizer } from '../lib/media/h264';
import { HevcPacketizer } from '../lib/media/hevc';
import { makeAnnexBStream, makeElementaryStreams, makeHevcStream, splitAccessUnits, splitAdtsFrames } from './helpers/elementary';

// A seeded generator: a failure names its seed and can be replayed.
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `data` in chunks: sizes from 1 to `max` bytes, some of them single bytes. */
function slices(data: Buffer, seed: number, max: number): Buffer[] {
  const random = prng(seed);
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; ) {
    const size = random() < 0.2 ? 1 : 1 + Math.floor(random() * max);
    out.push(data.subarray(at, at + size));
    at += size;
  }
  return out;
}

function splitInChunks(data: Buffer, codec: 'h264' | 'hevc', seed: number, max: number): { units: Buffer[]; splitter: AnnexBSplitter } {
  const splitter = new AnnexBSplitter({ codec });
  const units: Buffer[] = [];
  for (const chunk of slices(data, seed, max)) units.push(...splitter.push(chunk));
  units.push(...splitter.flush());
  return { units, splitter };
}

const SEEDS = [1, 2, 3, 0xdecaf];
const MAX_SLICES = [7, 188, 4096, 65536];

let dir: string;
type Case = { name: string; codec: 'h264' | 'hevc'; data: Buffer; packets: number; keys: number };
const cases: Case[] = [];
let adts: Buffer;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitters-'));
  const streams = await makeElementaryStreams(dir, 2);
  adts = fs.readFileSync(streams.adts);
  const add = (name: string, codec: 'h264' | 'hevc', file: string, times: { key?: boolean }[]): void => {
    cases.push({ name, codec, data: fs.readFileSync(file), packets: times.length, keys: times.filter((t) => t.key).length });
  };
  add('H.264 with AUDs and B-frames', 'h264', streams.h264, streams.videoTimes.map((t, i) => ({ key: i % 25 === 0 && t !== undefined })));
  const sliced = await makeAnnexBStream(dir, 'slices', 'h264', ['-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-x264-params', 'slices=4:aud=0', '-threads', '1']);
  add('H.264, four slices a picture, no AUDs', 'h264', sliced.file, sliced.videoTimes);
  const hevc = await makeHevcStream(dir, 2);
  add('HEVC with B-frames', 'hevc', hevc.hevc, hevc.videoTimes);
  const hevcSliced = await makeAnnexBStream(dir, 'hevc-slices', 'hevc', [
    '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error:keyint=25:slices=3:aud=1:pools=1',
  ]);
  add('HEVC, three slices a picture, AUDs', 'hevc', hevcSliced.file, hevcSliced.videoTimes);
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('AnnexBSplitter', () => {
  test('any slicing gives the access units of the whole stream, as many as ffmpeg packets', () => {
    for (const c of cases) {
      const reference = splitAccessUnits(c.data, c.codec);
      assert.equal(reference.length, c.packets, `${c.name}: the test's own splitter agrees with ffmpeg`);
      for (const seed of SEEDS) {
        for (const max of MAX_SLICES) {
          const { units, splitter } = splitInChunks(c.data, c.codec, seed, max);
          const where = `${c.name}, seed ${seed}, slices ≤ ${max}`;
          assert.equal(units.length, c.packets, where);
          units.forEach((unit, i) => assert.ok(unit.equals(reference[i]), `${where}: unit ${i}`));
          assert.deepEqual(splitter.stats(), { bytesIn: c.data.length, units: c.packets, droppedBytes: 0 }, where);
        }
      }
    }
  });

  test('every unit is one picture the packetizer takes, keyframes where ffmpeg has them', () => {
    for (const c of cases) {
      const packetizer = c.codec === 'h264' ? new H264Packetizer() : new HevcPacketizer();
      const { units } = splitInChunks(c.data, c.codec, 7, 1000);
      let keys = 0;
      units.forEach((data, i) => {
        const { tags, keyframe } = packetizer.push({ data, pts: i * 40 + 80, dts: i * 40 });
        assert.ok(tags.length >= 1, `${c.name}: unit ${i} makes a frame`);
        if (keyframe) keys++;
      });
      assert.equal(keys, c.keys, c.name);
    }
  });

  test('bytes before the first start code are skipped and counted; leading zeros are not', () => {
    const c = cases[0];
    const garbage = Buffer.from('not video, a stream joined half way: \x01\x02\x03', 'latin1');
    const input = Buffer.concat([garbage, Buffer.alloc(5), c.data]);
    const { units, splitter } = splitInChunks(input, 'h264', 11, 16);
    assert.equal(units.length, c.packets);
    assert.equal(splitter.stats().droppedBytes, garbage.length);
    assert.ok(units[0].equals(splitAccessUnits(c.data)[0]));
  });

  test('a stream without boundaries is refused once a unit outgrows the bound, and the splitter goes on', () => {
    const splitter = new AnnexBSplitter({ maxAccessUnitBytes: 4096 });
    const noise = Buffer.alloc(1024, 0x55);
    splitter.push(Buffer.from([0, 0, 0, 1, 0x65, 0x88])); // an IDR slice begins a unit
    assert.throws(
      () => {
        for (let i = 0; i < 8; i++) splitter.push(noise);
      },
      (e: unknown) => e instanceof RtmpError && e.code === ErrorCodes.MEDIA_INVALID && /no access unit boundary in 4096 bytes/.test(e.message),
    );
    // After the refusal it waits for the next start code.
    const c = cases[0];
    assert.equal([...splitter.push(c.data), ...splitter.flush()].length, c.packets);
  });

  test('an unknown codec is a coded error', () => {
    assert.throws(() => new AnnexBSplitter({ codec: 'vp8' as never }), (e: unknown) => e instanceof RtmpError && e.code === ErrorCodes.MEDIA_INVALID);
  });

  test('readAccessUnits() reads a Readable; a string-mode stream is a coded error', async () => {
    for (const c of cases) {
      const units: Buffer[] = [];
      for await (const unit of readAccessUnits(Readable.from(slices(c.data, 5, 3000)), { codec: c.codec })) units.push(unit);
      assert.equal(units.length, c.packets, c.name);
    }
    await assert.rejects(async () => {
      for await (const unit of readAccessUnits(Readable.from(['text']))) assert.fail(`no unit expected, got ${unit.length} bytes`);
    }, (e: unknown) => e instanceof RtmpError && e.code === ErrorCodes.MEDIA_INVALID);
  });
});

describe('AdtsSplitter', () => {
  test('any slicing gives the frames of the whole stream, each accepted by the packetizer', () => {
    const reference = splitAdtsFrames(adts);
    assert.ok(reference.length > 80, 'two seconds of 44.1 kHz AAC');
    for (const seed of SEEDS) {
      for (const max of [3, 100, 4096]) {
        const splitter = new AdtsSplitter();
        const frames = slices(adts, seed, max).flatMap((chunk) => splitter.push(chunk));
        assert.deepEqual(splitter.flush(), []);
        assert.equal(frames.length, reference.length, `seed ${seed}, ≤ ${max}`);
        frames.forEach((frame, i) => {
          assert.ok(frame.data.equals(reference[i]), `frame ${i}`);
          assert.deepEqual([frame.objectType, frame.sampleRate, frame.channelConfig, frame.samples], [2, 44100, 2, 1024]);
        });
        assert.deepEqual(splitter.stats(), { bytesIn: adts.length, units: reference.length, droppedBytes: 0 });
      }
    }
    const packetizer = new AacPacketizer();
    const tags = reference.flatMap((data, i) => packetizer.push({ data, pts: i * 23 }).tags);
    assert.equal(tags.length, reference.length + 1, 'one sequence header, then every frame');
  });

  test('junk between frames is skipped to the next sync word and counted; a trailing partial frame too', () => {
    const reference = splitAdtsFrames(adts);
    const junk = Buffer.from([0x12, 0x34, 0xff, 0x00, 0x56]); // 0xff 0x00: a false start of a sync word
    const input = Buffer.concat([junk, reference[0], junk, ...reference.slice(1, 10), reference[10].subarray(0, 20)]);
    const splitter = new AdtsSplitter();
    const frames = slices(input, 9, 50).flatMap((chunk) => splitter.push(chunk));
    splitter.flush();
    assert.equal(frames.length, 10);
    frames.forEach((frame, i) => assert.ok(frame.data.equals(reference[i])));
    assert.equal(splitter.stats().droppedBytes, 2 * junk.length + 20);
  });

  test('readAdtsFrames() reads a Readable', async () => {
    let count = 0;
    for await (const frame of readAdtsFrames(Readable.from(slices(adts, 4, 500)))) count += frame.samples / 1024;
    assert.equal(count, splitAdtsFrames(adts).length);
  });
});
