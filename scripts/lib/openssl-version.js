'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { DepsError } = require('./errors');

/**
 * Version facts from an OpenSSL 1.1.x include folder's openssl/opensslv.h:
 * { text: 'OpenSSL 1.1.1w  11 Sep 2023', version: '1.1.1w', number: '0x1010117fL' }.
 */
function readOpensslVersion(includeDir) {
  const header = path.join(includeDir, 'openssl', 'opensslv.h');
  let text;
  try {
    text = fs.readFileSync(header, 'utf8');
  } catch {
    throw new DepsError(`${header} not found`);
  }
  const number = /#\s*define\s+OPENSSL_VERSION_NUMBER\s+(0x[0-9A-Fa-f]+L?)/.exec(text);
  const versionText = /#\s*define\s+OPENSSL_VERSION_TEXT\s+"([^"]*)"/.exec(text);
  if (!number || !versionText) {
    throw new DepsError(`${header} does not define OPENSSL_VERSION_NUMBER/OPENSSL_VERSION_TEXT`);
  }
  const version = /^OpenSSL\s+(\S+)/.exec(versionText[1]);
  return { text: versionText[1], version: version ? version[1] : null, number: number[1] };
}

module.exports = { readOpensslVersion };
