// A platform's rules (platform-profiles.ts) checked on the FLV tags of a stream as they pass:
// the publishers feed every tag they send and turn new findings into 'warning' events;
// `librtmp check` feeds a file or a played stream and prints every rule's result at the end.
//
// What is measured, and how:
// - codec, H.264 profile/level, picture size and frame rate: from the sequence header (the
//   SPS in the AVCDecoderConfigurationRecord; HEVC and AV1 records are not parsed here, so
//   their level is not checked). Frame rate from the SPS's VUI timing, else from timestamps.
// - AAC object type, sample rate, channels: from the AudioSpecificConfig.
// - keyframe interval: the longest gap between two keyframes, and the time since the last one
//   (a stream that stops sending keyframes fails as soon as that passes the limit).
// - bitrates: bytes of frame tags per media second, over a sliding window of BITRATE_WINDOW_MS
//   while the stream passes, over the whole stream at the end of a check.
// - duration: media time from the first tag; a warning DURATION_NOTICE_S before the cap.
import type { FlvTag } from '../flv';
import { EX_HEADER, isKeyframe, isSequenceHeader, SoundFormat, VideoCodecId } from '../flv-tags';
import { parseAudioSpecificConfig, type AacConfig } from './aac';
import { FOURCC_AV01 } from './av1';
import { firstSpsOfRecord, parseSps, type SpsInfo } from './h264';
import { FOURCC_HVC1 } from './hevc';
import { aacChannels } from './metadata';
import { PLATFORM_PROFILES, type LevelRow, type PlatformProfile, type ProfileName, type VideoBitrateRow } from './platform-profiles';
import { ErrorCodes, invalidArg, RtmpError } from '../errors';

/** The stable codes of findings ('warning' events, `librtmp check --json`). */
export const WarningCodes = {
  KEYFRAME_INTERVAL: 'WARN_KEYFRAME_INTERVAL',
  NO_AUDIO: 'WARN_NO_AUDIO',
  NO_VIDEO: 'WARN_NO_VIDEO',
  VIDEO_CODEC: 'WARN_VIDEO_CODEC',
  H264_PROFILE: 'WARN_H264_PROFILE',
  LEVEL: 'WARN_LEVEL',
  RESOLUTION: 'WARN_RESOLUTION',
  FRAME_RATE: 'WARN_FRAME_RATE',
  AUDIO_CODEC: 'WARN_AUDIO_CODEC',
  SAMPLE_RATE: 'WARN_SAMPLE_RATE',
  CHANNELS: 'WARN_CHANNELS',
  AUDIO_BITRATE: 'WARN_AUDIO_BITRATE',
  BITRATE_RANGE: 'WARN_BITRATE_RANGE',
  DURATION_CAP: 'WARN_DURATION_CAP',
} as const;

export type WarningCode = (typeof WarningCodes)[keyof typeof WarningCodes];

/** pass; warn: against a recommendation; fail: the platform refuses or ends such a stream; skip: not measurable (yet). */
export type RuleStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface RuleResult {
  /** A short name of the rule ('keyframe-interval', …). */
  rule: string;
  code: WarningCode;
  status: RuleStatus;
  /** What was measured, in `unit` (undefined when nothing was). */
  measured: number | string | undefined;
  /** The limit, as text ('≤ 4 s', '3000–6000 kbit/s'). */
  limit: string;
  unit: string;
  /** One sentence for a person. */
  message: string;
}

/** A 'warning' event: a rule that went from passing to warn or fail. */
export interface ProfileWarning extends RuleResult {
  status: 'warn' | 'fail';
  /** The profile's name. */
  profile: string;
  /** Media time (ms) of the tag that showed it. */
  timestamp: number;
}

/** A platform by name, or a table of one's own (see platform-profiles.ts for the fields). */
export type ProfileOption = ProfileName | PlatformProfile;

/** Sliding window of the bitrates measured while a stream passes. */
export const BITRATE_WINDOW_MS = 10_000;
/** Media time without any audio after which a stream that requires it is said to lack it. */
export const AUDIO_GRACE_MS = 3_000;
/** The warning before the duration cap. */
export const DURATION_NOTICE_S = 600;

const PROFILE_FIELDS: readonly (keyof PlatformProfile)[] = [
  'name', 'keyframeInterval', 'requireAudio', 'requireVideo', 'videoCodecs', 'h264Profiles', 'levels', 'maxWidth',
  'maxHeight', 'maxFps', 'videoBitrates', 'audioObjectTypes', 'sampleRates', 'maxChannels', 'audioBitrate', 'maxDurationSeconds',
];

/** The profile a `profile` option names, checked. */
export function resolveProfile(option: ProfileOption): PlatformProfile {
  if (typeof option === 'string') {
    const known = PLATFORM_PROFILES[option];
    if (!known) throw invalidArg(`profile must be ${Object.keys(PLATFORM_PROFILES).map((n) => `'${n}'`).join(', ')} or a profile object`);
    return known;
  }
  if (typeof option !== 'object' || option === null) throw invalidArg('profile must be a platform name or a profile object');
  const missing = PROFILE_FIELDS.filter((field) => option[field] === undefined);
  if (missing.length > 0) throw invalidArg(`profile object lacks ${missing.join(', ')} (start from a copy of PlatformProfiles.facebook)`);
  return option;
}

interface Window {
  samples: { at: number; bytes: number }[];
  bytes: number;
}

export class StreamRules {
  readonly profile: PlatformProfile;
  #videoCodec: string | undefined;
  #sps: SpsInfo | undefined;
  #audio: AacConfig | undefined;
  #audioCodec: string | undefined;
  #firstTs: number | undefined;
  #lastTs = 0;
  #video = { frames: 0, bytes: 0, first: undefined as number | undefined, last: 0 };
  #audioTrack = { frames: 0, bytes: 0, first: undefined as number | undefined, last: 0 };
  #lastKeyTs: number | undefined;
  #maxKeyIntervalMs = 0;
  #videoWindow: Window = { samples: [], bytes: 0 };
  #audioWindow: Window = { samples: [], bytes: 0 };
  // The status last reported per code, so that each finding is an event once.
  readonly #reported = new Map<WarningCode, RuleStatus>();

  constructor(profile: ProfileOption) {
    this.profile = resolveProfile(profile);
  }

  /** Takes one tag of the stream; returns the findings it brought (rules newly at warn or fail). */
  observe(tag: FlvTag): ProfileWarning[] {
    this.#take(tag);
    const found: ProfileWarning[] = [];
    for (const result of this.#evaluate(false)) {
      const before = this.#reported.get(result.code) ?? 'pass';
      if (result.status === 'skip') continue;
      this.#reported.set(result.code, result.status);
      const worse = (result.status === 'warn' && before === 'pass') || (result.status === 'fail' && before !== 'fail');
      if (worse) found.push({ ...result, status: result.status as 'warn' | 'fail', profile: this.profile.name, timestamp: tag.timestamp });
    }
    return found;
  }

  /** Every rule's result for the stream seen so far, as a whole (the end of a check). */
  results(): RuleResult[] {
    return this.#evaluate(true);
  }

  /** The profile's video bitrate range for the stream's size and frame rate, once known. */
  videoBitrateRange(): { minKbps: number; maxKbps: number } | undefined {
    const fps = this.#frameRate();
    if (!this.#sps || fps === undefined) return undefined;
    const row = pickRow(this.profile.videoBitrates, this.#sps.height, fps);
    return row ? { minKbps: row.minKbps, maxKbps: row.maxKbps } : undefined;
  }

  /** Media time seen, ms. */
  durationMs(): number {
    return this.#firstTs === undefined ? 0 : this.#lastTs - this.#firstTs;
  }

  #take(tag: FlvTag): void {
    if (tag.type === 'script') return;
    this.#firstTs ??= tag.timestamp;
    this.#lastTs = Math.max(this.#lastTs, tag.timestamp);
    if (tag.type === 'video') this.#takeVideo(tag);
    else this.#takeAudio(tag);
  }

  #takeVideo(tag: FlvTag): void {
    const d = tag.data;
    if (d.length === 0) return;
    if (d[0] & EX_HEADER) {
      const fourCc = d.subarray(1, 5);
      this.#videoCodec = fourCc.equals(FOURCC_HVC1) ? 'hevc' : fourCc.equals(FOURCC_AV01) ? 'av1' : `FourCC ${fourCc.toString('latin1')}`;
    } else {
      const id = d[0] & 0x0f;
      this.#videoCodec = id === VideoCodecId.AVC ? 'h264' : id === VideoCodecId.HEVC_LEGACY ? 'hevc' : `FLV codec id ${id}`;
    }
    if (isSequenceHeader(tag)) {
      // A record that does not parse is the muxer's or the file's problem: the rules say what they can.
      if (this.#videoCodec === 'h264') this.#sps = tryParse(() => parseSps(firstSpsOfRecord(d.subarray(5))));
      return;
    }
    const track = this.#video;
    track.frames++;
    track.bytes += d.length;
    track.first ??= tag.timestamp;
    track.last = Math.max(track.last, tag.timestamp);
    slide(this.#videoWindow, tag.timestamp, d.length);
    if (isKeyframe(tag)) {
      if (this.#lastKeyTs !== undefined) this.#maxKeyIntervalMs = Math.max(this.#maxKeyIntervalMs, tag.timestamp - this.#lastKeyTs);
      this.#lastKeyTs = tag.timestamp;
    }
  }

  #takeAudio(tag: FlvTag): void {
    const d = tag.data;
    if (d.length === 0) return;
    const format = d[0] >> 4;
    this.#audioCodec = format === SoundFormat.AAC ? 'aac' : `FLV sound format ${format}`;
    if (isSequenceHeader(tag)) {
      this.#audio = tryParse(() => parseAudioSpecificConfig(d.subarray(2)));
      return;
    }
    const track = this.#audioTrack;
    track.frames++;
    track.bytes += d.length;
    track.first ??= tag.timestamp;
    track.last = Math.max(track.last, tag.timestamp);
    slide(this.#audioWindow, tag.timestamp, d.length);
  }

  #frameRate(): number | undefined {
    if (this.#sps?.frameRate !== undefined) return this.#sps.frameRate;
    const { frames, first, last } = this.#video;
    return frames > 1 && first !== undefined && last > first ? ((frames - 1) * 1000) / (last - first) : undefined;
  }

  #evaluate(final: boolean): RuleResult[] {
    const p = this.profile;
    const out: RuleResult[] = [];
    const add = (rule: string, code: WarningCode, status: RuleStatus, measured: RuleResult['measured'], limit: string, unit: string, message: string): void => {
      out.push({ rule, code, status, measured, limit, unit, message });
    };
    const mediaMs = this.durationMs();
    const hasVideo = this.#videoCodec !== undefined;
    const hasAudio = this.#audioCodec !== undefined;

    // Both tracks. While passing, a missing track is known only after a grace period.
    const decided = final || mediaMs > AUDIO_GRACE_MS;
    const trackStatus = (required: boolean, present: boolean): RuleStatus => (!required || present ? 'pass' : decided ? 'fail' : 'skip');
    add('video-track', WarningCodes.NO_VIDEO, trackStatus(p.requireVideo, hasVideo), hasVideo ? 'present' : 'absent', p.requireVideo ? 'required' : 'optional', '',
      hasVideo ? 'the stream has video' : `${p.name} requires a video track`);
    add('audio-track', WarningCodes.NO_AUDIO, trackStatus(p.requireAudio, hasAudio), hasAudio ? 'present' : 'absent', p.requireAudio ? 'required' : 'optional', '',
      hasAudio ? 'the stream has audio' : `${p.name} ends streams without an audio track (use audio: 'silent' without a microphone)`);

    // Keyframes: the longest interval, counting the time since the last one.
    const sinceKey = this.#lastKeyTs !== undefined ? this.#lastTs - this.#lastKeyTs : this.#video.first !== undefined ? this.#lastTs - this.#video.first : 0;
    const intervalS = Math.max(this.#maxKeyIntervalMs, sinceKey > p.keyframeInterval.max * 1000 ? sinceKey : 0) / 1000;
    const keyKnown = this.#maxKeyIntervalMs > 0 || intervalS > 0;
    const keyStatus: RuleStatus = !keyKnown ? (final && this.#video.frames > 0 ? 'pass' : 'skip') : intervalS > p.keyframeInterval.max ? 'fail' : intervalS > p.keyframeInterval.recommended + 0.05 ? 'warn' : 'pass';
    add('keyframe-interval', WarningCodes.KEYFRAME_INTERVAL, hasVideo ? keyStatus : 'skip', keyKnown ? round(intervalS, 2) : undefined,
      `≤ ${p.keyframeInterval.max} s (${p.keyframeInterval.recommended} s recommended)`, 's',
      `keyframes at most every ${p.keyframeInterval.max} s, every ${p.keyframeInterval.recommended} s recommended`);

    // Video codec, profile, level, size, frame rate.
    const codec = this.#videoCodec;
    add('video-codec', WarningCodes.VIDEO_CODEC, codec === undefined ? 'skip' : p.videoCodecs.includes(codec) ? 'pass' : 'fail', codec,
      p.videoCodecs.join(', '), '', `${p.name} takes ${p.videoCodecs.join(', ')} video`);
    const sps = this.#sps;
    const fps = this.#frameRate();
    const h264 = codec === 'h264' && sps !== undefined;
    add('h264-profile', WarningCodes.H264_PROFILE, !h264 ? 'skip' : p.h264Profiles.includes(sps.profileIdc) ? 'pass' : 'fail',
      h264 ? profileName(sps.profileIdc) : undefined, p.h264Profiles.map(profileName).join(', '), '', 'H.264 profile');
    const levelRow = sps && fps !== undefined ? pickRow(p.levels, sps.height, fps) : undefined;
    add('h264-level', WarningCodes.LEVEL, !h264 || !levelRow ? 'skip' : sps.levelIdc <= levelRow.maxLevelIdc ? 'pass' : 'fail',
      h264 ? levelName(sps.levelIdc) : undefined, levelRow ? `≤ ${levelName(levelRow.maxLevelIdc)} at ${sizeName(levelRow.maxHeight, levelRow.maxFps)}` : 'no row for this size',
      '', 'H.264 level for the picture size and frame rate');
    const longSide = sps ? Math.max(sps.width, sps.height) : 0;
    const shortSide = sps ? Math.min(sps.width, sps.height) : 0;
    add('resolution', WarningCodes.RESOLUTION, !sps ? 'skip' : longSide <= p.maxWidth && shortSide <= p.maxHeight ? 'pass' : 'fail',
      sps ? `${sps.width}x${sps.height}` : undefined, `≤ ${p.maxWidth}x${p.maxHeight}`, '', 'picture size');
    add('frame-rate', WarningCodes.FRAME_RATE, fps === undefined ? 'skip' : fps <= p.maxFps + 0.01 ? 'pass' : 'fail',
      fps !== undefined ? round(fps, 2) : undefined, `≤ ${p.maxFps}`, 'fps', 'frame rate');

    // Audio.
    const audio = this.#audio;
    const audioKnown = this.#audioCodec !== undefined;
    const objectOk = audio !== undefined && p.audioObjectTypes.includes(audio.objectType);
    add('audio-codec', WarningCodes.AUDIO_CODEC, !audioKnown ? 'skip' : this.#audioCodec === 'aac' && objectOk ? 'pass' : audio === undefined && this.#audioCodec === 'aac' ? 'skip' : 'fail',
      audio ? objectTypeName(audio.objectType) : this.#audioCodec, p.audioObjectTypes.map(objectTypeName).join(', '), '', 'audio codec');
    add('sample-rate', WarningCodes.SAMPLE_RATE, !audio ? 'skip' : p.sampleRates.includes(audio.sampleRate) ? 'pass' : 'fail',
      audio?.sampleRate, p.sampleRates.join(' or '), 'Hz', 'audio sample rate');
    const channels = audio ? aacChannels(audio.channelConfig) : undefined;
    add('channels', WarningCodes.CHANNELS, channels === undefined ? 'skip' : channels <= p.maxChannels ? 'pass' : 'fail',
      channels, `≤ ${p.maxChannels}`, '', 'audio channels');

    // Bitrates: over the window while passing, over the whole stream at the end.
    const videoKbps = final ? trackKbps(this.#video, fps) : windowKbps(this.#videoWindow);
    const row = sps && fps !== undefined ? pickRow(p.videoBitrates, sps.height, fps) : undefined;
    const videoStatus: RuleStatus = videoKbps === undefined || !row ? 'skip' : videoKbps > row.maxKbps ? 'fail' : videoKbps < row.minKbps ? 'warn' : 'pass';
    add('video-bitrate', WarningCodes.BITRATE_RANGE, videoStatus, videoKbps !== undefined ? Math.round(videoKbps) : undefined,
      row ? `${row.minKbps}–${row.maxKbps} kbit/s at ${sizeName(row.maxHeight, row.maxFps)}` : 'no row for this size', 'kbit/s', 'video bitrate');
    const audioKbps = final ? trackKbps(this.#audioTrack, undefined) : windowKbps(this.#audioWindow);
    const ab = p.audioBitrate;
    add('audio-bitrate', WarningCodes.AUDIO_BITRATE, audioKbps === undefined ? 'skip' : audioKbps > ab.max ? 'fail' : audioKbps > ab.recommended * 1.1 ? 'warn' : 'pass',
      audioKbps !== undefined ? Math.round(audioKbps) : undefined, `≤ ${ab.max} kbit/s (${ab.recommended} recommended)`, 'kbit/s', 'audio bitrate');

    // Broadcast length.
    const seconds = mediaMs / 1000;
    const cap = p.maxDurationSeconds;
    add('duration', WarningCodes.DURATION_CAP, this.#firstTs === undefined ? 'skip' : seconds > cap ? 'fail' : seconds > cap - DURATION_NOTICE_S ? 'warn' : 'pass',
      round(seconds, 1), `≤ ${cap} s`, 's', `${p.name} ends broadcasts after ${cap / 3600} h`);
    return out;
  }
}

function tryParse<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch {
    return undefined;
  }
}

function slide(window: Window, at: number, bytes: number): void {
  window.samples.push({ at, bytes });
  window.bytes += bytes;
  while (window.samples.length > 1 && at - window.samples[0].at > BITRATE_WINDOW_MS) {
    window.bytes -= (window.samples.shift() as { bytes: number }).bytes;
  }
}

// kbit/s over the window, once it spans most of its length (a stream's first seconds are not judged).
function windowKbps(window: Window): number | undefined {
  const { samples } = window;
  if (samples.length < 2) return undefined;
  const span = samples[samples.length - 1].at - samples[0].at;
  if (span < BITRATE_WINDOW_MS * 0.8) return undefined;
  // The last sample's bytes cover the time after it: leave it out of the rate.
  return ((window.bytes - samples[samples.length - 1].bytes) * 8) / span;
}

// kbit/s over a whole track: its bytes over its span plus one frame.
function trackKbps(track: { frames: number; bytes: number; first: number | undefined; last: number }, fps: number | undefined): number | undefined {
  if (track.frames < 2 || track.first === undefined || track.last <= track.first) return undefined;
  const frameMs = fps !== undefined ? 1000 / fps : (track.last - track.first) / (track.frames - 1);
  return (track.bytes * 8) / (track.last - track.first + frameMs);
}

// The smallest row that holds the picture: by height, then by frame rate; the largest when none does.
function pickRow<T extends VideoBitrateRow | LevelRow>(rows: readonly T[], height: number, fps: number): T | undefined {
  const sorted = [...rows].sort((a, b) => a.maxHeight - b.maxHeight || a.maxFps - b.maxFps);
  const fits = sorted.find((row) => height <= row.maxHeight && fps <= row.maxFps + 0.5);
  return fits ?? sorted.filter((row) => height <= row.maxHeight).at(-1) ?? sorted.at(-1);
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

function levelName(levelIdc: number): string {
  return levelIdc === 9 ? '1b' : `${Math.floor(levelIdc / 10)}.${levelIdc % 10}`;
}

function profileName(profileIdc: number): string {
  const names: Record<number, string> = { 66: 'Baseline', 77: 'Main', 88: 'Extended', 100: 'High', 110: 'High 10', 122: 'High 4:2:2', 244: 'High 4:4:4' };
  return names[profileIdc] ?? `profile_idc ${profileIdc}`;
}

function objectTypeName(objectType: number): string {
  const names: Record<number, string> = { 1: 'AAC Main', 2: 'AAC-LC', 3: 'AAC SSR', 4: 'AAC LTP', 5: 'HE-AAC', 29: 'HE-AAC v2' };
  return names[objectType] ?? `object type ${objectType}`;
}

function sizeName(height: number, fps: number): string {
  return `${height}p${fps}`;
}

/** The findings of a result list that fail (the stream would be refused or ended). */
export function failures(results: readonly RuleResult[]): RuleResult[] {
  return results.filter((r) => r.status === 'fail');
}

/** A failing rule as the error strict mode refuses with. */
export function profileViolation(warning: Pick<ProfileWarning, 'code' | 'message' | 'measured' | 'unit' | 'limit'> & { profile: string }): RtmpError {
  const measured = warning.measured === undefined ? '' : ` (measured ${warning.measured}${warning.unit ? ` ${warning.unit}` : ''}, limit ${warning.limit})`;
  return new RtmpError(ErrorCodes.PROFILE_VIOLATION, `${warning.profile} profile: ${warning.message}${measured}`, { reason: warning.code });
}
