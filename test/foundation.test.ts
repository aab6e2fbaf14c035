// The native foundation against a real nginx-rtmp: the addon runs its own OpenSSL (1.1.1w; 3.5 under npm run test:openssl35),
// publishes and plays real H.264 + AAC, and every failure comes back with its own code.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ErrorCodes, publish, read, versions, type FlvTag } from '../lib/index';
import { FlvParser } from '../lib/flv';
import { expectRtmpError } from './helpers/expect-error';
import { AV_FLV, avFacts } from './helpers/fixtures';
import { ffmpegPublish, ffprobeFrames } from './helpers/media';
import { startNginx, type NginxServer } from './helpers/nginx';
import { freePort } from './helpers/ports';
import { cveSet, ON_OPENSSL_3, pinnedOpenssl } from './helpers/openssl-line';
import { addonPath, openFds, threadCount, waitForBaseline } from './helpers/process-state';

function fixtureTags(): FlvTag[] {
  return new FlvParser().push(fs.readFileSync(AV_FLV));
}

describe('the addon', () => {
  test(`runs its own OpenSSL ${pinnedOpenssl().version}, not the one Node exports`, () => {
    const v = versions();
    const pinned = pinnedOpenssl();
    assert.ok(v.openssl.startsWith(`OpenSSL ${pinned.version} `), v.openssl);
    // 1.1.1w is 0x1010117f; OpenSSL 3 numbers are 0xMNN00PP0.
    const [major, minor, patch] = pinned.version.split('.').map((part) => parseInt(part, 10));
    assert.equal(v.opensslNumber, ON_OPENSSL_3 ? major * 2 ** 28 + minor * 2 ** 20 + patch * 16 : 0x1010117f);
    assert.notEqual(v.openssl, `OpenSSL ${process.versions.openssl}`);
    assert.match(process.versions.openssl, /^3\./);
    assert.equal(v.librtmp, '2.4+20151223.gitfa8646d');
  });

  test('carries every reviewed Debian patch of the pinned revision, with its CVEs', () => {
    const pinned = pinnedOpenssl();
    const v = versions();
    assert.equal(v.opensslPatchLevel, `${pinned.version}+${pinned.patchLevel}`);
    assert.equal(v.opensslPatchNote, null);
    assert.deepEqual(v.opensslPatches, pinned.patches.map(({ name, cves }) => ({ name, cves })));
    assert.deepEqual(new Set(v.opensslCves), cveSet(pinned.patches));
    if (ON_OPENSSL_3) {
      // 3.5.7-1~deb13u2 (trixie): 17 source patches for 10 CVEs.
      assert.equal(v.opensslPatches.length, 17);
      assert.equal(v.opensslCves.length, 10);
      assert.ok(v.opensslCves.includes('CVE-2026-75803') && v.opensslCves.includes('CVE-2026-14457'));
    } else {
      assert.equal(v.opensslPatches.length, 40);
      assert.equal(v.opensslCves.length, 24);
      assert.equal(v.opensslCves[0], 'CVE-2023-5678');
      assert.equal(v.opensslCves.at(-1), 'CVE-2026-45447');
      assert.ok(v.opensslCves.includes('CVE-2024-5535') && v.opensslCves.includes('CVE-2026-9076'));
    }
  });

  test('exports nothing but the N-API entry points', () => {
    const out = execFileSync('nm', ['-D', '--defined-only', addonPath()], { encoding: 'utf8' });
    const symbols = out
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f.length === 3 && /[A-Z]/.test(f[1]))
      .map((f) => f[2]);
    assert.ok(symbols.includes('napi_register_module_v1'), symbols.join(', '));
    const others = symbols.filter((s) => !/^(napi_register_module_v1|node_api_module_get_api_version_v1)$/.test(s));
    assert.deepEqual(others, []);
  });
});

describe('publish and play over RTMP', () => {
  let nginx: NginxServer;
  before(async () => {
    nginx = await startNginx({ record: true });
  });
  after(() => nginx.stop());

  test('publishing the fixture delivers every frame, decoded by ffprobe', async () => {
    const tags = fixtureTags();
    const pub = await publish(nginx.url('live', 'tags'));
    for (let i = 0; i < tags.length; i += 16) await pub.writeTags(tags.slice(i, i + 16));
    await pub.close();
    const probe = await ffprobeFrames(await nginx.waitForRecording('tags'));
    assert.equal(probe.video?.codecName, 'h264');
    assert.equal(probe.video?.frames, avFacts.video.frames);
    assert.equal(probe.audio?.codecName, 'aac');
    assert.equal(probe.audio?.frames, avFacts.audio.frames);
  });

  test('raw FLV bytes in arbitrary slices arrive whole', async () => {
    const bytes = fs.readFileSync(AV_FLV);
    const pub = await publish(nginx.url('live', 'bytes'));
    // Odd slice sizes split the header and tags everywhere.
    for (let at = 0, step = 1; at < bytes.length; at += step, step = (step * 7 + 3) % 9000 || 1) {
      await pub.write(bytes.subarray(at, at + step));
    }
    await pub.close();
    const probe = await ffprobeFrames(await nginx.waitForRecording('bytes'));
    assert.equal(probe.video?.frames, avFacts.video.frames);
    assert.equal(probe.audio?.frames, avFacts.audio.frames);
  });

  test('reading what ffmpeg publishes yields every video frame in order', async (t) => {
    const url = nginx.url('live', 'played');
    const tags: FlvTag[] = [];
    const reading = (async () => {
      for await (const tag of read(url, { timeout: 15_000 })) tags.push(tag);
    })();
    await nginx.waitForLog(/play: name='played'/);
    const ffmpeg = ffmpegPublish(AV_FLV, url, { realtime: true, signal: t.signal });
    const result = await ffmpeg.done;
    assert.equal(result.code, 0, result.stderr);
    await reading;

    const video = tags.filter((tag) => tag.type === 'video');
    const audio = tags.filter((tag) => tag.type === 'audio');
    // The first video tag is the AVC sequence header (AVCPacketType 0), not a frame.
    const frames = video.filter((tag) => tag.data[1] === 1);
    assert.equal(frames.length, avFacts.video.frames);
    assert.ok(audio.length >= avFacts.audio.frames, `${audio.length} audio tags`);
    for (const list of [video, audio]) {
      for (let i = 1; i < list.length; i++) assert.ok(list[i].timestamp >= list[i - 1].timestamp, `timestamp ${i}`);
    }
    assert.equal(video[0].data[0] >> 4, 1, 'the first video tag is a keyframe');
    // Metadata comes out decoded (nginx builds its own onMetaData for players).
    const meta = tags.find((tag) => tag.script?.name === 'onMetaData');
    assert.ok(meta, 'an onMetaData tag');
    assert.deepEqual(
      [(meta.script?.values[0] as Record<string, unknown>).width, (meta.script?.values[0] as Record<string, unknown>).height],
      [avFacts.video.width, avFacts.video.height],
    );
    assert.equal(video[0].data[0] & 0x0f, 7, 'H.264');
  });
});

describe('failures have their own codes and leave nothing behind', () => {
  let nginx: NginxServer;
  before(async () => {
    nginx = await startNginx({ idleStreams: false });
  });
  after(() => nginx.stop());

  async function expectNoLeak(run: () => Promise<unknown>): Promise<void> {
    const fds = openFds();
    const threads = threadCount();
    await run();
    await waitForBaseline({ fds, threads });
  }

  test('refused port', async () => {
    const port = await freePort();
    await expectNoLeak(() => expectRtmpError(publish(`rtmp://127.0.0.1:${port}/live/x`, { timeout: 5000 }), ErrorCodes.CONNECT_REFUSED));
  });

  test('unknown host', async () => {
    await expectNoLeak(() => expectRtmpError(publish('rtmp://no-such-host.invalid/live/x', { timeout: 5000 }), ErrorCodes.DNS_LOOKUP));
  });

  test('nonexistent application', async () => {
    await expectNoLeak(() => expectRtmpError(publish(nginx.url('nosuchapp', 'x'), { timeout: 5000 }), ErrorCodes.RTMP_CONNECT_REJECTED));
  });

  test('a stream that does not exist', async () => {
    await expectNoLeak(async () => {
      const error = await expectRtmpError(read(nginx.url('live', 'missing'), { timeout: 5000 }).next(), ErrorCodes.RTMP_STREAM_NOT_FOUND);
      assert.equal(error.statusCode, 'NetStream.Play.StreamNotFound');
    });
  });

  test('a URL with no stream name is refused before any native call', async () => {
    const threads = threadCount();
    await expectRtmpError(publish(`rtmp://127.0.0.1:${nginx.port}/live`), ErrorCodes.INVALID_URL);
    await expectRtmpError(publish(`rtmp://127.0.0.1:${nginx.port}/live/`), ErrorCodes.INVALID_URL);
    await expectRtmpError(publish('http://127.0.0.1/live/x'), ErrorCodes.INVALID_URL);
    await expectRtmpError(publish(`rtmp://127.0.0.1:${nginx.port}/live/x`, { timeout: -1 }), ErrorCodes.INVALID_ARG);
    assert.equal(threadCount(), threads);
  });

  test('a second publisher on the same name is refused with the server status', async () => {
    const first = await publish(nginx.url('live', 'taken'));
    try {
      const error = await expectRtmpError(publish(nginx.url('live', 'taken'), { timeout: 5000 }), ErrorCodes.RTMP_PUBLISH_REJECTED);
      assert.equal(error.statusCode, 'NetStream.Publish.BadName');
    } finally {
      await first.close();
    }
  });
});
