// FLV framing on its own: the parser against every way of slicing the fixture, the
// encoder, aggregate messages, and malformed input.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { ErrorCodes, RtmpError } from '../lib/errors';
import { encodeFlvHeader, encodeTag, FlvParser, splitAggregate, type FlvTag } from '../lib/flv';
import { AV_FLV, avFacts } from './helpers/fixtures';

const fixture = fs.readFileSync(AV_FLV);

function parseInSlices(bytes: Buffer, sizes: () => number): FlvTag[] {
  const parser = new FlvParser();
  const tags: FlvTag[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = Math.max(1, sizes());
    // A fresh copy per slice, overwritten after push(): tags must not alias caller memory
    // that push() did not hand back as a view of a slice still alive.
    const slice = Buffer.from(bytes.subarray(at, at + n));
    tags.push(...parser.push(slice).map((t) => ({ ...t, data: Buffer.from(t.data) })));
    slice.fill(0xee);
    at += n;
  }
  assert.equal(parser.pendingBytes, 0);
  return tags;
}

describe('FlvParser', () => {
  const whole = new FlvParser().push(fixture);

  test('parses the fixture whole', () => {
    const video = whole.filter((t) => t.type === 'video');
    // AVCPacketType 1 marks coded frames (0: sequence header, 2: end of sequence).
    assert.equal(video.filter((t) => t.data[1] === 1).length, avFacts.video.frames);
    assert.equal(video[0].data[1], 0);
    assert.equal(whole[0].type, 'script');
  });

  for (const [name, sizes] of [
    ['1-byte slices', () => 1],
    ['prime-sized slices', () => 4099],
    ['random slices', () => Math.floor(Math.random() * 20000)],
  ] as const) {
    test(`gives the same tags for ${name}`, () => {
      const sliced = parseInSlices(fixture, sizes);
      assert.equal(sliced.length, whole.length);
      sliced.forEach((tag, i) => {
        assert.equal(tag.type, whole[i].type);
        assert.equal(tag.timestamp, whole[i].timestamp);
        assert.ok(tag.data.equals(whole[i].data), `tag ${i}`);
      });
    });
  }

  test('takes a stream without the file header', () => {
    const tags = new FlvParser().push(fixture.subarray(13));
    assert.equal(tags.length, whole.length);
  });

  test('encodeTag and encodeFlvHeader round-trip, extended timestamps included', () => {
    const tags: FlvTag[] = [
      { type: 'audio', timestamp: 0, data: Buffer.from([0xaf, 0]) },
      { type: 'video', timestamp: 0x12345678, data: Buffer.alloc(70000, 7) },
      { type: 'script', timestamp: 0xffffffff, data: Buffer.from('x') },
    ];
    const bytes = Buffer.concat([encodeFlvHeader(), ...tags.map(encodeTag)]);
    assert.deepEqual(new FlvParser().push(bytes), tags);
  });

  test('refuses an unknown tag type with ERR_FLV_PARSE', () => {
    const bad = encodeTag({ type: 'audio', timestamp: 0, data: Buffer.alloc(3) });
    bad[0] = 3;
    assert.throws(
      () => new FlvParser().push(Buffer.concat([encodeFlvHeader(), bad])),
      (e: unknown) => e instanceof RtmpError && e.code === ErrorCodes.FLV_PARSE,
    );
  });
});

describe('splitAggregate', () => {
  test('returns the inner tags with timestamps relative to the message', () => {
    const inner = [
      { type: 'video', timestamp: 5000, data: Buffer.from([1, 2, 3]) },
      { type: 'audio', timestamp: 5023, data: Buffer.from([4]) },
    ] as const;
    const body = Buffer.concat(inner.map((t) => encodeTag({ ...t, data: t.data })));
    const tags = splitAggregate(body, 100);
    assert.deepEqual(
      tags.map((t) => [t.type, t.timestamp, [...t.data]]),
      [
        ['video', 100, [1, 2, 3]],
        ['audio', 123, [4]],
      ],
    );
  });
});
