'use strict';
// Installs missing Debian packages when that is possible without asking anyone (root on a
// system with apt-get); otherwise says what to install and fails. Shared by test-deps.js
// and lint.js.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

/** Absolute path of an executable on PATH (plus the sbin directories), or null. */
function findExecutable(name) {
  const dirs = (process.env.PATH || '').split(path.delimiter).concat(['/usr/sbin', '/sbin']);
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here.
    }
  }
  return null;
}

function canInstall() {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return isRoot && findExecutable('apt-get') !== null && fs.existsSync('/etc/debian_version');
}

function aptGet(args) {
  const result = spawnSync('apt-get', args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return result.status === 0;
}

/**
 * Makes sure the Debian `packages` are installed, or exits the process with a message.
 * `why` names what needs them, for the messages.
 */
function installOrExit(packages, why) {
  if (packages.length === 0) return;
  const list = packages.join(' ');
  if (!canInstall()) {
    console.error(
      `${why}: missing ${list}.\n` +
        `Install them (on Debian/Ubuntu: sudo apt-get install ${list}) and run again.`,
    );
    process.exit(1);
  }
  console.error(`${why}: installing ${list} with apt-get`);
  const install = ['install', '-y', '-o', 'DPkg::Lock::Timeout=300'];
  // A fresh system may have no package lists yet: update once and retry.
  const ok =
    aptGet([...install, ...packages]) ||
    (aptGet(['update', '-o', 'DPkg::Lock::Timeout=300']) && aptGet([...install, ...packages]));
  if (!ok) {
    console.error(`${why}: apt-get could not install ${list}; install them and run again.`);
    process.exit(1);
  }
}

module.exports = { findExecutable, installOrExit };
