'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const { isComplete, writeStamp } = require('./stamp');

// A working name next to the final one (same file system, so the final rename is atomic).
function tempSiblingOf(finalDir) {
  return `${finalDir}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
}

function removeDir(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Moves a finished working folder to its final name. If another process won the race and its
 * folder is complete for the same key, ours is dropped; an incomplete leftover is replaced.
 */
function publishDir(workDir, finalDir, key) {
  try {
    fs.renameSync(workDir, finalDir);
    return;
  } catch (error) {
    if (!['EEXIST', 'ENOTEMPTY', 'EISDIR'].includes(error.code)) throw error;
  }
  if (isComplete(finalDir, key)) {
    removeDir(workDir);
    return;
  }
  removeDir(finalDir);
  fs.renameSync(workDir, finalDir);
}

// Copies a file into the cache under its final name without ever exposing a partial file.
function installFile(source, finalFile) {
  const temp = tempSiblingOf(finalFile);
  try {
    fs.copyFileSync(source, temp);
    fs.renameSync(temp, finalFile);
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/**
 * Produces `finalDir` unless it is already complete for `key`: `fill(workDir)` populates a fresh
 * working folder, the stamp is written last, then the folder is renamed into place. A failure
 * leaves nothing behind under the final name. Returns true when an existing folder was reused.
 */
async function buildDirAtomically(finalDir, key, fill, stampDetails = {}) {
  if (isComplete(finalDir, key)) return true;
  const workDir = tempSiblingOf(finalDir);
  fs.mkdirSync(workDir, { recursive: true });
  try {
    await fill(workDir);
    writeStamp(workDir, key, stampDetails);
    publishDir(workDir, finalDir, key);
  } catch (error) {
    removeDir(workDir);
    throw error;
  }
  return false;
}

module.exports = { tempSiblingOf, publishDir, removeDir, installFile, buildDirAtomically };
