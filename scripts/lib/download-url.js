'use strict';

const fs = require('node:fs');
const { Readable } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const { DepsError } = require('./errors');

const TIMEOUT_MS = 10 * 60 * 1000;

// Downloads `url` to `file` with Node's own fetch (Node >= 18); no shell tools involved.
async function downloadUrl(url, file) {
  if (typeof fetch !== 'function') {
    throw new DepsError('this Node.js has no fetch(); Node >= 18 is required for URL downloads');
  }
  let response;
  try {
    response = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    throw new DepsError(`download of ${url} failed: ${error.cause?.message || error.message}`);
  }
  if (!response.ok || !response.body) {
    const status = `HTTP ${response.status} ${response.statusText}`;
    throw new DepsError(`download of ${url} failed: ${status}`);
  }
  await pipeline(Readable.fromWeb(response.body), fs.createWriteStream(file));
}

module.exports = { downloadUrl };
