'use strict';
// Watches a running client from outside, once a second, through /proc: CPU (user + sys of
// the whole process, exited threads included), context switches summed over its threads (a
// wake-up each: what a battery camera pays for), and resident memory. Reading /proc costs the
// client nothing.

const fs = require('node:fs');

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ, what /proc/<pid>/stat counts in
const KB = 1024;

function readOrNull(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function statusField(text, name) {
  const match = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

/** One reading of `pid`, or null once it has gone. */
function sample(pid) {
  const stat = readOrNull(`/proc/${pid}/stat`);
  const status = readOrNull(`/proc/${pid}/status`);
  if (stat === null || status === null) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  let switches = 0;
  let tasks = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  for (const tid of tasks) {
    const text = readOrNull(`/proc/${pid}/task/${tid}/status`);
    if (text !== null) switches += statusField(text, 'voluntary_ctxt_switches') + statusField(text, 'nonvoluntary_ctxt_switches');
  }
  return {
    at: performance.now(),
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND,
    switches,
    rssBytes: statusField(status, 'VmRSS') * KB,
    peakRssBytes: statusField(status, 'VmHWM') * KB,
    threads: tasks.length,
  };
}

/** Samples `pid` every `periodMs` until stop(); samples() returns what was seen. */
function watchProcess(pid, periodMs = 1000) {
  const samples = [];
  const take = () => {
    const s = sample(pid);
    if (s) samples.push(s);
  };
  take();
  const timer = setInterval(take, periodMs);
  return {
    /** Takes one reading now (a window's edge) and returns it. */
    mark() {
      take();
      return samples[samples.length - 1] ?? null;
    },
    stop() {
      clearInterval(timer);
      return samples;
    },
  };
}

module.exports = { watchProcess, sample };
