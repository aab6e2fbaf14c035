// The FLV tag rules (lib/flv-tags.ts): what counts as a sequence header, a keyframe and
// configuration, for classic and Enhanced RTMP bodies, and for codecs that have no header.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FlvTag } from '../lib/flv';
import { isConfigurationTag, isKeyframe, isSequenceHeader, SoundFormat, VideoCodecId } from '../lib/flv-tags';
import { aacFrameTag, aacSequenceHeaderTag } from '../lib/media/aac';
import { avcSequenceHeaderTag } from '../lib/media/h264';
import { codedFramesHeader, sequenceStartTag } from '../lib/media/enhanced-rtmp';
import { FOURCC_HVC1 } from '../lib/media/hevc';

const video = (...bytes: number[]): FlvTag => ({ type: 'video', timestamp: 0, data: Buffer.from(bytes) });
const audio = (...bytes: number[]): FlvTag => ({ type: 'audio', timestamp: 0, data: Buffer.from(bytes) });
const FORMAT_MP3 = 2;
const CODEC_VP6 = 4;
const CODEC_H263 = 2;

describe('FLV tag rules', () => {
  test('AVC: packet type 0 is the sequence header, 1 a frame; frame type 1 is key', () => {
    const header = avcSequenceHeaderTag(Buffer.from([1, 2, 3]), 0);
    assert.equal(isSequenceHeader(header), true);
    assert.equal(isConfigurationTag(header), true);
    const key = video(0x10 | VideoCodecId.AVC, 1, 0, 0, 0);
    const inter = video(0x20 | VideoCodecId.AVC, 1, 0, 0, 0);
    assert.equal(isSequenceHeader(key), false);
    assert.equal(isKeyframe(key), true);
    assert.equal(isKeyframe(inter), false);
    assert.equal(isConfigurationTag(inter), false);
  });

  test('legacy HEVC (codec 12) headers count; other codecs have none, whatever byte 1 holds', () => {
    assert.equal(isSequenceHeader(video(0x10 | VideoCodecId.HEVC_LEGACY, 0)), true);
    // A VP6 or H.263 keyframe whose second byte happens to be 0 is a frame.
    assert.equal(isSequenceHeader(video(0x10 | CODEC_VP6, 0, 0x55)), false);
    assert.equal(isSequenceHeader(video(0x20 | CODEC_H263, 0)), false);
    assert.equal(isKeyframe(video(0x10 | CODEC_VP6, 0, 0x55)), true);
    // An MP3 frame whose second byte is 0 is a frame too; AAC byte 1 = 0 is the header.
    assert.equal(isSequenceHeader(audio((FORMAT_MP3 << 4) | 0x0f, 0, 1)), false);
    assert.equal(isConfigurationTag(audio((FORMAT_MP3 << 4) | 0x0f, 0, 1)), false);
    assert.equal(isSequenceHeader(aacSequenceHeaderTag(Buffer.from([0x12, 0x10]), 0)), true);
    assert.equal(isSequenceHeader(aacFrameTag(Buffer.from([0x21, 0]), 0)), false);
    assert.equal(aacFrameTag(Buffer.from([1]), 0).data[0] >> 4, SoundFormat.AAC);
  });

  test('Enhanced RTMP: SequenceStart is the header; frame type is 3 bits after IsExHeader', () => {
    const start = sequenceStartTag(FOURCC_HVC1, Buffer.from([1]), 0);
    assert.equal(isSequenceHeader(start), true);
    assert.equal(isKeyframe(start), true);
    const key: FlvTag = { type: 'video', timestamp: 0, data: Buffer.concat([codedFramesHeader(FOURCC_HVC1, true, 3), Buffer.from([9])]) };
    const inter: FlvTag = { type: 'video', timestamp: 0, data: Buffer.concat([codedFramesHeader(FOURCC_HVC1, false, 3), Buffer.from([9])]) };
    assert.equal(isSequenceHeader(key), false);
    assert.equal(isKeyframe(key), true);
    assert.equal(isKeyframe(inter), false);
    // Byte 1 of an extended header is the FourCC, not a packet type.
    assert.equal(isSequenceHeader(video(0x80 | 0x20 | 1, 0, 0, 0, 0)), false);
  });

  test('script tags are configuration, never headers or keyframes; empty bodies are neither', () => {
    const script: FlvTag = { type: 'script', timestamp: 0, data: Buffer.from([2, 0, 0]) };
    assert.equal(isConfigurationTag(script), true);
    assert.equal(isSequenceHeader(script), false);
    assert.equal(isKeyframe(script), false);
    for (const empty of [video(), audio(), video(0x17), audio(0xaf)]) {
      assert.equal(isSequenceHeader(empty), false, `${empty.type} ${empty.data.toString('hex')}`);
      assert.equal(isConfigurationTag(empty), false);
    }
    assert.equal(isKeyframe(video()), false);
  });
});
