'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const { DepsError } = require('./errors');

// Streams the file so that a 10 MB tarball is not held in memory.
function sha256File(file) {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash('sha256');
    fs.createReadStream(file)
      .on('error', reject)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')));
  });
}

async function verifySha256(file, expected) {
  const actual = await sha256File(file);
  if (actual !== expected.toLowerCase()) {
    throw new DepsError(
      `checksum mismatch for ${file}: expected sha256 ${expected.toLowerCase()}, got ${actual}`,
    );
  }
  return actual;
}

// Short, stable identifier for cache folder names: a hash over ordered parts.
function shortHash(parts) {
  const hash = crypto.createHash('sha256');
  for (const part of parts) {
    const bytes = Buffer.isBuffer(part) ? part : Buffer.from(String(part));
    // Length prefix so that ['ab', 'c'] and ['a', 'bc'] differ.
    hash.update(`${bytes.length}:`);
    hash.update(bytes);
  }
  return hash.digest('hex').slice(0, 12);
}

module.exports = { sha256File, verifySha256, shortHash };
