// The fenced code blocks of the project's Markdown (README.md, docs/*.md), and the two
// substitutions that let them run against the test servers: URLs and nothing else (files are
// provided under the names the blocks use). The convention is written in docs/BUILDING.md.
import fs from 'node:fs';
import path from 'node:path';

export type BlockLanguage = 'ts' | 'js';

export interface DocBlock {
  /** Path relative to the repository root, and the 1-based line of the opening fence. */
  file: string;
  line: number;
  /** The info string's first word, as written (ts, js, mjs, sh, text, …). */
  info: string;
  code: string;
}

/** Languages that run; everything else (sh, text, console, json, …) is shown, not run. */
export const RUNNABLE: Record<string, BlockLanguage> = { ts: 'ts', typescript: 'ts', js: 'js', mjs: 'js', javascript: 'js' };

/** Fenced blocks (``` or ~~~, indented up to 3 spaces as Markdown allows) of one Markdown text. */
export function extractBlocks(text: string, file: string): DocBlock[] {
  const lines = text.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, info] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).exec(lines[j]);
      if (close) break;
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart());
    }
    if (j === lines.length) throw new Error(`${file}:${i + 1}: code fence never closed`);
    blocks.push({ file, line: i + 1, info: info.toLowerCase(), code: body.join('\n') + '\n' });
    i = j;
  }
  return blocks;
}

/** README.md and every docs/**\/*.md, with their blocks. */
export function projectDocs(root: string): { file: string; blocks: DocBlock[] }[] {
  const files = ['README.md'];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.md')) files.push(rel);
    }
  };
  walk('docs');
  return files.sort().map((file) => ({ file, blocks: extractBlocks(fs.readFileSync(path.join(root, file), 'utf8'), file) }));
}

export interface TestServers {
  /** The test nginx's RTMP port. */
  rtmpPort: number;
  /** Its TLS front, whose certificate names localhost; without it rtmps:// URLs go to rtmpPort over plain RTMP. */
  tlsPort?: number;
}

/**
 * The URL substitution: only the scheme://host[:port] part of the documented URLs changes.
 * rtmp://127.0.0.1 or localhost → the test nginx; rtmps:// to Facebook's ingest, 127.0.0.1 or
 * localhost → its TLS front on localhost. The path (app, stream name, key) stays as written.
 */
export function substituteUrls(code: string, servers: TestServers): string {
  const tls = servers.tlsPort === undefined ? `rtmp://127.0.0.1:${servers.rtmpPort}/` : `rtmps://localhost:${servers.tlsPort}/`;
  return code
    .replace(/rtmp:\/\/(?:127\.0\.0\.1|localhost)(?::\d+)?\//g, `rtmp://127.0.0.1:${servers.rtmpPort}/`)
    .replace(/rtmps:\/\/(?:live-api-s\.facebook\.com|127\.0\.0\.1|localhost)(?::\d+)?\//g, tls);
}

/** The files a block may use by these names, in its working directory. */
export const DOC_FILES = ['clip.flv', 'recording.flv', 'video.h264', 'audio.aac'] as const;
