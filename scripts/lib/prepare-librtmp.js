'use strict';

// librtmp as compiled into the addon: the pinned rtmpdump tree with every native/patches/*.patch
// applied in name order, in its own cache folder keyed by the source and the patch contents.

const fs = require('node:fs');
const path = require('node:path');
const { buildDirAtomically } = require('./atomic-place');
const { REPO_ROOT } = require('./cache-dir');
const { DepsError } = require('./errors');
const { extractInto, findTopFolder } = require('./extract');
const { shortHash } = require('./hashing');
const { log, formatSeconds } = require('./log');
const { findExecutable, run } = require('./run');
const { fingerprintTree } = require('./tree-fingerprint');

const DEFAULT_PATCHES_DIR = path.join(REPO_ROOT, 'native', 'patches');

function listPatches(patchesDir) {
  let names = [];
  try {
    names = fs.readdirSync(patchesDir).filter((name) => name.endsWith('.patch'));
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
  // Plain code-point order, so "0002-x" < "0010-y" < "a" regardless of locale.
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.map((name) => {
    const file = path.join(patchesDir, name);
    return { name, file, content: fs.readFileSync(file) };
  });
}

function patchTool() {
  if (findExecutable('patch')) return 'patch';
  if (findExecutable('git')) return 'git';
  return null;
}

async function applyPatch(tool, patch, topDir, logFile) {
  if (tool === 'patch') {
    await run('patch', ['-p1', '--forward', '--batch', '-i', patch.file], { cwd: topDir, logFile });
    return;
  }
  // Without a ceiling, git would look for a repository above the cache folder and apply the
  // paths relative to that repository instead of to this tree.
  const env = { ...process.env, GIT_CEILING_DIRECTORIES: path.dirname(topDir) };
  delete env.GIT_DIR;
  delete env.GIT_WORK_TREE;
  await run('git', ['apply', '-p1', patch.file], { cwd: topDir, env, logFile });
}

/**
 * `source` is a fetch-source result for librtmp. Returns { topDir, librtmpDir, reused }, where
 * librtmpDir is the tree's librtmp/ folder (what CMake compiles).
 */
async function prepareLibrtmp(source, { cacheDir, patchesDir = DEFAULT_PATCHES_DIR }) {
  const { dep } = source;
  const patches = listPatches(patchesDir);
  const sourceId = source.kind === 'dir' ? `dir:${fingerprintTree(source.path)}` : dep.sha256;
  const key = shortHash([
    'librtmp',
    sourceId,
    ...patches.flatMap((patch) => [patch.name, patch.content]),
  ]);
  const finalDir = path.join(cacheDir, `librtmp-${dep.version}-${key}`);
  const tool = patches.length > 0 ? patchTool() : null;
  if (patches.length > 0 && !tool) {
    throw new DepsError('applying the librtmp patches needs `patch` or `git`; neither was found');
  }

  const started = Date.now();
  const reused = await buildDirAtomically(
    finalDir,
    key,
    async (workDir) => {
      if (source.kind === 'dir') {
        fs.cpSync(source.path, path.join(workDir, dep.topFolder), { recursive: true });
      } else {
        await extractInto(source.path, workDir);
      }
      const topDir = findTopFolder(workDir, dep.topFolder);
      const logFile = path.join(workDir, 'patch.log');
      for (const patch of patches) {
        log(`applying ${patch.name}`);
        await applyPatch(tool, patch, topDir, logFile);
      }
    },
    { source: source.path, patches: patches.map((patch) => patch.name) },
  );
  const topDir = findTopFolder(finalDir, dep.topFolder);
  const librtmpDir = path.join(topDir, 'librtmp');
  if (!fs.existsSync(path.join(librtmpDir, 'rtmp.c'))) {
    throw new DepsError(`${librtmpDir} has no rtmp.c: not a librtmp source tree`);
  }
  if (reused) {
    log(`librtmp: reusing ${finalDir}`);
  } else {
    log(`librtmp: prepared ${finalDir} (${patches.length} patches) in ${formatSeconds(started)}`);
  }
  return { topDir, librtmpDir, reused, patches: patches.map((patch) => patch.name) };
}

module.exports = { prepareLibrtmp, listPatches };
