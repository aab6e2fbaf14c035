// Every code block of README.md and docs/ runs as written (issue 19/20): `ts`/`js` blocks are
// type-checked against the library's declarations and run, each alone as an ES module, in a
// fresh directory holding the media files the docs name, against a real nginx-rtmp with a TLS
// front. The only changes made to a block are the URLs' scheme://host:port (see
// test/helpers/doc-blocks.ts); the docs cannot rot without this failing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import ts from 'typescript';
import { makeTestPki, type TestPki } from './helpers/certs';
import { DOC_FILES, extractBlocks, projectDocs, RUNNABLE, substituteUrls, type DocBlock } from './helpers/doc-blocks';
import { AV_FLV, FIXTURES_DIR } from './helpers/fixtures';
import { startNginx, type NginxServer } from './helpers/nginx';
import { runChild } from './helpers/node-child';

const ROOT = path.resolve(FIXTURES_DIR, '..', '..');
// A block publishes a 3 s clip in real time at most, plus connects: 60 s is room for a
// loaded 2-core machine, and a block that waits forever still ends the run.
const BLOCK_TIMEOUT_MS = 60_000;
// What a user would keep in the environment rather than in code; 24 characters, like a real key.
const STREAM_KEY = 'FB-1234567890-abcdefghij';

const docs = projectDocs(ROOT);
const runnable = docs.flatMap(({ blocks }) => blocks.filter((block) => block.info in RUNNABLE));

function blockName(block: DocBlock): string {
  return `${block.file}:${block.line} (${block.info})`;
}

function blockBase(block: DocBlock): string {
  return `${block.file.replace(/[/.]/g, '_')}_${block.line}`;
}

describe('documentation code blocks', () => {
  let pki: TestPki;
  let nginx: NginxServer;
  let work: string; // node_modules/node-librtmp → the repository; media/; one directory per block
  let media: string;

  before(async () => {
    pki = await makeTestPki();
    nginx = await startNginx({
      applications: [{ name: 'live' }, { name: 'rtmp' }],
      tls: { cert: pki.server.certPath, key: pki.server.keyPath },
    });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-docs-'));
    fs.mkdirSync(path.join(work, 'node_modules'));
    fs.symlinkSync(ROOT, path.join(work, 'node_modules', 'node-librtmp'), 'dir');
    media = path.join(work, 'media');
    fs.mkdirSync(media);
    const ffmpeg = (args: string[]): Promise<unknown> =>
      runChild(['ffmpeg', '-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], { timeoutMs: 60_000 });
    const clip = path.join(media, 'clip.flv');
    await ffmpeg(['-i', AV_FLV, '-t', '3', '-c', 'copy', clip]);
    fs.copyFileSync(clip, path.join(media, 'recording.flv'));
    await ffmpeg(['-i', clip, '-an', '-c:v', 'copy', '-bsf:v', 'h264_mp4toannexb', '-f', 'h264', path.join(media, 'video.h264')]);
    await ffmpeg(['-i', clip, '-vn', '-c:a', 'copy', '-f', 'adts', path.join(media, 'audio.aac')]);
  });

  after(async () => {
    await nginx?.stop();
    pki?.remove();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('README and docs have runnable blocks, and no fence is left open', () => {
    assert.ok(docs.some(({ file }) => file === 'README.md'));
    assert.ok(docs.some(({ file }) => file === path.join('docs', 'API.md')));
    assert.ok(runnable.filter((block) => block.file === 'README.md').length >= 2, 'the quick start and the camera recipe');
  });

  test('TypeScript blocks type-check against the library', () => {
    const dir = fs.mkdtempSync(path.join(work, 'typecheck-'));
    const files = runnable
      .filter((block) => RUNNABLE[block.info] === 'ts')
      .map((block) => {
        const file = path.join(dir, `${blockBase(block)}.ts`);
        fs.writeFileSync(file, block.code);
        return { file, block };
      });
    const program = ts.createProgram(
      files.map(({ file }) => file),
      {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ES2022,
        moduleResolution: ts.ModuleResolutionKind.Node10,
        strict: true,
        noEmit: true,
        esModuleInterop: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [path.join(ROOT, 'node_modules', '@types')],
      },
    );
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = files.find(({ file }) => file === d.file?.fileName);
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : 0;
      const label = where ? `${where.block.file}:${where.block.line + 1 + line}` : (d.file?.fileName ?? '');
      return `${label}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    assert.deepEqual(problems, []);
  });

  for (const block of runnable) {
    test(`${blockName(block)} runs`, async (t) => {
      const dir = fs.mkdtempSync(path.join(work, `${blockBase(block)}-`));
      for (const name of DOC_FILES) fs.copyFileSync(path.join(media, name), path.join(dir, name));
      let code = substituteUrls(block.code, { rtmpPort: nginx.port, tlsPort: nginx.tlsPort });
      if (RUNNABLE[block.info] === 'ts') {
        code = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
      }
      const script = path.join(dir, 'block.mjs');
      fs.writeFileSync(script, code);
      // The test CA reaches the block only through the environment, as a user's private CA would.
      const { stdout, stderr } = await runChild([process.execPath, script], {
        cwd: dir,
        env: { STREAM_KEY, NODE_EXTRA_CA_CERTS: pki.ca.certPath },
        timeoutMs: BLOCK_TIMEOUT_MS,
        signal: t.signal,
        name: blockName(block),
      });
      t.diagnostic(`${stdout}${stderr}`.trim().split('\n').slice(0, 5).join(' | '));
    });
  }
});

describe('doc block extraction and substitution', () => {
  test('fences, info strings and lines', () => {
    const md = ['# t', '```ts', "const a = 'x';", '```', 'text', '  ~~~~sh', '  echo hi', '  ~~~~', '```', 'plain', '```'].join('\n');
    const blocks = extractBlocks(md, 'x.md');
    assert.deepEqual(
      blocks.map((b) => [b.line, b.info, b.code]),
      [
        [2, 'ts', "const a = 'x';\n"],
        [6, 'sh', 'echo hi\n'],
        [9, '', 'plain\n'],
      ],
    );
    assert.throws(() => extractBlocks('```js\nnever closed', 'y.md'), /y\.md:1: code fence never closed/);
  });

  test('only scheme://host:port of the documented hosts changes', () => {
    const servers = { rtmpPort: 1111, tlsPort: 2222 };
    assert.equal(substituteUrls("'rtmp://127.0.0.1/live/cam1'", servers), "'rtmp://127.0.0.1:1111/live/cam1'");
    assert.equal(substituteUrls('`rtmp://localhost:1935/live/x`', servers), '`rtmp://127.0.0.1:1111/live/x`');
    assert.equal(
      substituteUrls('`rtmps://live-api-s.facebook.com:443/rtmp/${streamKey}`', servers),
      '`rtmps://localhost:2222/rtmp/${streamKey}`',
    );
    assert.equal(substituteUrls("'rtmp://example.com/live/x'", servers), "'rtmp://example.com/live/x'");
    assert.equal(substituteUrls("'rtmps://localhost/live/x'", { rtmpPort: 1111 }), "'rtmp://127.0.0.1:1111/live/x'");
  });
});
