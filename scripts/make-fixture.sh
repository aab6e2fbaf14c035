#!/bin/sh
# Makes test/fixtures/av.flv (H.264 + AAC, ~10 s) from FFmpeg's synthetic sources and
# writes test/fixtures/av.json with what ffprobe measures in it, so tests compare
# against measured facts rather than against the numbers asked of the encoder.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
out_dir="$here/test/fixtures"
flv="$out_dir/av.flv"
json="$out_dir/av.json"
seconds=10
fps=25

mkdir -p "$out_dir"

# bitexact flags and one thread keep the output the same from run to run on one
# FFmpeg version; keyint = fps gives a keyframe every second.
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=size=320x240:rate=$fps:duration=$seconds" \
  -f lavfi -i "sine=frequency=440:sample_rate=44100:duration=$seconds" \
  -map 0:v -map 1:a \
  -c:v libx264 -profile:v baseline -preset veryfast -pix_fmt yuv420p \
  -g "$fps" -keyint_min "$fps" -sc_threshold 0 -b:v 300k -maxrate 300k -bufsize 300k \
  -x264-params threads=1 -threads 1 \
  -c:a aac -ar 44100 -ac 2 -b:a 64k \
  -fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1 \
  -f flv "$flv"

# Count what is really in the file: decoded frames per stream and the duration.
probe=$(ffprobe -v error -count_frames -show_streams -show_format -of json "$flv")
keyframes=$(ffprobe -v error -select_streams v -show_entries packet=flags -of csv=p=0 "$flv" | grep -c K)

node -e '
const probe = JSON.parse(process.argv[1]);
const video = probe.streams.find((s) => s.codec_type === "video");
const audio = probe.streams.find((s) => s.codec_type === "audio");
const facts = {
  file: "av.flv",
  bytes: Number(probe.format.size),
  durationSeconds: Number(probe.format.duration),
  video: {
    codec: video.codec_name,
    profile: video.profile,
    width: video.width,
    height: video.height,
    frameRate: video.r_frame_rate,
    frames: Number(video.nb_read_frames),
    keyframes: Number(process.argv[2]),
  },
  audio: {
    codec: audio.codec_name,
    sampleRate: Number(audio.sample_rate),
    channels: audio.channels,
    frames: Number(audio.nb_read_frames),
  },
};
process.stdout.write(JSON.stringify(facts, null, 2) + "\n");
' "$probe" "$keyframes" > "$json"

cat "$json"
