'use strict';

// Progress lines for the dependency pipeline. They go to stderr so that stdout stays free for
// machine-readable output (e.g. `fetch-source.js --print-path`).

const PREFIX = 'node-librtmp:';

function log(message) {
  process.stderr.write(`${PREFIX} ${message}\n`);
}

function formatSeconds(startMs) {
  return `${((Date.now() - startMs) / 1000).toFixed(1)} s`;
}

// For entry points: a DepsError's message is complete on its own; anything else is a bug in
// these scripts, so its stack is shown.
function reportError(error) {
  const isDepsError = Boolean(error) && error.name === 'DepsError';
  const text = isDepsError ? error.message : (error && error.stack) || String(error);
  process.stderr.write(`${PREFIX} error: ${text}\n`);
}

module.exports = { log, formatSeconds, reportError, PREFIX };
