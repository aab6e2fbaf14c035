'use strict';
// Running a client process and measuring it: wall time and user + sys CPU of the process and
// its threads (bash's `time`, which reads the child's rusage), and CPU of another process
// from /proc.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const { trackChild } = require('../../dist/test/helpers/children');

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ: what /proc/<pid>/stat counts in on Linux
const TIME_MARK = 'BENCH_TIME';

/**
 * Runs `command args` and resolves with { code, stdout, stderr, wallSeconds, cpuSeconds,
 * userSeconds, sysSeconds }. Rejects if it exits non-zero. `onLine` sees each stdout line as
 * it comes.
 */
function runMeasured(command, args, { env = process.env, timeoutMs = 600000, onLine } = {}) {
  const script = `TIMEFORMAT='${TIME_MARK} %3R %3U %3S'; time "$@"`;
  // `exec` is impossible with the `time` keyword, so bash stays the parent: the client is
  // killed through bash's process group when the bench is interrupted.
  const child = spawn('bash', ['-c', script, 'bash', command, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  trackChild(child);
  const killGroup = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  process.once('exit', killGroup);
  child.once('close', () => process.removeListener('exit', killGroup));
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout.on('data', (d) => {
    stdout += d;
    if (!onLine) return;
    const lines = (partial + d).split('\n');
    partial = lines.pop();
    for (const line of lines) onLine(line);
  });
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const lines = stderr.split('\n');
      const mark = lines.findLast((l) => l.startsWith(TIME_MARK));
      const rest = lines.filter((l) => !l.startsWith(TIME_MARK)).join('\n').trim();
      if (code !== 0 || !mark) {
        reject(new Error(`${command} ${args.join(' ')} failed (${code ?? signal}):\n${rest}`));
        return;
      }
      const [wall, user, sys] = mark.split(' ').slice(1).map(Number);
      resolve({ code, stdout, stderr: rest, wallSeconds: wall, userSeconds: user, sysSeconds: sys, cpuSeconds: user + sys });
    });
  });
}

/** user + sys CPU seconds a running process has used so far. */
function processCpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold anything.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** The last JSON line a client printed. */
function lastJsonLine(stdout) {
  const line = stdout.trim().split('\n').findLast((l) => l.startsWith('{'));
  return line ? JSON.parse(line) : {};
}

module.exports = { runMeasured, processCpuSeconds, lastJsonLine };
