'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { DepsError } = require('./errors');

// 0xMNN00PP0L, the layout OpenSSL 3 synthesises OPENSSL_VERSION_NUMBER with.
function openssl3Number(major, minor, patch) {
  const hex = ((major << 28) | (minor << 20) | (patch << 4)) >>> 0;
  return `0x${hex.toString(16).padStart(8, '0')}L`;
}

// An OpenSSL 3 source tree has no opensslv.h (it is generated from opensslv.h.in): its version
// is in VERSION.dat next to include/.
function fromVersionDat(includeDir) {
  const file = path.join(includeDir, '..', 'VERSION.dat');
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const field = (name) => {
    const match = new RegExp(`^${name}=(.*)$`, 'm').exec(text);
    return match ? match[1].trim().replace(/^"(.*)"$/, '$1') : '';
  };
  const [major, minor, patch] = ['MAJOR', 'MINOR', 'PATCH'].map((name) => Number(field(name)));
  if (![major, minor, patch].every(Number.isInteger)) {
    throw new DepsError(`${file} does not define MAJOR, MINOR and PATCH`);
  }
  const tag = field('PRE_RELEASE_TAG');
  const version = `${major}.${minor}.${patch}${tag ? `-${tag}` : ''}`;
  return {
    text: `OpenSSL ${version} ${field('RELEASE_DATE')}`.trim(),
    version,
    number: openssl3Number(major, minor, patch),
  };
}

/**
 * Version facts from an OpenSSL include folder's openssl/opensslv.h (1.1.1: literal number;
 * 3.x: generated, the number built from the major/minor/patch defines), or from an OpenSSL 3
 * source tree's VERSION.dat: { text: 'OpenSSL 1.1.1w  11 Sep 2023', version: '1.1.1w',
 * number: '0x1010117fL' }.
 */
function readOpensslVersion(includeDir) {
  const header = path.join(includeDir, 'openssl', 'opensslv.h');
  let text;
  try {
    text = fs.readFileSync(header, 'utf8');
  } catch {
    const dat = fromVersionDat(includeDir);
    if (dat) return dat;
    throw new DepsError(`${header} not found`);
  }
  const define = (name, pattern) =>
    new RegExp(`#\\s*define\\s+${name}\\s+${pattern}`).exec(text);
  const versionText = define('OPENSSL_VERSION_TEXT', '"([^"]*)"');
  const literal = define('OPENSSL_VERSION_NUMBER', '(0x[0-9A-Fa-f]+L?)');
  const parts = ['MAJOR', 'MINOR', 'PATCH'].map((part) => define(`OPENSSL_VERSION_${part}`, '(\\d+)'));
  let number = literal ? literal[1] : null;
  if (!number && parts.every(Boolean)) number = openssl3Number(...parts.map((m) => Number(m[1])));
  if (!number || !versionText) {
    throw new DepsError(`${header} does not define OPENSSL_VERSION_NUMBER/OPENSSL_VERSION_TEXT`);
  }
  const version = /^OpenSSL\s+(\S+)/.exec(versionText[1]);
  return { text: versionText[1], version: version ? version[1] : null, number };
}

module.exports = { readOpensslVersion };
