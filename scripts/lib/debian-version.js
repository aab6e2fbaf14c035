'use strict';

// Debian version ordering, as dpkg defines it (deb-version(7)): [epoch:]upstream[-revision],
// each part compared by alternating runs of non-digits (letters before other characters, `~`
// before anything, even the end) and of digits (as numbers).

function parseVersion(version) {
  const colon = version.indexOf(':');
  const epoch = colon >= 0 ? Number(version.slice(0, colon)) : 0;
  const rest = colon >= 0 ? version.slice(colon + 1) : version;
  const dash = rest.lastIndexOf('-');
  return {
    epoch: Number.isInteger(epoch) ? epoch : 0,
    upstream: dash >= 0 ? rest.slice(0, dash) : rest,
    revision: dash >= 0 ? rest.slice(dash + 1) : '',
  };
}

const isDigit = (c) => c >= '0' && c <= '9';
const isLetter = (c) => /^[A-Za-z]$/.test(c);

// The weight of one character in a non-digit run; '' is the end of the string.
function order(c) {
  if (c === '' || isDigit(c)) return 0;
  if (isLetter(c)) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

// dpkg's verrevcmp.
function comparePart(a, b) {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(a[i] ?? '');
      const bc = order(b[j] ?? '');
      if (ac !== bc) return ac - bc;
      i += 1;
      j += 1;
    }
    while (a[i] === '0') i += 1;
    while (b[j] === '0') j += 1;
    let firstDiff = 0;
    while (i < a.length && j < b.length && isDigit(a[i]) && isDigit(b[j])) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i += 1;
      j += 1;
    }
    if (i < a.length && isDigit(a[i])) return 1;
    if (j < b.length && isDigit(b[j])) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

/** < 0, 0 or > 0 as Debian version `a` sorts before, with or after `b`. */
function compareDebianVersions(a, b) {
  const va = parseVersion(a);
  const vb = parseVersion(b);
  if (va.epoch !== vb.epoch) return va.epoch - vb.epoch;
  return comparePart(va.upstream, vb.upstream) || comparePart(va.revision, vb.revision);
}

module.exports = { compareDebianVersions, parseVersion };
