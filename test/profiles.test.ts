// Platform profiles (issue 15): ffmpeg-made streams that each break one Facebook rule give
// that rule's code as a 'warning' event from the publishers and as a failing line with exit
// code 6 from `librtmp check` (FLV and elementary input); a compliant 1080p30 stream passes
// every rule; strict mode refuses with ERR_PROFILE_VIOLATION; bad input gets a coded error.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeFlvHeader, encodeTag, FlvParser } from '../lib/flv';
import { connect, ErrorCodes, FACEBOOK, MediaPublisher, publish, publishCamera, RtmpError, StreamRules, type ProfileWarning, type RuleResult } from '../lib/index';
import type { FlvTag } from '../lib/flv';
import { trackChild } from './helpers/children';
import { splitAccessUnits, splitAdtsFrames } from './helpers/elementary';
import { FIXTURES_DIR } from './helpers/fixtures';
import { ffprobeFrames } from './helpers/media';
import { startNginx, type NginxServer } from './helpers/nginx';
import { profileFixtures, type ProfileFixture } from './helpers/profile-fixtures';

const BIN = path.join(FIXTURES_DIR, '..', '..', 'bin', 'librtmp.js');
const AAC_SAMPLES = 1024;

interface Frames {
  video: { data: Buffer; pts: number }[];
  audio: { data: Buffer; pts: number }[];
}

function framesOf(fixture: ProfileFixture): Frames {
  const video = splitAccessUnits(fs.readFileSync(fixture.h264)).map((data, i) => ({ data, pts: Math.round((i * 1000) / fixture.fps) }));
  const audio: Frames['audio'] = [];
  if (fixture.adts) {
    const frames = splitAdtsFrames(fs.readFileSync(fixture.adts));
    const rate = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050][(frames[0][2] >> 2) & 0x0f];
    frames.forEach((data, i) => audio.push({ data, pts: Math.round((i * AAC_SAMPLES * 1000) / rate) }));
  }
  return { video, audio };
}

// Frames interleaved by time, as an encoder hands them over (no pacing: the rules use media time).
async function writeAll(target: Pick<MediaPublisher, 'writeVideo' | 'writeAudio'>, frames: Frames): Promise<void> {
  let v = 0;
  let a = 0;
  while (v < frames.video.length || a < frames.audio.length) {
    const takeVideo = a >= frames.audio.length || (v < frames.video.length && frames.video[v].pts <= frames.audio[a].pts);
    if (takeVideo) await target.writeVideo(frames.video[v++]);
    else await target.writeAudio(frames.audio[a++]);
  }
}

function runCheck(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'check', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let fixtures: Map<string, ProfileFixture>;
let tmp: string;

before(async () => {
  fixtures = await profileFixtures();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-profiles-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const fixture = (name: string): ProfileFixture => fixtures.get(name) as ProfileFixture;
const BREAKING = ['keyframe-6s', 'no-audio', 'level-5.1-1080p30', 'audio-22050', 'bitrate-12M-720p30'];

describe('profile rules in the API (MediaPublisher, profile: facebook)', () => {
  for (const name of BREAKING) {
    test(`${name}: a 'warning' event with its code and the measured value`, async () => {
      const f = fixture(name);
      const sent: FlvTag[] = [];
      const publisher = new MediaPublisher({ writeTags: (tags) => (sent.push(...tags), Promise.resolve()) }, { profile: 'facebook', audio: f.adts !== undefined });
      const warnings: ProfileWarning[] = [];
      publisher.on('warning', (w: ProfileWarning) => warnings.push(w));
      await writeAll(publisher, framesOf(f));
      await publisher.end();
      const found = warnings.find((w) => w.code === f.breaks);
      assert.ok(found, `${f.breaks} among ${JSON.stringify(warnings.map((w) => w.code))}`);
      assert.equal(found.status, 'fail');
      assert.equal(found.profile, 'facebook');
      assert.notEqual(found.measured, undefined);
      assert.ok(sent.length > 0, 'without strict the stream goes on');
      // Each finding once, not once per tag.
      assert.equal(warnings.filter((w) => w.code === f.breaks).length, 1);
    });
  }

  test('the measured values name the breach', async () => {
    const measured = async (name: string, code: string): Promise<RuleResult['measured']> => {
      const publisher = new MediaPublisher({ writeTags: () => Promise.resolve() }, { profile: 'facebook', audio: fixture(name).adts !== undefined });
      const warnings: ProfileWarning[] = [];
      publisher.on('warning', (w: ProfileWarning) => warnings.push(w));
      await writeAll(publisher, framesOf(fixture(name)));
      return warnings.find((w) => w.code === code)?.measured;
    };
    assert.equal(await measured('level-5.1-1080p30', 'WARN_LEVEL'), '5.1');
    assert.equal(await measured('audio-22050', 'WARN_SAMPLE_RATE'), 22050);
    assert.ok(Number(await measured('keyframe-6s', 'WARN_KEYFRAME_INTERVAL')) > 4);
    assert.ok(Number(await measured('bitrate-12M-720p30', 'WARN_BITRATE_RANGE')) > 4000);
  });

  test('a compliant 1080p30 stream: no warning at all', async () => {
    const publisher = new MediaPublisher({ writeTags: () => Promise.resolve() }, { profile: 'facebook' });
    const warnings: ProfileWarning[] = [];
    publisher.on('warning', (w: ProfileWarning) => warnings.push(w));
    await writeAll(publisher, framesOf(fixture('compliant-1080p30')));
    await publisher.end();
    assert.deepEqual(warnings, []);
  });

  test('strict: refuses audio: false at once, and a Level 5.1 stream at its first frame, sending nothing', async () => {
    assert.throws(
      () => new MediaPublisher({ writeTags: () => Promise.resolve() }, { profile: 'facebook', strict: true, audio: false }),
      (e: unknown) => e instanceof RtmpError && e.code === ErrorCodes.PROFILE_VIOLATION && e.reason === 'WARN_NO_AUDIO',
    );
    const sent: FlvTag[] = [];
    const publisher = new MediaPublisher({ writeTags: (tags) => (sent.push(...tags), Promise.resolve()) }, { profile: 'facebook', strict: true });
    const frames = framesOf(fixture('level-5.1-1080p30'));
    await assert.rejects(publisher.writeVideo(frames.video[0]), (e: unknown) => {
      assert.ok(e instanceof RtmpError);
      assert.equal(e.code, ErrorCodes.PROFILE_VIOLATION);
      assert.equal(e.reason, 'WARN_LEVEL');
      assert.match(e.message, /5\.1.*4\.1/);
      return true;
    });
    await assert.rejects(publisher.writeAudio(frames.audio[0]), { code: ErrorCodes.PROFILE_VIOLATION });
    assert.equal(sent.length, 0);
  });

  test('profile option checks: unknown names, incomplete objects, strict without a profile', () => {
    assert.throws(() => new MediaPublisher({ writeTags: () => Promise.resolve() }, { profile: 'twitch' as 'facebook' }), { code: ErrorCodes.INVALID_ARG });
    assert.throws(() => new MediaPublisher({ writeTags: () => Promise.resolve() }, { profile: { ...FACEBOOK, levels: undefined } as unknown as typeof FACEBOOK }), {
      code: ErrorCodes.INVALID_ARG,
    });
    assert.throws(() => new MediaPublisher({ writeTags: () => Promise.resolve() }, { strict: true }), { code: ErrorCodes.INVALID_ARG });
    // A custom table: the same stream judged by a stricter keyframe rule.
    const rules = new StreamRules({ ...FACEBOOK, name: 'mine', keyframeInterval: { recommended: 0.5, max: 1 } });
    assert.equal(rules.profile.name, 'mine');
  });
});

describe('profiles through publishCamera to nginx-rtmp', () => {
  let nginx: NginxServer;
  before(async () => {
    nginx = await startNginx({ record: true });
  });
  after(async () => {
    await nginx?.stop();
  });

  test('a compliant stream is published without warnings; the recording decodes', { timeout: 60_000 }, async () => {
    // Written faster than real time: queue bounds wide enough that no frame is dropped.
    const camera = await publishCamera(nginx.url('live', 'compliant'), { profile: 'facebook', strict: true, dropThresholdMs: 10_000, pframeDropThresholdMs: 10_000, maxQueuedMs: 10_000 });
    const warnings: ProfileWarning[] = [];
    camera.on('warning', (w: ProfileWarning) => warnings.push(w));
    const frames = framesOf(fixture('compliant-1080p30'));
    await writeAll(camera, frames);
    await camera.close();
    assert.deepEqual(warnings, []);
    const probe = await ffprobeFrames(await nginx.waitForRecording('compliant', 30_000));
    assert.equal(probe.video?.frames, frames.video.length);
  });

  test('strict: a stream that breaks a rule mid-way ends with an error event and refused writes', { timeout: 60_000 }, async () => {
    const camera = await publishCamera(nginx.url('live', 'keyframes'), { profile: 'facebook', strict: true });
    const errors: unknown[] = [];
    camera.on('error', (e: unknown) => errors.push(e));
    await assert.rejects(writeAll(camera, framesOf(fixture('keyframe-6s'))), (e: unknown) => e instanceof RtmpError && e.reason === 'WARN_KEYFRAME_INTERVAL');
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as RtmpError).code, ErrorCodes.PROFILE_VIOLATION);
    await assert.rejects(camera.writeVideo(framesOf(fixture('keyframe-6s')).video[0]), { code: ErrorCodes.PROFILE_VIOLATION });
    await camera.close();
  });
});

describe('profiles on publish() for tags', () => {
  let nginx: NginxServer;
  before(async () => {
    nginx = await startNginx();
  });
  after(async () => {
    await nginx?.stop();
  });

  test("writeTags() of a Level 5.1 1080p30 FLV: a 'warning' event; strict refuses that write and the next", { timeout: 60_000 }, async () => {
    const tags = new FlvParser().push(fs.readFileSync(fixture('level-5.1-1080p30').flv));
    const lenient = await publish(nginx.url('live', 'tags'), { profile: 'facebook' });
    const warnings: ProfileWarning[] = [];
    lenient.on('warning', (w: ProfileWarning) => warnings.push(w));
    await lenient.writeTags(tags);
    await lenient.close();
    assert.deepEqual(warnings.map((w) => [w.code, w.measured]), [['WARN_LEVEL', '5.1']]);

    const strict = await publish(nginx.url('live', 'strict-tags'), { profile: 'facebook', strict: true });
    await assert.rejects(strict.writeTags(tags), (e: unknown) => e instanceof RtmpError && e.code === ErrorCodes.PROFILE_VIOLATION && e.reason === 'WARN_LEVEL');
    await assert.rejects(strict.writeTag(tags[tags.length - 1]), { code: ErrorCodes.PROFILE_VIOLATION });
    assert.equal(strict.stats().videoMessagesOut, 0, 'nothing of the refused stream was sent');
    await strict.close();
  });

  test('profile is for publishing; strict needs a profile', async () => {
    await assert.rejects(connect(nginx.url('live', 'x'), { profile: 'facebook' }), { code: ErrorCodes.INVALID_ARG });
    await assert.rejects(publish(nginx.url('live', 'x'), { strict: true }), { code: ErrorCodes.INVALID_ARG });
    await assert.rejects(publish(nginx.url('live', 'x'), { profile: 'twitch' as 'facebook' }), { code: ErrorCodes.INVALID_ARG });
  });
});

describe('librtmp check', () => {
  const lineOf = (stdout: string, code: string): string | undefined => stdout.split('\n').find((l) => l.includes(code));

  for (const name of BREAKING) {
    test(`${name}: a failing line and exit code 6 (FLV and elementary input)`, async () => {
      const f = fixture(name);
      const flv = await runCheck(['--profile', 'facebook', f.flv]);
      assert.equal(flv.code, 6, flv.stderr);
      assert.match(lineOf(flv.stdout, f.breaks as string) ?? '', /^fail /);
      assert.match(flv.stdout, /FAILED: facebook/);
      const elementary = await runCheck(['--json', ...(f.adts ? ['--audio', f.adts] : []), f.h264]);
      assert.equal(elementary.code, 6, elementary.stderr);
      const report = JSON.parse(elementary.stdout) as { passed: boolean; results: RuleResult[] };
      assert.equal(report.passed, false);
      assert.equal(report.results.find((r) => r.code === f.breaks)?.status, 'fail');
    });
  }

  test('a compliant 1080p30 stream passes every rule (FLV and elementary), exit 0', async () => {
    const f = fixture('compliant-1080p30');
    const flv = await runCheck(['--json', f.flv]);
    assert.equal(flv.code, 0, flv.stderr);
    const report = JSON.parse(flv.stdout) as { profile: string; passed: boolean; results: RuleResult[] };
    assert.equal(report.profile, 'facebook');
    assert.equal(report.passed, true);
    assert.deepEqual(report.results.filter((r) => r.status !== 'pass').map((r) => r.rule), []);
    assert.ok(report.results.length >= 14);
    const text = await runCheck([f.flv]);
    assert.equal(text.code, 0);
    assert.equal(text.stdout.split('\n').filter((l) => l.startsWith('pass ')).length, report.results.length);
    const elementary = await runCheck(['--audio', f.adts as string, f.h264]);
    assert.equal(elementary.code, 0, elementary.stdout + elementary.stderr);
  });

  test('a live stream read from nginx for --duration seconds', { timeout: 60_000 }, async () => {
    const nginx = await startNginx();
    try {
      const camera = await publishCamera(nginx.url('live', 'watched'));
      const check = runCheck(['--duration', '2', nginx.url('live', 'watched')]);
      // Published faster than real time, then held open until the check has read its share.
      const frames = framesOf(fixture('level-5.1-1080p30'));
      const publishing = (async () => {
        for (let round = 0; round < 20; round++) {
          const offset = round * 1100;
          await writeAll(camera, {
            video: frames.video.map((v) => ({ ...v, pts: v.pts + offset })),
            audio: frames.audio.map((a) => ({ ...a, pts: a.pts + offset })),
          });
          await new Promise((resolve) => setTimeout(resolve, 300)); // pacing, not synchronisation
        }
      })();
      const result = await check;
      assert.equal(result.code, 6, result.stderr);
      assert.match(lineOf(result.stdout, 'WARN_LEVEL') ?? '', /^fail /);
      await publishing;
      await camera.close();
    } finally {
      await nginx.stop();
    }
  });

  test('bad input: not FLV, a truncated FLV, an unknown codec → coded errors, no crash', async () => {
    const text = path.join(tmp, 'notes.txt');
    fs.writeFileSync(text, 'this is not a video stream\n');
    const notFlv = await runCheck([text]);
    assert.equal(notFlv.code, 2);
    assert.match(notFlv.stderr, /^librtmp: ERR_INPUT: .*is not FLV/m);

    const whole = fs.readFileSync(fixture('compliant-1080p30').flv);
    const truncated = path.join(tmp, 'truncated.flv');
    fs.writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
    const cut = await runCheck([truncated]);
    assert.equal(cut.code, 2);
    assert.match(cut.stderr, /^librtmp: ERR_FLV_PARSE: the FLV is truncated/m);

    const unknown = path.join(tmp, 'unknown-codec.flv');
    const tag = (timestamp: number): Buffer => encodeTag({ type: 'video', timestamp, data: Buffer.of(0x1f, 0, 0, 0, 0) });
    fs.writeFileSync(unknown, Buffer.concat([encodeFlvHeader({ audio: false, video: true }), tag(0), tag(40)]));
    const codec = await runCheck([unknown]);
    assert.equal(codec.code, 2);
    assert.match(codec.stderr, /^librtmp: ERR_MEDIA_INVALID: unknown FLV video codec id 15/m);

    const missing = await runCheck([path.join(tmp, 'nothing.flv')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /ERR_INPUT: cannot read/);
  });
});
