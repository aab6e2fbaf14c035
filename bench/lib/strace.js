'use strict';
// Counts a client's write system calls with strace: every write, sendto, sendmsg and writev
// of the process and its threads, then the ones on the connection's socket (the descriptor
// that carried the most bytes), so that a Node process's eventfd wake-ups are not counted.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { trackChild, waitForExit } = require('../../dist/test/helpers/children');

const SYSCALLS = ['write', 'sendto', 'sendmsg', 'writev'];
const CALL = new RegExp(`^(\\d+)\\s+(${SYSCALLS.join('|')})\\((\\d+),.*?(?:= (-?\\d+)|<unfinished \\.\\.\\.>)`);
const RESUMED = new RegExp(`^(\\d+)\\s+<\\.\\.\\. (?:${SYSCALLS.join('|')}) resumed>.*= (-?\\d+)`);

function parseTrace(text) {
  const perFd = new Map();
  const unfinished = new Map(); // pid -> fd of its call in progress
  const add = (fd, result) => {
    const entry = perFd.get(fd) ?? { calls: 0, bytes: 0 };
    entry.calls += 1;
    if (result > 0) entry.bytes += result;
    perFd.set(fd, entry);
  };
  for (const line of text.split('\n')) {
    const call = CALL.exec(line);
    if (call) {
      if (call[4] === undefined) unfinished.set(call[1], Number(call[3]));
      else add(Number(call[3]), Number(call[4]));
      continue;
    }
    const resumed = RESUMED.exec(line);
    if (resumed && unfinished.has(resumed[1])) {
      add(unfinished.get(resumed[1]), Number(resumed[2]));
      unfinished.delete(resumed[1]);
    }
  }
  let socket = { fd: -1, calls: 0, bytes: 0 };
  let allCalls = 0;
  for (const [fd, entry] of perFd) {
    allCalls += entry.calls;
    if (entry.bytes > socket.bytes) socket = { fd, ...entry };
  }
  return { socketWrites: socket.calls, socketBytes: socket.bytes, allWriteCalls: allCalls };
}

/** Runs `command args` under strace; resolves with the counts (rejects if it fails). */
async function countWrites(command, args, { env = process.env } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-bench-strace-'));
  const traceFile = path.join(dir, 'trace.txt');
  try {
    const child = spawn(
      'strace',
      ['-f', '-qq', '-s', '0', '-e', `trace=${SYSCALLS.join(',')}`, '-e', 'signal=none', '-o', traceFile, command, ...args],
      { env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    trackChild(child);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const { code, signal } = await waitForExit(child);
    if (code !== 0) throw new Error(`strace ${command} failed (${code ?? signal}): ${stderr.trim()}`);
    return parseTrace(fs.readFileSync(traceFile, 'utf8'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { countWrites, parseTrace };
