'use strict';
// Medians and the markdown tables the benchmark prints.

function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

function fmt(value, digits = 1) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value.toFixed(digits);
}

function ratio(value, reference) {
  if (value === null || reference === null || !reference) return '–';
  return `${(value / reference).toFixed(2)}×`;
}

function markdownTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The flat-out table: one row per client and transport, ratios against FFmpeg's row. */
function throughputTable(summaries) {
  const header = [
    'client', 'transport', 'MB/s', 'vs FFmpeg', 'client CPU s/GB', 'vs FFmpeg', 'beyond fixed cost', 'vs FFmpeg', 'server CPU s/GB',
    'socket writes/MB', 'TLS records/MB', 'event loop p50/p99 ms', 'peak RSS MB',
  ];
  const rows = summaries.map((s) => {
    const ffmpeg = summaries.find((o) => o.client === 'ffmpeg' && o.scheme === s.scheme);
    const eld = s.eventLoopP99Ms === null ? '–' : `${fmt(s.eventLoopP50Ms, 2)} / ${fmt(s.eventLoopP99Ms, 2)}`;
    return [
      s.label, s.scheme.toUpperCase(), fmt(s.mbPerSecond, 0), ratio(s.mbPerSecond, ffmpeg?.mbPerSecond ?? null),
      fmt(s.clientCpuSecondsPerGb, 2), ratio(s.clientCpuSecondsPerGb, ffmpeg?.clientCpuSecondsPerGb ?? null),
      fmt(s.marginalClientCpuSecondsPerGb, 2), ratio(s.marginalClientCpuSecondsPerGb, ffmpeg?.marginalClientCpuSecondsPerGb ?? null),
      fmt(s.serverCpuSecondsPerGb, 2), fmt(s.socketWritesPerMb, 0), s.scheme === 'rtmps' ? fmt(s.tlsRecordsPerMb, 0) : '–',
      eld, s.peakRssMb === null ? '–' : fmt(s.peakRssMb, 0),
    ];
  });
  return markdownTable(header, rows);
}

module.exports = { median, fmt, markdownTable, throughputTable };
