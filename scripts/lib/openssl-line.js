'use strict';

// Which OpenSSL line the addon is built on: NODE_LIBRTMP_OPENSSL=1.1.1 (the default) or 3.5
// (the 3.5 LTS from Debian trixie). Each line has its own pinned sources in scripts/deps.json;
// the per-dependency overrides (NODE_LIBRTMP_OPENSSL_VERSION/_SHA256/_TARBALL/_DIR/_URL,
// NODE_LIBRTMP_OPENSSL_DEBIAN_*) keep their names and apply to the selected line.

const { DepsError } = require('./errors');

const LINE_VAR_NAME = 'NODE_LIBRTMP_OPENSSL';
const DEFAULT_LINE = '1.1.1';

// Line -> the deps.json entries standing for "openssl" and "openssl_debian" on it.
const LINES = {
  '1.1.1': { openssl: 'openssl', openssl_debian: 'openssl_debian' },
  '3.5': { openssl: 'openssl35', openssl_debian: 'openssl35_debian' },
};
const ALIASES = { '1.1': '1.1.1', 1: '1.1.1', 3: '3.5' };

/** The selected line ('1.1.1' or '3.5'); throws DepsError for a value that names neither. */
function opensslLine(env = process.env) {
  const raw = (env[LINE_VAR_NAME] || '').trim();
  if (raw === '') return DEFAULT_LINE;
  const line = ALIASES[raw] || raw;
  if (!LINES[line]) {
    throw new DepsError(`${LINE_VAR_NAME}="${raw}" is not an OpenSSL line this package builds ` +
      `(known: ${Object.keys(LINES).join(', ')})`);
  }
  return line;
}

/** The deps.json entry for dependency `name` on the selected line (other names map to themselves). */
function manifestKey(name, env = process.env) {
  return LINES[opensslLine(env)][name] || name;
}

/** deps.json entries that stand in for another name on a line other than the default. */
function lineOnlyKeys() {
  const keys = new Set();
  for (const [line, map] of Object.entries(LINES)) {
    if (line === DEFAULT_LINE) continue;
    for (const [name, key] of Object.entries(map)) if (key !== name) keys.add(key);
  }
  return keys;
}

module.exports = { LINE_VAR_NAME, DEFAULT_LINE, LINES, opensslLine, manifestKey, lineOnlyKeys };
