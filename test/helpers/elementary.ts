// Raw elementary streams as a camera's encoder would hand them over: an H.264 Annex-B
// stream (.h264) and an AAC ADTS stream (.adts) made by ffmpeg from lavfi sources, split
// here into access units and ADTS frames independently of lib/media.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

type VideoTimes = { pts: number; dts: number; key: boolean }[];

// ffmpeg, quiet, bounded in time.
async function ffmpeg(args: string[]): Promise<void> {
  await run('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], { timeout: 60000 });
}

const testPattern = (seconds: number): string[] => ['-f', 'lavfi', '-i', `testsrc2=size=320x180:rate=25:duration=${seconds}`];

// Encodes the test pattern into `mp4` (whose packets give each unit's times and key flag),
// then copies the video out as the raw stream `format`.
async function encodeVideo(seconds: number, encoder: string[], mp4: string, format: string, out: string): Promise<VideoTimes> {
  await ffmpeg([...testPattern(seconds), ...encoder, '-pix_fmt', 'yuv420p', mp4]);
  await ffmpeg(['-i', mp4, '-c', 'copy', '-f', format, out]);
  return packetTimes(mp4);
}

export interface ElementaryStreams {
  h264: string;
  adts: string;
  /** Per access unit in decoding order, milliseconds (dts may be negative with B-frames). */
  videoTimes: { pts: number; dts: number }[];
  frameRate: number;
  sampleRate: number;
  width: number;
  height: number;
}

/**
 * `seconds` of 320x180 25 fps H.264 (High, B-frames, AUD on, GOP 1 s) and 44.1 kHz stereo
 * AAC. The video goes through MP4 first: its packets give each access unit's pts and dts.
 */
export async function makeElementaryStreams(dir: string, seconds = 4): Promise<ElementaryStreams> {
  const mp4 = path.join(dir, 'video.mp4');
  const h264 = path.join(dir, 'video.h264');
  const adts = path.join(dir, 'audio.adts');
  await ffmpeg([
    ...testPattern(seconds),
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`,
    '-map', '0:v', '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-bf', '2',
    '-g', '25', '-pix_fmt', 'yuv420p', '-x264-params', 'aud=1', '-threads', '2', mp4,
    '-map', '1:a', '-c:a', 'aac', '-ac', '2', '-b:a', '64k', '-f', 'adts', adts,
  ]);
  // Stream copy to Annex-B: the same access units, in the same order, with start codes.
  await ffmpeg(['-i', mp4, '-c', 'copy', '-f', 'h264', h264]);
  const videoTimes = await packetTimes(mp4);
  return { h264, adts, videoTimes, frameRate: 25, sampleRate: 44100, width: 320, height: 180 };
}

// Start code positions: [where the start code begins, where its NAL unit begins].
function startCodes(data: Buffer): [number, number][] {
  const found: [number, number][] = [];
  for (let i = 0; i + 2 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      const codeAt = i > 0 && data[i - 1] === 0 ? i - 1 : i;
      found.push([codeAt, i + 3]);
      i += 2;
    }
  }
  return found;
}

/**
 * Access units of an Annex-B stream (H.264 7.4.1.2.3, HEVC 7.4.2.4.4): a new one begins at
 * an AUD, parameter set or prefix SEI, or at the first slice of a picture, once the current
 * one has a slice.
 */
export function splitAccessUnits(data: Buffer, codec: 'h264' | 'hevc' = 'h264'): Buffer[] {
  const units: Buffer[] = [];
  let unitStart = 0;
  let hasSlice = false;
  for (const [codeAt, nalAt] of startCodes(data)) {
    let isSlice: boolean;
    let startsUnit: boolean;
    if (codec === 'h264') {
      const type = data[nalAt] & 0x1f;
      isSlice = type >= 1 && type <= 5;
      // first_mb_in_slice is ue(v): a leading '1' bit codes 0.
      startsUnit = (type >= 6 && type <= 9) || (isSlice && (data[nalAt + 1] & 0x80) !== 0);
    } else {
      const type = (data[nalAt] >>> 1) & 0x3f;
      isSlice = type < 32;
      // first_slice_segment_in_pic_flag opens the slice header after the 2-byte NAL header.
      startsUnit = (type >= 32 && type <= 35) || type === 39 || (isSlice && (data[nalAt + 2] & 0x80) !== 0);
    }
    if (hasSlice && startsUnit) {
      units.push(data.subarray(unitStart, codeAt));
      unitStart = codeAt;
      hasSlice = false;
    }
    if (isSlice) hasSlice = true;
  }
  units.push(data.subarray(unitStart));
  return units;
}

/**
 * `seconds` of 320x180 25 fps Annex-B video made by `encoder` (ffmpeg arguments), with each
 * access unit's times and key flag: for streams shaped a particular way (slices, no AUDs).
 */
export async function makeAnnexBStream(dir: string, name: string, codec: 'h264' | 'hevc', encoder: string[], seconds = 2): Promise<{ file: string; videoTimes: VideoTimes }> {
  const file = path.join(dir, `${name}.${codec}`);
  return { file, videoTimes: await encodeVideo(seconds, encoder, path.join(dir, `${name}.mp4`), codec, file) };
}

/** `seconds` of 320x180 25 fps HEVC (x265, B-frames) as Annex-B, with each unit's times. */
export async function makeHevcStream(dir: string, seconds = 2): Promise<{ hevc: string; videoTimes: VideoTimes }> {
  const hevc = path.join(dir, 'video.hevc');
  const encoder = ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error:keyint=25:bframes=2:pools=2', '-tag:v', 'hvc1'];
  return { hevc, videoTimes: await encodeVideo(seconds, encoder, path.join(dir, 'hevc.mp4'), 'hevc', hevc) };
}

/**
 * `seconds` of 320x180 25 fps AV1 (libaom, GOP 1 s) as an MP4 (for its av1C) and as a
 * low-overhead OBU stream (`-f obu`: a temporal delimiter opens each temporal unit).
 */
export async function makeAv1Stream(dir: string, seconds = 2): Promise<{ obu: string; mp4: string; videoTimes: VideoTimes }> {
  const mp4 = path.join(dir, 'av1.mp4');
  const obu = path.join(dir, 'video.obu');
  const encoder = ['-c:v', 'libaom-av1', '-cpu-used', '8', '-g', '25', '-threads', '2'];
  return { obu, mp4, videoTimes: await encodeVideo(seconds, encoder, mp4, 'obu', obu) };
}

/** Temporal units of a low-overhead OBU stream: each begins at a temporal delimiter OBU. */
export function splitTemporalUnits(data: Buffer): Buffer[] {
  const units: Buffer[] = [];
  let unitStart = -1;
  let offset = 0;
  while (offset < data.length) {
    const type = (data[offset] >>> 3) & 0x0f;
    const sizeAt = offset + 1 + (data[offset] & 0x04 ? 1 : 0);
    let size = 0;
    let next = sizeAt;
    for (let i = 0; ; i++, next++) {
      size += (data[next] & 0x7f) * 2 ** (7 * i);
      if ((data[next] & 0x80) === 0) break;
    }
    if (type === 2) {
      if (unitStart >= 0) units.push(data.subarray(unitStart, offset));
      unitStart = offset;
    }
    offset = next + 1 + size;
  }
  if (unitStart >= 0) units.push(data.subarray(unitStart));
  return units;
}

async function packetTimes(file: string): Promise<VideoTimes> {
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=pts_time,dts_time,flags', '-of', 'json', file],
    { timeout: 60000 },
  );
  const packets = (JSON.parse(stdout) as { packets: { pts_time: string; dts_time: string; flags: string }[] }).packets;
  return packets.map((p) => ({
    pts: Math.round(Number(p.pts_time) * 1000),
    dts: Math.round(Number(p.dts_time) * 1000),
    key: p.flags.includes('K'),
  }));
}

/** ADTS frames, each with its header, by the 13-bit frame length. */
export function splitAdtsFrames(data: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 0; at + 7 <= data.length; ) {
    const length = ((data[at + 3] & 0x03) << 11) | (data[at + 4] << 3) | (data[at + 5] >>> 5);
    if (data[at] !== 0xff || length < 7) throw new Error(`not an ADTS frame at byte ${at}`);
    frames.push(data.subarray(at, at + length));
    at += length;
  }
  return frames;
}

export function readStreams(streams: ElementaryStreams): { units: Buffer[]; adtsFrames: Buffer[] } {
  return {
    units: splitAccessUnits(fs.readFileSync(streams.h264)),
    adtsFrames: splitAdtsFrames(fs.readFileSync(streams.adts)),
  };
}
