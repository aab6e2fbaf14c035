'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { shortHash } = require('./hashing');

/**
 * Identity of a user-given source folder for cache keys: every file's relative path, size and
 * modification time. Cheap (no file contents are read) yet changes whenever the tree is edited.
 */
function fingerprintTree(root) {
  const parts = [path.resolve(root)];
  const walk = (dir) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '.git') walk(full);
      } else if (entry.isFile()) {
        const stat = fs.statSync(full);
        parts.push(path.relative(root, full), stat.size, Math.trunc(stat.mtimeMs));
      }
    }
  };
  walk(root);
  return shortHash(parts);
}

module.exports = { fingerprintTree };
