'use strict';
// The benchmark's FLV files, made with ffmpeg and cached in bench/out/ (never committed):
// a 30 s 720p30 H.264 + AAC clip encoded once, and the large file as that clip repeated with
// `-c copy` (the concat demuxer keeps the timestamps running), so that generation stays short.
// Noise in the picture keeps the encoder at its bitrate, as a camera's real picture would.

const fs = require('node:fs');
const path = require('node:path');
const { run } = require('../../scripts/lib/run');

const AUDIO_KBPS = 128;

function log(message) {
  process.stderr.write(`bench: ${message}\n`);
}

// Writes `file` through `make(tempFile)` unless it already exists.
async function cached(file, make) {
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.tmp-${process.pid}.flv`;
  try {
    await make(temp);
    fs.renameSync(temp, file);
  } finally {
    fs.rmSync(temp, { force: true });
  }
  return file;
}

/** A clip of `seconds` at about `kbps` in total (video + 128 kbit/s AAC). */
function clip(outDir, { seconds, kbps }) {
  const videoKbps = Math.max(100, kbps - AUDIO_KBPS);
  const file = path.join(outDir, `clip-720p30-${kbps}k-${seconds}s.flv`);
  return cached(file, async (temp) => {
    log(`encoding ${path.basename(file)} with ffmpeg`);
    await run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=30,noise=alls=12:allf=t`,
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', String(seconds), '-map', '0:v', '-map', '1:a',
      // A keyframe every 2 s, constant bitrate: what cameras send.
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
      '-g', '60', '-keyint_min', '60', '-sc_threshold', '0',
      '-b:v', `${videoKbps}k`, '-maxrate', `${videoKbps}k`, '-bufsize', `${videoKbps}k`,
      '-c:a', 'aac', '-b:a', `${AUDIO_KBPS}k`, '-ac', '2',
      '-f', 'flv', temp,
    ]);
  });
}

/** The flat-out file: the 6 Mbit/s clip repeated to about `sizeMB` (2^20 bytes). */
async function benchFile(outDir, sizeMB) {
  const source = await clip(outDir, { seconds: 30, kbps: 6000 });
  const repeats = Math.max(1, Math.round((sizeMB * 2 ** 20) / fs.statSync(source).size));
  const file = path.join(outDir, `bench-${path.basename(source, '.flv')}-x${repeats}.flv`);
  await cached(file, async (temp) => {
    log(`concatenating ${repeats} copies into ${path.basename(file)}`);
    const list = `${temp}.txt`;
    fs.writeFileSync(list, `file '${source.replace(/'/g, "'\\''")}'\n`.repeat(repeats));
    try {
      await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', '-f', 'flv', temp]);
    } finally {
      fs.rmSync(list, { force: true });
    }
  });
  return { file, clip: source };
}

module.exports = { benchFile, clip };
