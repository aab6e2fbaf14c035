'use strict';

// Reads the machine's APT source entries (one-line `.list` and deb822 `.sources` formats) and
// derives the `deb-src` entries our private APT configuration needs. Pure parsing; no I/O except
// in readConfiguredEntries().

const fs = require('node:fs');
const path = require('node:path');

// apt itself ignores files in sources.list.d whose names do not look like this.
const PART_NAME = /^[A-Za-z0-9_.-]+\.(list|sources)$/;

function parseOptions(text) {
  const options = {};
  for (const item of text.trim().split(/\s+/).filter(Boolean)) {
    const match = /^([A-Za-z-]+)([+-]?=)(.*)$/.exec(item);
    if (match && match[2] === '=') options[match[1].toLowerCase()] = match[3];
  }
  return options;
}

/** Entries of a one-line-format file (`deb [opts] uri suite [component...]`). */
function parseOneLineList(text, file = '') {
  const entries = [];
  for (const rawLine of text.split('\n')) {
    let line = rawLine.replace(/#.*$/, '').trim();
    if (!line) continue;
    const typeMatch = /^(deb|deb-src)\s+/.exec(line);
    if (!typeMatch) continue;
    line = line.slice(typeMatch[0].length);
    let options = {};
    if (line.startsWith('[')) {
      const end = line.indexOf(']');
      if (end < 0) continue;
      options = parseOptions(line.slice(1, end));
      line = line.slice(end + 1).trim();
    }
    const [uri, suite, ...components] = line.split(/\s+/);
    if (!uri || !suite) continue;
    entries.push({
      type: typeMatch[1],
      uri,
      suite,
      components,
      signedBy: options['signed-by'] ? { paths: options['signed-by'].split(',') } : null,
      trusted: options.trusted || null,
      file,
    });
  }
  return entries;
}

// Splits a deb822 file into paragraphs of {lowercased field: raw value}.
function parseDeb822Paragraphs(text) {
  const paragraphs = [];
  let current = null;
  let lastField = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    if (line.trim() === '') {
      current = null;
      lastField = null;
      continue;
    }
    if (/^[ \t]/.test(line)) {
      if (current && lastField) current[lastField] += `\n${line.trim()}`;
      continue;
    }
    const match = /^([^:\s]+):(.*)$/.exec(line);
    if (!match) continue;
    if (!current) {
      current = {};
      paragraphs.push(current);
    }
    lastField = match[1].toLowerCase();
    current[lastField] = match[2].trim();
  }
  return paragraphs;
}

function words(value) {
  return (value || '').split(/\s+/).filter(Boolean);
}

// Signed-By in deb822 is either key file paths / fingerprints or an embedded ASCII-armored key.
function parseSignedBy(value) {
  if (!value) return null;
  if (value.includes('BEGIN PGP PUBLIC KEY BLOCK')) {
    // Continuation lines holding a single "." stand for empty lines.
    const key = value
      .split('\n')
      .map((line) => (line.trim() === '.' ? '' : line.trim()))
      .join('\n')
      .trim();
    return { inlineKey: `${key}\n` };
  }
  return { paths: words(value.replace(/,/g, ' ')) };
}

/** Entries of a deb822-format `.sources` file; paragraphs with `Enabled: no` are skipped. */
function parseDeb822Sources(text, file = '') {
  const entries = [];
  for (const paragraph of parseDeb822Paragraphs(text)) {
    if ((paragraph.enabled || 'yes').toLowerCase() === 'no') continue;
    const signedBy = parseSignedBy(paragraph['signed-by']);
    const trusted = paragraph.trusted ? paragraph.trusted.toLowerCase() : null;
    for (const type of words(paragraph.types)) {
      if (type !== 'deb' && type !== 'deb-src') continue;
      for (const uri of words(paragraph.uris)) {
        for (const suite of words(paragraph.suites)) {
          entries.push({
            type,
            uri,
            suite,
            components: words(paragraph.components),
            signedBy,
            trusted,
            file,
          });
        }
      }
    }
  }
  return entries;
}

function parseSourcesFile(file, text) {
  return file.endsWith('.sources') ? parseDeb822Sources(text, file) : parseOneLineList(text, file);
}

/**
 * Every enabled entry configured on this machine. `sourceList` and `sourceParts` default to
 * APT's defaults; files in the parts folder that APT would ignore (e.g. `*.disabled`) are skipped.
 */
function readConfiguredEntries({
  sourceList = '/etc/apt/sources.list',
  sourceParts = '/etc/apt/sources.list.d',
} = {}) {
  const files = [];
  if (fs.existsSync(sourceList)) files.push(sourceList);
  let parts = [];
  try {
    parts = fs.readdirSync(sourceParts).filter((name) => PART_NAME.test(name));
  } catch {
    // No parts folder: only the main list counts.
  }
  for (const name of parts.sort()) files.push(path.join(sourceParts, name));
  return files.flatMap((file) => parseSourcesFile(file, fs.readFileSync(file, 'utf8')));
}

// bookworm -> bullseye, bookworm-security -> bullseye-security, bookworm/updates -> ...
function swapCodename(suite, fromCodename, toCodename) {
  if (!fromCodename) return null;
  if (suite === fromCodename) return toCodename;
  for (const separator of ['-', '/']) {
    if (suite.startsWith(fromCodename + separator)) {
      return toCodename + suite.slice(fromCodename.length);
    }
  }
  return null;
}

// The release the machine runs, for suites that are named by codename.
function guessHostCodename(entries, osReleaseText = '') {
  const match = /^VERSION_CODENAME=["']?([A-Za-z0-9]+)["']?\s*$/m.exec(osReleaseText);
  if (match) return match[1];
  const counts = new Map();
  for (const entry of entries) {
    const base = entry.suite.split(/[-/]/)[0];
    if (base) counts.set(base, (counts.get(base) || 0) + 1);
  }
  let best = null;
  for (const [base, count] of counts) if (!best || count > counts.get(best)) best = base;
  return best;
}

/**
 * deb-src entries for every configured entry (same URI, components and keys), for its own
 * suite and for that suite with the host codename replaced by each wanted codename.
 */
function deriveSourceEntries(entries, { hostCodename, wantedCodenames }) {
  const derived = [];
  const seen = new Set();
  const add = (entry, suite) => {
    const item = { ...entry, type: 'deb-src', suite };
    const id = JSON.stringify([item.uri, suite, item.components, item.signedBy, item.trusted]);
    if (seen.has(id)) return;
    seen.add(id);
    derived.push(item);
  };
  for (const entry of entries) {
    if (entry.uri.startsWith('cdrom:')) continue;
    add(entry, entry.suite);
    for (const codename of wantedCodenames) {
      const swapped = swapCodename(entry.suite, hostCodename, codename);
      if (swapped) add(entry, swapped);
    }
  }
  return derived;
}

/**
 * One-line `sources.list` text for derived entries. Embedded keys are written out through
 * `writeKey(text) -> path`, since the one-line format can only reference key files.
 */
function formatSourcesList(entries, writeKey) {
  const keyPaths = new Map();
  const lines = entries.map((entry) => {
    const options = [];
    if (entry.signedBy && entry.signedBy.inlineKey) {
      if (!keyPaths.has(entry.signedBy.inlineKey)) {
        keyPaths.set(entry.signedBy.inlineKey, writeKey(entry.signedBy.inlineKey));
      }
      options.push(`signed-by=${keyPaths.get(entry.signedBy.inlineKey)}`);
    } else if (entry.signedBy && entry.signedBy.paths.length > 0) {
      options.push(`signed-by=${entry.signedBy.paths.join(',')}`);
    }
    if (entry.trusted) options.push(`trusted=${entry.trusted}`);
    const optionText = options.length ? `[${options.join(' ')}] ` : '';
    return `deb-src ${optionText}${[entry.uri, entry.suite, ...entry.components].join(' ')}`;
  });
  return lines.length ? `${lines.join('\n')}\n` : '';
}

module.exports = {
  parseOneLineList,
  parseDeb822Sources,
  parseSourcesFile,
  readConfiguredEntries,
  swapCodename,
  guessHostCodename,
  deriveSourceEntries,
  formatSourcesList,
};
