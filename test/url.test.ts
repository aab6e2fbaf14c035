// URL parsing (librtmp's app/playpath rule, IPv6, defaults) and redaction, on their own.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCodes, RtmpError } from '../lib/errors';
import { makeRedactor } from '../lib/redact';
import { parseRtmpUrl } from '../lib/url';

describe('parseRtmpUrl', () => {
  test('splits Facebook Live ingest URLs into app and stream key', () => {
    const u = parseRtmpUrl('rtmps://live-api-s.facebook.com:443/rtmp/FB-1234-0-AbCd');
    assert.deepEqual([u.scheme, u.host, u.port, u.app, u.playpath], ['rtmps', 'live-api-s.facebook.com', 443, 'rtmp', 'FB-1234-0-AbCd']);
    assert.equal(u.redacted, 'rtmps://live-api-s.facebook.com:443/rtmp/****');
  });

  test("follows librtmp's app[/instance] rule", () => {
    assert.deepEqual(pick('rtmp://h/app/inst/stream'), ['app/inst', 'stream']);
    assert.deepEqual(pick('rtmp://h/a/b/c/d/e'), ['a/b/c', 'd/e']);
    assert.deepEqual(pick('rtmp://h/live/cam?token=t1'), ['live', 'cam?token=t1']);
  });

  test('uses each scheme default port', () => {
    const ports = ['rtmp', 'rtmps', 'rtmpe', 'rtmpt', 'rtmpte', 'rtmpts'].map((s) => parseRtmpUrl(`${s}://h/a/b`).port);
    assert.deepEqual(ports, [1935, 443, 1935, 80, 80, 443]);
  });

  test('takes bracketed IPv6 literals, and gives librtmp a URL it can parse', () => {
    const u = parseRtmpUrl('rtmp://[::1]:1936/live/x');
    assert.equal(u.host, '::1');
    assert.equal(u.port, 1936);
    assert.equal(u.tcUrl, 'rtmp://[::1]:1936/live');
    assert.ok(!u.librtmpUrl.includes('['));
  });

  test('treats a query on the app as a secret too', () => {
    const u = parseRtmpUrl('rtmp://h/live?auth=s3cr3t/cam');
    assert.ok(u.secrets.includes('auth=s3cr3t'));
    assert.ok(!u.redacted.includes('s3cr3t'));
  });

  for (const [url, why] of [
    ['http://h/a/b', 'scheme'],
    ['rtmp://h/live', 'no stream'],
    ['rtmp://h/live/', 'empty stream'],
    ['rtmp:///live/x', 'no host'],
    ['rtmp://h:0/live/x', 'port 0'],
    ['rtmp://h:70000/live/x', 'port too big'],
    ['rtmp://::1/live/x', 'IPv6 without brackets'],
    ['rtmp://h/live/x y', 'white space'],
    ['rtmp://h/live/x\u0001', 'control character'],
  ]) {
    test(`refuses ${why} with ERR_INVALID_URL`, () => {
      assert.throws(
        () => parseRtmpUrl(url),
        (e: unknown) => e instanceof RtmpError && e.code === ErrorCodes.INVALID_URL,
      );
    });
  }

  test('refuses a non-string with ERR_INVALID_ARG', () => {
    assert.throws(() => parseRtmpUrl(42), (e: unknown) => e instanceof RtmpError && e.code === ErrorCodes.INVALID_ARG);
  });
});

describe('makeRedactor', () => {
  test('masks every whole-token occurrence of a key, URL-encoded forms included, longest secret first', () => {
    const redact = makeRedactor(['streamkey/1', 'streamkey/1?x=2']);
    assert.equal(redact('a streamkey/1?x=2 b streamkey/1 c streamkey%2F1'), 'a **** b **** c ****');
  });

  test('is the identity without secrets', () => {
    assert.equal(makeRedactor([])('text'), 'text');
  });
});

function pick(url: string): [string, string] {
  const u = parseRtmpUrl(url);
  return [u.app, u.playpath];
}
