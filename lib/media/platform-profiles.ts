// What live platforms accept, as data: one table per platform, read by the stream rules
// (stream-rules.ts). To follow a platform's change, edit its table here; nothing else
// hard-codes a limit. Each table names its source and the date it was read.

/** One row of video bitrate advice: streams up to this height and frame rate. */
export interface VideoBitrateRow {
  /** The row applies to pictures whose height is at most this (the smallest such row is used). */
  maxHeight: number;
  /** …and whose frame rate is at most this (the smallest such row is used). */
  maxFps: number;
  /** Accepted video bitrate, kbit/s. */
  minKbps: number;
  maxKbps: number;
}

/** The highest H.264 level accepted for pictures up to a height and frame rate. */
export interface LevelRow {
  maxHeight: number;
  maxFps: number;
  /** level_idc: 41 = Level 4.1. */
  maxLevelIdc: number;
}

export interface PlatformProfile {
  /** Shown in findings and in `librtmp check`. */
  name: string;
  /** Where the numbers come from. */
  source: string;
  /** Keyframe interval, seconds: above `recommended` a warning, above `max` a failure. */
  keyframeInterval: { recommended: number; max: number };
  /** Both tracks are required (the platform ends a stream without one). */
  requireAudio: boolean;
  requireVideo: boolean;
  /** Video codecs accepted ('h264', 'hevc', 'av1'). */
  videoCodecs: readonly string[];
  /** H.264 profile_idc values accepted (66 Baseline, 77 Main, 100 High). */
  h264Profiles: readonly number[];
  levels: readonly LevelRow[];
  /** Largest picture (either orientation: the long and the short side). */
  maxWidth: number;
  maxHeight: number;
  maxFps: number;
  videoBitrates: readonly VideoBitrateRow[];
  /** MPEG-4 Audio Object Types accepted (2 = AAC-LC). */
  audioObjectTypes: readonly number[];
  sampleRates: readonly number[];
  maxChannels: number;
  /** Audio bitrate, kbit/s: above `recommended` a warning, above `max` a failure. */
  audioBitrate: { recommended: number; max: number };
  /** Longest broadcast, seconds. */
  maxDurationSeconds: number;
}

export const FACEBOOK: PlatformProfile = {
  name: 'facebook',
  source:
    'Facebook Live API, "Live Video Specs" (developers.facebook.com/docs/live-video-api/guides/streaming-setup, read 2026-12)',
  keyframeInterval: { recommended: 2, max: 4 },
  requireAudio: true,
  requireVideo: true,
  videoCodecs: ['h264'],
  h264Profiles: [66, 77, 100],
  levels: [
    { maxHeight: 1080, maxFps: 30, maxLevelIdc: 41 },
    { maxHeight: 1080, maxFps: 60, maxLevelIdc: 42 },
  ],
  maxWidth: 1920,
  maxHeight: 1080,
  maxFps: 60,
  videoBitrates: [
    { maxHeight: 360, maxFps: 60, minKbps: 400, maxKbps: 1000 },
    { maxHeight: 480, maxFps: 60, minKbps: 600, maxKbps: 2000 },
    { maxHeight: 720, maxFps: 30, minKbps: 1500, maxKbps: 4000 },
    { maxHeight: 720, maxFps: 60, minKbps: 2250, maxKbps: 6000 },
    { maxHeight: 1080, maxFps: 30, minKbps: 3000, maxKbps: 6000 },
    { maxHeight: 1080, maxFps: 60, minKbps: 4500, maxKbps: 9000 },
  ],
  audioObjectTypes: [2],
  sampleRates: [44100, 48000],
  maxChannels: 2,
  audioBitrate: { recommended: 128, max: 256 },
  maxDurationSeconds: 8 * 3600,
};

export const YOUTUBE: PlatformProfile = {
  name: 'youtube',
  source:
    'YouTube Help, "Choose live encoder settings, bitrates, and resolutions" (support.google.com/youtube/answer/2853702, read 2026-12)',
  keyframeInterval: { recommended: 2, max: 4 },
  requireAudio: true,
  requireVideo: true,
  // HEVC and AV1 through Enhanced RTMP.
  videoCodecs: ['h264', 'hevc', 'av1'],
  h264Profiles: [66, 77, 100],
  levels: [
    { maxHeight: 1080, maxFps: 30, maxLevelIdc: 41 },
    { maxHeight: 1080, maxFps: 60, maxLevelIdc: 42 },
    { maxHeight: 1440, maxFps: 60, maxLevelIdc: 51 },
    { maxHeight: 2160, maxFps: 60, maxLevelIdc: 52 },
  ],
  maxWidth: 3840,
  maxHeight: 2160,
  maxFps: 60,
  videoBitrates: [
    { maxHeight: 240, maxFps: 60, minKbps: 300, maxKbps: 700 },
    { maxHeight: 360, maxFps: 60, minKbps: 400, maxKbps: 1000 },
    { maxHeight: 480, maxFps: 60, minKbps: 500, maxKbps: 2000 },
    { maxHeight: 720, maxFps: 30, minKbps: 1500, maxKbps: 4000 },
    { maxHeight: 720, maxFps: 60, minKbps: 2250, maxKbps: 6000 },
    { maxHeight: 1080, maxFps: 30, minKbps: 3000, maxKbps: 6000 },
    { maxHeight: 1080, maxFps: 60, minKbps: 4500, maxKbps: 9000 },
    { maxHeight: 1440, maxFps: 30, minKbps: 6000, maxKbps: 13000 },
    { maxHeight: 1440, maxFps: 60, minKbps: 9000, maxKbps: 18000 },
    { maxHeight: 2160, maxFps: 30, minKbps: 13000, maxKbps: 34000 },
    { maxHeight: 2160, maxFps: 60, minKbps: 20000, maxKbps: 51000 },
  ],
  audioObjectTypes: [2],
  sampleRates: [44100, 48000],
  maxChannels: 2,
  audioBitrate: { recommended: 128, max: 384 },
  // Longer broadcasts go on, but are not archived beyond 12 hours.
  maxDurationSeconds: 12 * 3600,
};

export const PLATFORM_PROFILES: Readonly<Record<string, PlatformProfile>> = { facebook: FACEBOOK, youtube: YOUTUBE };

export type ProfileName = 'facebook' | 'youtube';
