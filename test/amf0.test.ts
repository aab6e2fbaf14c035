// AMF0 against hand-built byte vectors (AMF0 specification, section 2), malformed input,
// and the onMetaData of the committed fixture.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { Amf0EcmaArray, decodeAmf0, decodeAmf0Value, encodeAmf0, type Amf0Value } from '../lib/amf0';
import { ErrorCodes, RtmpError } from '../lib/errors';
import { FlvParser } from '../lib/flv';
import { decodeScriptData } from '../lib/media/metadata';
import { AV_FLV, avFacts } from './helpers/fixtures';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// value, its encoding, and what decoding the encoding gives (when it differs from value).
const vectors: [string, Amf0Value, Buffer, Amf0Value?][] = [
  ['number', 1.5, hex('00 3ff8000000000000')],
  ['negative number', -2, hex('00 c000000000000000')],
  ['true', true, hex('01 01')],
  ['false', false, hex('01 00')],
  ['string', 'ab', hex('02 0002 6162')],
  ['empty string', '', hex('02 0000')],
  ['UTF-8 string', 'é', hex('02 0002 c3a9')],
  ['null', null, hex('05')],
  ['undefined', undefined, hex('06')],
  ['object', { a: 1 }, hex('03 0001 61 00 3ff0000000000000 000009')],
  ['empty object', {}, hex('03 000009')],
  [
    'ECMA array',
    new Amf0EcmaArray({ w: 2, s: 'x' }),
    hex('08 00000002 0001 77 00 4000000000000000 0001 73 02 0001 78 000009'),
    { w: 2, s: 'x' },
  ],
  ['strict array', [true, null], hex('0a 00000002 0101 05')],
  ['nested', { o: { n: [] } }, hex('03 0001 6f 03 0001 6e 0a 00000000 000009 000009')],
  ['date', new Date(1000), hex('0b 408f400000000000 0000')],
];

describe('AMF0', () => {
  for (const [name, value, bytes, decoded] of vectors) {
    test(`${name}: encodes and decodes`, () => {
      assert.deepEqual(encodeAmf0(value), bytes);
      assert.deepEqual(decodeAmf0(bytes), [decoded ?? value]);
    });
  }

  test('a string over 65535 bytes becomes a long string', () => {
    const long = 'x'.repeat(70000);
    const bytes = encodeAmf0(long);
    assert.equal(bytes[0], 0x0c);
    assert.equal(bytes.readUInt32BE(1), 70000);
    assert.equal(bytes.length, 5 + 70000);
    assert.deepEqual(decodeAmf0(bytes), [long]);
  });

  test('decodes a sequence of values and reports where each ends', () => {
    const bytes = encodeAmf0('connect', 1, null);
    assert.deepEqual(decodeAmf0(bytes), ['connect', 1, null]);
    const first = decodeAmf0Value(bytes);
    assert.deepEqual(first, { value: 'connect', next: 10 });
    assert.deepEqual(decodeAmf0Value(bytes, first.next), { value: 1, next: 19 });
  });

  test('decodes typed objects, XML documents, unsupported and references', () => {
    assert.deepEqual(decodeAmf0(hex('10 0001 43 0001 61 01 01 000009')), [{ a: true }]);
    assert.deepEqual(decodeAmf0(hex('0f 00000002 3c61')), ['<a']);
    assert.deepEqual(decodeAmf0(hex('0d')), [undefined]);
    // [ {a:1}, reference 1 → the object ] (index 0 is the strict array itself)
    const [list] = decodeAmf0(hex('0a 00000002 03 0001 61 00 3ff0000000000000 000009 07 0001')) as [Amf0Value[]];
    assert.equal(list[1], list[0]);
  });

  test('a __proto__ key stays a plain property', () => {
    const [object] = decodeAmf0(hex('03 0009 5f5f70726f746f5f5f 03 0001 78 01 01 000009 000009')) as [Record<string, unknown>];
    assert.equal(Object.getPrototypeOf(object), Object.prototype);
    assert.deepEqual(Object.keys(object), ['__proto__']);
    assert.equal((Object.prototype as Record<string, unknown>).x, undefined);
  });

  const malformed: [string, Buffer][] = [
    ['a truncated number', hex('00 3ff8')],
    ['a missing boolean byte', hex('01')],
    ['a string longer than the input', hex('02 0005 6162')],
    ['a truncated string length', hex('02 00')],
    ['a long string longer than the input', hex('0c ffffffff 61')],
    ['an object without its end', hex('03 0001 61 05')],
    ['an empty name not followed by the end marker', hex('03 0000 05')],
    ['an unknown marker (movie clip)', hex('04')],
    ['an unknown marker (AMF3 switch)', hex('11 01')],
    ['an object end outside an object', hex('09')],
    ['a strict array count the input cannot hold', hex('0a 7fffffff 05')],
    ['a reference to nothing', hex('07 0000')],
    ['a truncated date', hex('0b 408f400000000000 00')],
    ['nesting deeper than 64', Buffer.alloc(500).fill(hex('0a00000001'))],
  ];
  for (const [name, bytes] of malformed) {
    test(`refuses ${name} with ERR_FLV_PARSE`, () => {
      assert.throws(
        () => decodeAmf0(bytes),
        (e: unknown) => e instanceof RtmpError && e.code === ErrorCodes.FLV_PARSE && /^AMF0: /.test(e.message),
      );
    });
  }

  test('refuses to encode functions, symbols and bigints with ERR_INVALID_ARG', () => {
    for (const value of [() => 1, Symbol('s'), 1n]) {
      assert.throws(
        () => encodeAmf0(value as unknown as Amf0Value),
        (e: unknown) => e instanceof RtmpError && e.code === ErrorCodes.INVALID_ARG,
      );
    }
  });

  test("decodes the fixture's onMetaData", () => {
    const tags = new FlvParser().push(fs.readFileSync(AV_FLV));
    const script = tags.find((tag) => tag.type === 'script');
    assert.ok(script, 'the fixture has a script tag');
    const { name, values } = decodeScriptData(script.data);
    assert.equal(name, 'onMetaData');
    const meta = values[0] as Record<string, Amf0Value>;
    assert.equal(meta.width, avFacts.video.width);
    assert.equal(meta.height, avFacts.video.height);
    assert.equal(meta.audiosamplerate, avFacts.audio.sampleRate);
    assert.equal(meta.videocodecid, 7);
    assert.equal(meta.audiocodecid, 10);
    // Re-encoded as an ECMA array, it decodes to the same properties.
    assert.deepEqual(decodeAmf0(encodeAmf0('onMetaData', new Amf0EcmaArray(meta))), ['onMetaData', meta]);
  });
});
