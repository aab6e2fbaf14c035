'use strict';

const fs = require('node:fs');
const path = require('node:path');

// A folder in the cache counts as complete only when its stamp exists and describes the same
// inputs; the stamp is always the last file written, so an interrupted run leaves no stamp.
const STAMP_NAME = '.node-librtmp-complete';

function readStamp(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, STAMP_NAME), 'utf8'));
  } catch {
    return null;
  }
}

function isComplete(dir, key) {
  const stamp = readStamp(dir);
  return stamp !== null && stamp.key === key;
}

function writeStamp(dir, key, details = {}) {
  const body = JSON.stringify({ key, ...details, completedAt: new Date().toISOString() }, null, 2);
  fs.writeFileSync(path.join(dir, STAMP_NAME), `${body}\n`);
}

module.exports = { isComplete, readStamp, writeStamp, STAMP_NAME };
