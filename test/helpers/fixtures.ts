// Paths to the committed media fixture and the facts ffprobe measured in it
// (written by scripts/make-fixture.sh).
import fs from 'node:fs';
import path from 'node:path';

export interface AvFacts {
  file: string;
  bytes: number;
  durationSeconds: number;
  video: {
    codec: string;
    profile: string;
    width: number;
    height: number;
    frameRate: string;
    frames: number;
    keyframes: number;
  };
  audio: { codec: string; sampleRate: number; channels: number; frames: number };
}

// Tests run compiled from dist/test/…, sources live in test/…: find the repo root either way.
function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

export const FIXTURES_DIR = path.join(repoRoot(), 'test', 'fixtures');

export function fixturePath(name: string): string {
  return path.join(FIXTURES_DIR, name);
}

/** test/fixtures/av.flv: ~10 s of H.264 + AAC. */
export const AV_FLV = fixturePath('av.flv');

export const avFacts: AvFacts = JSON.parse(
  fs.readFileSync(fixturePath('av.json'), 'utf8'),
) as AvFacts;
