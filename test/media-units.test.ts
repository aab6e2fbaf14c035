// The media layer without a server: Annex-B splitting, SPS parsing, the AVC configuration
// record, ADTS parsing, onMetaData, and MediaPublisher's ordering and all-or-nothing writes,
// against hand-built bitstreams.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { decodeAmf0 } from '../lib/amf0';
import { ErrorCodes, RtmpError } from '../lib/errors';
import type { FlvTag } from '../lib/flv';
import { AacPacketizer, audioSpecificConfig, parseAdts, parseAudioSpecificConfig } from '../lib/media/aac';
import {
  avcDecoderConfigurationRecord,
  H264Packetizer,
  nalToRbsp,
  parsePpsIds,
  parseSps,
  splitAnnexB,
} from '../lib/media/h264';
import { av1CodecConfigurationRecord, Av1ObuType, Av1Packetizer, splitObus } from '../lib/media/av1';
import { HevcPacketizer } from '../lib/media/hevc';
import { decodeScriptData, encodeMetadata } from '../lib/media/metadata';
import { MediaPublisher, type TagSink } from '../lib/media/muxer';
import { collectGarbage } from './helpers/live-objects';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const isMediaError = (e: unknown): boolean => e instanceof RtmpError && e.code === ErrorCodes.MEDIA_INVALID;

// Writes the fields of hand-built H.264 headers, then rbsp_trailing_bits.
class BitWriter {
  #bits: number[] = [];

  u(count: number, value: number): this {
    for (let i = count - 1; i >= 0; i--) this.#bits.push(Math.floor(value / 2 ** i) % 2);
    return this;
  }

  ue(value: number): this {
    const coded = value + 1;
    const length = Math.floor(Math.log2(coded));
    return this.u(length, 0).u(length + 1, coded);
  }

  // An AV1 OBU with a size field: header byte, leb128 size, payload and trailing bits.
  obu(type: number): Buffer {
    const bits = [...this.#bits, 1];
    while (bits.length % 8 !== 0) bits.push(0);
    const payload: number[] = [];
    for (let i = 0; i < bits.length; i += 8) payload.push(parseInt(bits.slice(i, i + 8).join(''), 2));
    assert.ok(payload.length < 128, 'one-byte leb128 size');
    return Buffer.from([(type << 3) | 0x02, payload.length, ...payload]);
  }

  // A NAL unit: header byte, payload, stop bit and alignment, emulation prevention.
  nal(header: number): Buffer {
    const bits = [...this.#bits, 1];
    while (bits.length % 8 !== 0) bits.push(0);
    const rbsp: number[] = [header];
    for (let i = 0; i < bits.length; i += 8) rbsp.push(parseInt(bits.slice(i, i + 8).join(''), 2));
    const out: number[] = [];
    let zeros = 0;
    for (const byte of rbsp) {
      if (zeros >= 2 && byte <= 3) {
        out.push(3);
        zeros = 0;
      }
      out.push(byte);
      zeros = byte === 0 ? zeros + 1 : 0;
    }
    return Buffer.from(out);
  }
}

// Constrained baseline 320x180 (20x12 macroblocks, 12 lines cropped at the bottom), no VUI.
function baselineSps(spsId = 0, widthMbs = 20): Buffer {
  return new BitWriter()
    .u(8, 66)
    .u(8, 0xc0)
    .u(8, 30)
    .ue(spsId)
    .ue(0) // log2_max_frame_num_minus4
    .ue(2) // pic_order_cnt_type
    .ue(1) // max_num_ref_frames
    .u(1, 0)
    .ue(widthMbs - 1)
    .ue(11)
    .u(1, 1) // frame_mbs_only_flag
    .u(1, 1)
    .u(1, 1) // frame_cropping_flag
    .ue(0)
    .ue(0)
    .ue(0)
    .ue(6) // bottom: 6 crop units of 2 lines (4:2:0)
    .u(1, 0) // no VUI
    .nal(0x67);
}

// High profile, interlaced 720x576 (45x18 map units), scaling matrix, VUI timing 25 fps.
function highInterlacedSps(): Buffer {
  const w = new BitWriter().u(8, 100).u(8, 0).u(8, 40).ue(1);
  w.ue(1).ue(0).ue(0).u(1, 0); // chroma 4:2:0, 8-bit, no bypass
  w.u(1, 1); // seq_scaling_matrix_present_flag
  w.u(1, 1).ue(0); // list 0 present: delta 0 → next_scale 8, all 16 entries
  for (let j = 1; j < 16; j++) w.ue(0);
  for (let i = 1; i < 8; i++) w.u(1, 0);
  w.ue(0).ue(0).ue(4); // log2_max_frame_num, poc type 0, log2_max_poc_lsb
  w.ue(4).u(1, 0).ue(44).ue(17);
  w.u(1, 0).u(1, 1).u(1, 1); // field coding, mb_adaptive, direct_8x8
  w.u(1, 0); // no cropping
  w.u(1, 1); // VUI
  w.u(1, 1).u(8, 255).u(16, 16).u(16, 11); // Extended_SAR
  w.u(1, 0).u(1, 1).u(3, 5).u(1, 0).u(1, 1).u(24, 0x010101);
  w.u(1, 0).u(1, 1).u(32, 1).u(32, 50).u(1, 1); // timing: 50 / (2 × 1) = 25 fps
  return w.nal(0x67);
}

function pps(ppsId = 0, spsId = 0): Buffer {
  return new BitWriter().ue(ppsId).ue(spsId).u(1, 0).u(1, 0).nal(0x68);
}

const AUD = hex('09 f0');
const SEI = hex('06 05 01 aa 80');
const IDR = hex('65 88 84 00 03 01 ff');
const SLICE = hex('41 9a 02 03');

const annexB = (...nals: Buffer[]): Buffer => Buffer.concat(nals.flatMap((nal, i) => [hex(i % 2 ? '000001' : '00000001'), nal]));

describe('H.264', () => {
  test('splits 3- and 4-byte start codes, keeps emulation prevention, drops trailing zeros', () => {
    const data = hex('00 00000001 0910 000001 6588840003010000 00000001 41 9a 00');
    assert.deepEqual(splitAnnexB(data), [hex('0910'), hex('658884000301'), hex('419a')]);
  });

  for (const [name, data] of [
    ['no start code', hex('6588 8400')],
    ['bytes before the first start code', hex('ff 000001 6588')],
    ['an empty NAL unit', hex('000001 000001 6588')],
    ['forbidden_zero_bit', hex('000001 e588')],
    ['a slice of only its header', hex('000001 09f0 000001 65')],
  ] as const) {
    test(`refuses ${name} with ERR_MEDIA_INVALID`, () => {
      assert.throws(() => splitAnnexB(data), isMediaError);
    });
  }

  test('nalToRbsp removes 00 00 03 only', () => {
    assert.deepEqual(nalToRbsp(hex('67 00 00 03 01 00 03 00 00 03')), hex('67 00 00 01 00 03 00 00'));
  });

  test('parses a VUI-less baseline SPS with cropping', () => {
    assert.deepEqual(parseSps(baselineSps()), {
      spsId: 0,
      profileIdc: 66,
      constraintFlags: 0xc0,
      levelIdc: 30,
      chromaFormatIdc: 1,
      bitDepthLuma: 8,
      bitDepthChroma: 8,
      width: 320,
      height: 180,
    });
  });

  test('parses a high-profile interlaced SPS with scaling lists and VUI timing', () => {
    const sps = parseSps(highInterlacedSps());
    assert.equal(sps.spsId, 1);
    assert.equal(sps.width, 720);
    assert.equal(sps.height, 576);
    assert.equal(sps.frameRate, 25);
  });

  test('parses an SPS that needed emulation prevention', () => {
    // max_num_ref_frames coded with 48 zero bits: the NAL unit needs 00 00 03.
    const nal = new BitWriter()
      .u(8, 66)
      .u(8, 0xc0)
      .u(8, 30)
      .ue(0)
      .ue(0)
      .ue(2)
      .ue(2 ** 24 - 1)
      .u(1, 0)
      .ue(19)
      .ue(11)
      .u(4, 0b1100)
      .nal(0x67);
    assert.ok(nal.includes(hex('000003')), `${nal.toString('hex')} has an emulation prevention byte`);
    assert.deepEqual([parseSps(nal).width, parseSps(nal).height], [320, 192]);
  });

  test('refuses a truncated SPS', () => {
    const sps = baselineSps();
    assert.throws(() => parseSps(sps.subarray(0, 5)), isMediaError);
  });

  test('reads PPS ids', () => {
    assert.deepEqual(parsePpsIds(pps(3, 1)), { ppsId: 3, spsId: 1 });
  });

  test('builds the AVCDecoderConfigurationRecord byte for byte', () => {
    const sps = baselineSps();
    const p = pps();
    const record = avcDecoderConfigurationRecord([sps], [p]);
    const expected = Buffer.concat([hex('01 42 c0 1e ff e1'), Buffer.of(0, sps.length), sps, hex('01'), Buffer.of(0, p.length), p]);
    assert.deepEqual(record, expected);
    // High profile appends chroma format and bit depths.
    const high = avcDecoderConfigurationRecord([highInterlacedSps()], [p]);
    assert.deepEqual(high.subarray(-4), hex('fd f8 f8 00'));
  });

  test('packetizes access units: sequence header, AUD dropped, SEI kept, composition time', () => {
    const packetizer = new H264Packetizer();
    const first = packetizer.push({ data: annexB(AUD, baselineSps(), pps(), SEI, IDR), pts: 80, dts: 0 });
    assert.equal(first.keyframe, true);
    assert.equal(first.tags.length, 2);
    const record = avcDecoderConfigurationRecord([baselineSps()], [pps()]);
    assert.deepEqual(first.tags[0], { type: 'video', timestamp: 0, data: Buffer.concat([hex('17 00 000000'), record]) });
    const frame = Buffer.concat([hex('17 01 000050'), hex('00000005'), SEI, hex('00000007'), IDR]);
    assert.deepEqual(first.tags[1], { type: 'video', timestamp: 0, data: frame });

    // Same parameter sets again: no new sequence header. pts < dts: negative composition time.
    const second = packetizer.push({ data: annexB(baselineSps(), pps(), SLICE), pts: 30, dts: 40 });
    assert.equal(second.keyframe, false);
    assert.deepEqual(second.tags, [{ type: 'video', timestamp: 40, data: Buffer.concat([hex('27 01 fffff6 00000004'), SLICE]) }]);

    // A new SPS (other size) re-sends the sequence header before the frame.
    const third = packetizer.push({ data: annexB(baselineSps(0, 40), pps(), IDR), pts: 80, dts: 80 });
    assert.equal(third.tags.length, 2);
    assert.equal(third.tags[0].data[1], 0);
    assert.equal(packetizer.sps?.width, 640);
  });

  test('keeps its parameter sets as copies: a keyframe is freed once its caller drops it', async () => {
    // A view into the access unit would keep the whole keyframe alive until the next one: long
    // enough for V8 to promote it, and only a major GC frees it (a camera's RSS grew so).
    const packetizer = new H264Packetizer();
    const pushKeyframe = (): WeakRef<ArrayBuffer> => {
      const au = annexB(baselineSps(), pps(), Buffer.concat([IDR, Buffer.alloc(200_000, 0x11)]));
      const data = Buffer.allocUnsafeSlow(au.length); // its own ArrayBuffer, not Buffer's pool
      au.copy(data);
      assert.equal(packetizer.push({ data, pts: 0 }).tags.length, 2);
      return new WeakRef(data.buffer);
    };
    const keyframe = pushKeyframe();
    await tick(); // a WeakRef holds its target until the job that made it has ended
    collectGarbage();
    assert.equal(keyframe.deref(), undefined, 'the keyframe is still referenced after the push');
    // The copies are the parameter sets in force: the same ones again send no new header.
    assert.equal(packetizer.push({ data: annexB(baselineSps(), pps(), SLICE), pts: 40 }).tags.length, 1);
  });

  test('refuses a frame before any SPS/PPS, and a failed push changes nothing', () => {
    const packetizer = new H264Packetizer();
    assert.throws(() => packetizer.push({ data: annexB(IDR), pts: 0 }), isMediaError);
    // Parameter sets with a broken SPS: refused as a whole, PPS not kept either.
    assert.throws(() => packetizer.push({ data: annexB(baselineSps().subarray(0, 4), pps(), IDR), pts: 0 }), isMediaError);
    assert.throws(() => packetizer.push({ data: annexB(baselineSps(), IDR), pts: 0 }), isMediaError);
    assert.equal(packetizer.sps, undefined);
    const ok = packetizer.push({ data: annexB(baselineSps(), pps(), IDR), pts: 0 });
    assert.equal(ok.tags.length, 2);
  });
});

// An ADTS header: AAC-LC, 44.1 kHz (index 4), stereo, one raw block.
function adts(payload: Buffer, crc = false): Buffer {
  const length = 7 + (crc ? 2 : 0) + payload.length;
  const header = Buffer.of(
    0xff,
    crc ? 0xf0 : 0xf1,
    (1 << 6) | (4 << 2) | 0,
    (2 << 6) | (length >>> 11),
    (length >>> 3) & 0xff,
    ((length & 7) << 5) | 0x1f,
    0xfc,
  );
  return Buffer.concat([header, crc ? hex('beef') : Buffer.alloc(0), payload]);
}

describe('AAC', () => {
  test('AudioSpecificConfig of AAC-LC 44.1 kHz stereo is 12 10', () => {
    assert.deepEqual(audioSpecificConfig(2, 4, 2), hex('1210'));
    const config = parseAudioSpecificConfig(hex('1210'));
    assert.deepEqual([config.objectType, config.sampleRate, config.channelConfig], [2, 44100, 2]);
  });

  test('reads explicit SBR signalling (HE-AAC 24 → 48 kHz)', () => {
    const config = parseAudioSpecificConfig(hex('2b 11 88'));
    assert.deepEqual([config.objectType, config.sampleRate, config.channelConfig], [2, 48000, 2]);
  });

  test('parses several ADTS frames per buffer, with and without CRC', () => {
    const frames = parseAdts(Buffer.concat([adts(hex('0102')), adts(hex('030405'), true)]));
    assert.deepEqual(
      frames.map((f) => f.payload),
      [hex('0102'), hex('030405')],
    );
    assert.deepEqual(frames[0].config.audioSpecificConfig, hex('1210'));
    assert.equal(frames[1].config.sampleRate, 44100);
  });

  for (const [name, data] of [
    ['a bad sync word after a good frame', Buffer.concat([adts(hex('aa')), hex('00'), adts(hex('bb'))])],
    ['a truncated header', adts(hex('0102')).subarray(0, 5)],
    ['a frame longer than the buffer', adts(hex('010203')).subarray(0, 9)],
    ['a frame length shorter than its header', Buffer.from(adts(hex('01'))).fill(0, 4, 5).fill(0x1f, 5, 6)],
    ['a reserved sampling frequency', Buffer.from(adts(hex('01'))).fill((1 << 6) | (13 << 2), 2, 3)],
  ] as const) {
    test(`refuses ${name} with ERR_MEDIA_INVALID`, () => {
      assert.throws(() => parseAdts(data), isMediaError);
    });
  }

  test('packetizes: sequence header once, then frames 1024 samples apart', () => {
    const packetizer = new AacPacketizer();
    const { tags } = packetizer.push({ data: Buffer.concat([adts(hex('aa')), adts(hex('bb'))]), pts: 100 });
    assert.deepEqual(tags, [
      { type: 'audio', timestamp: 100, data: hex('af 00 1210') },
      { type: 'audio', timestamp: 100, data: hex('af 01 aa') },
      { type: 'audio', timestamp: 123, data: hex('af 01 bb') },
    ]);
    const raw = packetizer.push({ data: hex('cc'), pts: 146, config: hex('1210') });
    assert.deepEqual(raw.tags, [{ type: 'audio', timestamp: 146, data: hex('af 01 cc') }]);
    // Another configuration (48 kHz mono): a new sequence header first.
    const changed = packetizer.push({ data: hex('dd'), pts: 170, config: audioSpecificConfig(2, 3, 1) });
    assert.deepEqual(changed.tags, [
      { type: 'audio', timestamp: 170, data: hex('af 00 1188') },
      { type: 'audio', timestamp: 170, data: hex('af 01 dd') },
    ]);
    assert.equal(changed.config.sampleRate, 48000);
  });
});

describe('HEVC', () => {
  test('refuses frames before VPS/SPS/PPS, and truncated NAL units', () => {
    const packetizer = new HevcPacketizer();
    // IDR_W_RADL (19) slice; a 2-byte slice is only its NAL header.
    assert.throws(() => packetizer.push({ data: hex('00000001 2601 af'), pts: 0 }), isMediaError);
    assert.throws(() => packetizer.push({ data: hex('00000001 460150 00000001 2601'), pts: 0 }), isMediaError);
    assert.equal(packetizer.decoderConfiguration, undefined);
  });
});

describe('AV1', () => {
  // 1080p, profile 0, timing info (25 fps) and a decoder model, two operating points (the
  // first at level 9, tier 1), order hints, BT.709 4:2:0 with chroma sample position 1.
  const sequenceHeader = new BitWriter()
    .u(3, 0).u(1, 0).u(1, 0) // seq_profile, still_picture, reduced_still_picture_header
    .u(1, 1).u(32, 1).u(32, 25).u(1, 1).u(1, 1) // timing_info: 1/25, equal intervals, uvlc(0)
    .u(1, 1).u(5, 4).u(32, 1).u(5, 0).u(5, 0) // decoder_model_info, buffer_delay_length 5
    .u(1, 0).u(5, 1) // no initial display delay; two operating points
    .u(12, 0).u(5, 9).u(1, 1).u(1, 1).u(5, 0).u(5, 0).u(1, 0) // op 0: level 9, tier 1, model
    .u(12, 0x101).u(5, 3).u(1, 0) // op 1: level 3, no model
    .u(4, 10).u(4, 10).u(11, 1919).u(11, 1079) // frame size bits and sizes
    .u(1, 0).u(3, 0).u(4, 0).u(1, 1).u(2, 0) // no frame ids, tools, order hint on
    .u(1, 1).u(1, 1).u(3, 6) // screen content SELECT, integer mv SELECT, order_hint_bits
    .u(3, 0) // superres, cdef, restoration
    .u(1, 0).u(1, 0).u(1, 1).u(8, 1).u(8, 1).u(8, 1).u(1, 0).u(2, 1) // color_config
    .u(1, 0).u(1, 0) // separate_uv_delta_q, film_grain_params_present
    .obu(Av1ObuType.SEQUENCE_HEADER);
  // First bits of a frame header: show_existing_frame, frame_type (0 key, 1 inter), show_frame.
  const keyFrame = new BitWriter().u(1, 0).u(2, 0).u(1, 1).u(8, 0).obu(Av1ObuType.FRAME);
  const interFrame = new BitWriter().u(1, 0).u(2, 1).u(1, 1).u(8, 0).obu(Av1ObuType.FRAME);
  const delimiter = Buffer.of(0x12, 0x00);

  test('parses the sequence header into the AV1CodecConfigurationRecord', () => {
    const [obu] = splitObus(sequenceHeader);
    const record = av1CodecConfigurationRecord(obu);
    // marker+version, profile 0 | level 9, tier 1 | 4:2:0 | position 1, no presentation delay.
    assert.deepEqual(record.subarray(0, 4), Buffer.of(0x81, 0x09, 0x8d, 0x00));
    assert.ok(record.subarray(4).equals(sequenceHeader));
    const packetizer = new Av1Packetizer();
    packetizer.push({ data: Buffer.concat([delimiter, sequenceHeader, keyFrame]), pts: 0 });
    assert.deepEqual([packetizer.sps?.width, packetizer.sps?.height, packetizer.sps?.frameRate], [1920, 1080, 25]);
  });

  test('a reduced still-picture header: profile 2, 12-bit 4:2:2', () => {
    const still = new BitWriter()
      .u(3, 2).u(1, 1).u(1, 1).u(5, 5) // profile 2, still, reduced, level 5
      .u(4, 7).u(4, 7).u(8, 99).u(8, 99) // 100x100
      .u(3, 0).u(3, 0) // tools; superres, cdef, restoration
      .u(1, 1).u(1, 1).u(1, 0).u(1, 0).u(1, 1).u(1, 1).u(1, 0) // high, twelve, colour, 4:2:2
      .u(1, 0).u(1, 0)
      .obu(Av1ObuType.SEQUENCE_HEADER);
    const record = av1CodecConfigurationRecord(splitObus(still)[0]);
    assert.deepEqual(record.subarray(0, 4), Buffer.of(0x81, 0x45, 0x68, 0x00));
    const { tags, keyframe } = new Av1Packetizer().push({ data: Buffer.concat([still, interFrame]), pts: 0 });
    assert.equal(keyframe, true, 'a reduced still-picture header makes every frame a key frame');
    assert.equal(tags.length, 2);
  });

  test('packetizes: SequenceStart once, key and inter frames, delimiters dropped', () => {
    const packetizer = new Av1Packetizer();
    const first = packetizer.push({ data: Buffer.concat([delimiter, sequenceHeader, keyFrame]), pts: 0 });
    assert.equal(first.keyframe, true);
    assert.deepEqual(first.tags.map((t) => t.data.subarray(0, 5).toString('latin1')), ['\x90av01', '\x91av01']);
    assert.ok(first.tags[1].data.subarray(5).equals(Buffer.concat([sequenceHeader, keyFrame])));
    const second = packetizer.push({ data: Buffer.concat([delimiter, interFrame]), pts: 40, dts: 40 });
    assert.equal(second.keyframe, false);
    assert.deepEqual(second.tags.map((t) => [t.timestamp, t.data[0]]), [[40, 0xa1]]);
    // The same sequence header again is no new SequenceStart.
    const third = packetizer.push({ data: Buffer.concat([delimiter, sequenceHeader, keyFrame]), pts: 80 });
    assert.equal(third.tags.length, 1);
  });

  for (const [name, data] of [
    ['an OBU without a size field', Buffer.of(0x30, 0x10)],
    ['a truncated OBU', Buffer.of(0x32, 0x05, 0x10)],
    ['an OBU with the forbidden bit', Buffer.of(0xb2, 0x00)],
    ['an unterminated size field', Buffer.of(0x32, 0x80, 0x80)],
    ['an empty unit', Buffer.alloc(0)],
  ] as const) {
    test(`refuses ${name} with ERR_MEDIA_INVALID`, () => {
      assert.throws(() => new Av1Packetizer().push({ data, pts: 0 }), isMediaError);
    });
  }

  test('refuses a frame before any sequence header, and dts unlike pts; a failed push changes nothing', () => {
    const packetizer = new Av1Packetizer();
    assert.throws(() => packetizer.push({ data: keyFrame, pts: 0 }), isMediaError);
    assert.throws(() => packetizer.push({ data: Buffer.concat([sequenceHeader, keyFrame]), pts: 40, dts: 0 }), isMediaError);
    assert.equal(packetizer.decoderConfiguration, undefined);
    const truncated = Buffer.from(sequenceHeader.subarray(0, 2 + 6));
    truncated[1] = 6;
    assert.throws(() => packetizer.push({ data: truncated, pts: 0 }), isMediaError);
    assert.equal(packetizer.decoderConfiguration, undefined);
  });
});

describe('onMetaData', () => {
  test('encodes as onMetaData + ECMA array, leaving out unset fields', () => {
    const data = encodeMetadata({ width: 320, height: 180, stereo: true, encoder: 'x', audiodatarate: undefined });
    assert.equal(data[13], 0x08, 'an ECMA array follows the name');
    assert.deepEqual(decodeAmf0(data), ['onMetaData', { width: 320, height: 180, stereo: true, encoder: 'x' }]);
    const withPrefix = Buffer.concat([hex('02 000d'), Buffer.from('@setDataFrame'), data]);
    assert.deepEqual(decodeScriptData(withPrefix).name, 'onMetaData');
  });
});

class RecordingSink implements TagSink {
  calls: FlvTag[][] = [];
  writeTags(tags: readonly FlvTag[]): Promise<void> {
    this.calls.push([...tags]);
    return Promise.resolve();
  }
}

const kinds = (tags: FlvTag[]): string[] =>
  tags.map((t) => (t.type === 'script' ? 'meta' : `${t.type}${t.data[1] === 0 ? '-header' : ''}@${t.timestamp}`));

describe('MediaPublisher', () => {
  test('holds tags until both tracks are configured, then sends metadata, headers, frames', async () => {
    const sink = new RecordingSink();
    const publisher = new MediaPublisher(sink, { metadata: { videodatarate: 500 } });
    await publisher.writeVideo({ data: annexB(baselineSps(), pps(), IDR), pts: 0 });
    await publisher.writeVideo({ data: annexB(SLICE), pts: 40 });
    assert.equal(sink.calls.length, 0);
    await publisher.writeAudio({ data: adts(hex('aa')), pts: 10 });
    assert.deepEqual(kinds(sink.calls[0]), ['meta', 'video-header@0', 'video@0', 'audio-header@10', 'audio@10', 'video@40']);
    const meta = decodeScriptData(sink.calls[0][0].data).values[0];
    assert.deepEqual(meta, {
      encoder: 'node-librtmp',
      videocodecid: 7,
      width: 320,
      height: 180,
      audiocodecid: 10,
      audiosamplerate: 44100,
      audiochannels: 2,
      stereo: true,
      videodatarate: 500,
    });
    await publisher.writeAudio({ data: adts(hex('bb')), pts: 33 });
    assert.deepEqual(kinds(sink.calls[1]), ['audio@33']);
  });

  test('malformed input rejects with ERR_MEDIA_INVALID and sends nothing', async () => {
    const sink = new RecordingSink();
    const publisher = new MediaPublisher(sink, { audio: false });
    await assert.rejects(publisher.writeVideo({ data: annexB(IDR), pts: 0 }), isMediaError);
    await assert.rejects(publisher.writeVideo({ data: hex('6588'), pts: 0 }), isMediaError);
    await assert.rejects(publisher.writeAudio({ data: adts(hex('aa')), pts: 0 }), isMediaError);
    assert.equal(sink.calls.length, 0);
    await publisher.writeVideo({ data: annexB(baselineSps(), pps(), IDR), pts: 0 });
    await assert.rejects(publisher.writeVideo({ data: annexB(SLICE), pts: -5 }), isMediaError);
    assert.equal(sink.calls.length, 1);
    assert.deepEqual(kinds(sink.calls[0]), ['meta', 'video-header@0', 'video@0']);
  });

  test('starts without a track that does not come within startWaitMs, or on flush()', async () => {
    const sink = new RecordingSink();
    const publisher = new MediaPublisher(sink, { startWaitMs: 100 });
    await publisher.writeVideo({ data: annexB(baselineSps(), pps(), IDR), pts: 0 });
    await publisher.writeVideo({ data: annexB(SLICE), pts: 80 });
    assert.equal(sink.calls.length, 0, 'still waiting for audio');
    await publisher.writeVideo({ data: annexB(SLICE), pts: 120 });
    assert.deepEqual(kinds(sink.calls[0]), ['meta', 'video-header@0', 'video@0', 'video@80', 'video@120']);
    const meta = decodeScriptData(sink.calls[0][0].data).values[0] as Record<string, unknown>;
    assert.equal(meta.audiocodecid, 10);
    assert.equal(meta.audiosamplerate, undefined);
    // Audio arriving late brings its own sequence header.
    await publisher.writeAudio({ data: adts(hex('aa')), pts: 140 });
    assert.deepEqual(kinds(sink.calls[1]), ['audio-header@140', 'audio@140']);

    const flushed = new RecordingSink();
    const short = new MediaPublisher(flushed);
    await short.writeVideo({ data: annexB(baselineSps(), pps(), IDR), pts: 0 });
    assert.equal(flushed.calls.length, 0);
    await short.flush();
    assert.deepEqual(kinds(flushed.calls[0]), ['meta', 'video-header@0', 'video@0']);
  });

  test('skips video until a keyframe, and after attach() re-sends headers', async () => {
    const first = new RecordingSink();
    const publisher = new MediaPublisher(first, { audio: false });
    await publisher.writeVideo({ data: annexB(baselineSps(), pps(), SLICE), pts: 0 });
    await publisher.writeVideo({ data: annexB(IDR), pts: 40 });
    assert.deepEqual(kinds(first.calls.flat()), ['meta', 'video-header@0', 'video@40']);
    const second = new RecordingSink();
    publisher.attach(second);
    await publisher.writeVideo({ data: annexB(SLICE), pts: 80 });
    await publisher.writeVideo({ data: annexB(IDR), pts: 120 });
    assert.deepEqual(kinds(second.calls.flat()), ['meta', 'video-header@120', 'video@120']);
    assert.deepEqual(publisher.stats(), { videoFrames: 2, audioFrames: 0, skippedFrames: 2, timestampOffsetMs: 0 });
  });
});
