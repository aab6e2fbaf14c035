'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { DepsError } = require('./errors');

const TAIL_CHARS = 4000;

// Full path of an executable found on PATH, or null.
function findExecutable(name, env = process.env) {
  if (name.includes('/')) return isExecutable(name) ? name : null;
  for (const dir of (env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Runs a program without a shell. Output is collected (and appended to `logFile` when given);
 * a non-zero exit rejects with the command line and the tail of its output, unless
 * `allowFailure` is set, in which case the caller inspects `code`.
 */
function run(command, args, options = {}) {
  const { cwd, env = process.env, logFile, allowFailure = false, input, timeoutMs } = options;
  return new Promise((resolve, reject) => {
    const logStream = logFile ? fs.createWriteStream(logFile, { flags: 'a' }) : null;
    if (logStream) logStream.write(`$ ${[command, ...args].join(' ')}\n`);
    let stdout = '';
    let stderr = '';
    let combinedTail = '';
    const keep = (chunk, which) => {
      const text = chunk.toString();
      if (which === 'out') stdout += text;
      else stderr += text;
      combinedTail = (combinedTail + text).slice(-TAIL_CHARS);
      if (logStream) logStream.write(chunk);
    };
    const child = spawn(command, args, {
      cwd,
      env,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGTERM',
    });
    child.stdout.on('data', (chunk) => keep(chunk, 'out'));
    child.stderr.on('data', (chunk) => keep(chunk, 'err'));
    if (input !== undefined) {
      // A child that exits without reading its input must not crash us with EPIPE.
      child.stdin.on('error', () => {});
      child.stdin.end(input);
    }
    child.on('error', (error) => {
      if (logStream) logStream.end();
      reject(new DepsError(`could not run ${command}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      const finish = () => {
        const result = { code, signal, stdout, stderr, tail: combinedTail };
        if ((code === 0 && !signal) || allowFailure) {
          resolve(result);
          return;
        }
        const where = logFile ? ` (full log: ${logFile})` : '';
        reject(
          new DepsError(
            `${[command, ...args].join(' ')} failed with ${signal || `exit code ${code}`}` +
              `${where}\n--- last output ---\n${combinedTail.trimEnd()}`,
          ),
        );
      };
      if (logStream) logStream.end(finish);
      else finish();
    });
  });
}

module.exports = { run, findExecutable };
