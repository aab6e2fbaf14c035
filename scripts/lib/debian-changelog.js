'use strict';

// debian/changelog entries (deb-changelog(5)):
//   package (version) distribution(s); urgency=…
//   <blank>
//     * change details …
//   <blank>
//    -- Maintainer <email>  date
const { compareDebianVersions } = require('./debian-version');

const HEADER = /^(\S+) \(([^()\s]+)\) ([^;]+);(.*)$/;
const TRAILER = /^ -- (.*?) <([^>]*)> {2}(.+)$/;
const CVE = /CVE-\d{4}-\d{4,}/g;

/** The entries, newest first, each with the CVE ids its text names (sorted, no repeats). */
function parseChangelog(text) {
  const entries = [];
  let current = null;
  for (const line of text.split('\n')) {
    const header = HEADER.exec(line);
    if (header) {
      current = {
        package: header[1],
        version: header[2],
        distributions: header[3].trim().split(/\s+/),
        urgency: (/urgency=(\S+)/.exec(header[4]) ?? [])[1] ?? null,
        lines: [],
        maintainer: null,
        date: null,
      };
      entries.push(current);
      continue;
    }
    if (!current) continue;
    const trailer = TRAILER.exec(line);
    if (trailer) {
      current.maintainer = `${trailer[1]} <${trailer[2]}>`;
      current.date = trailer[3].trim();
      current = null;
    } else if (line.trim() !== '') {
      current.lines.push(line.trim());
    }
  }
  return entries.map(({ lines, ...entry }) => ({
    ...entry,
    changes: lines.join('\n'),
    cves: [...new Set(lines.join(' ').match(CVE) ?? [])].sort(compareCveIds),
  }));
}

function compareCveIds(a, b) {
  const [, ya, na] = a.split('-').map(Number);
  const [, yb, nb] = b.split('-').map(Number);
  return ya - yb || na - nb;
}

/** The entries of versions after `pinned` (exclusive) up to `newest` (inclusive), newest first. */
function entriesAfter(entries, pinned, newest = null) {
  return entries.filter(
    (e) =>
      compareDebianVersions(e.version, pinned) > 0 &&
      (newest === null || compareDebianVersions(e.version, newest) <= 0),
  );
}

module.exports = { parseChangelog, entriesAfter };
