// The soak report as Markdown: per fault, per destination and for the process.
import type { SoakReport } from './soak-child';

const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0);

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Per fault kind: how many, and the recovery times' minimum, median and maximum. */
function byKind(report: SoakReport): string[] {
  const lines = ['| fault kind | count | recovered | recovery min / median / max |', '|---|---|---|---|'];
  const kinds = [...new Set(report.faults.map((f) => `${f.kind}${f.durationMs ? ` ${f.durationMs / 1000} s` : ''}`))];
  for (const kind of kinds) {
    const faults = report.faults.filter((f) => `${f.kind}${f.durationMs ? ` ${f.durationMs / 1000} s` : ''}` === kind);
    const times = faults.flatMap((f) => (f.recoveryMs === null ? [] : [f.recoveryMs])).sort((a, b) => a - b);
    const median = times.length ? (times.length % 2 ? times[(times.length - 1) / 2] : (times[times.length / 2 - 1] + times[times.length / 2]) / 2) : null;
    const range = median === null ? '—' : `${seconds(times[0])} / ${seconds(median)} / ${seconds(times[times.length - 1])}`;
    lines.push(`| ${kind} | ${faults.length} | ${times.length} | ${range} |`);
  }
  return lines;
}

export function formatReport(report: SoakReport, seed: number): string {
  const lines: string[] = [];
  lines.push(`Soak: ${(report.runMs / 60_000).toFixed(1)} min, seed ${seed}, stream ${report.bitrateKbps} kbit/s, faulted uplink ${report.uplinkKbps} kbit/s`);
  lines.push('');
  lines.push('| fault (destination 0) | at | lasts | recovered after | video due / sent / dropped by rule / skipped to keyframe / lost in flight | audio due / sent / dropped / lost | reconnects (TLS) | video starts after audio |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const f of report.faults) {
    const rules = Object.entries(f.video.droppedByRule).filter(([, n]) => n > 0).map(([r, n]) => `${n} ${r}`).join(', ') || '0';
    lines.push(
      `| ${f.kind} | ${(f.atMs / 1000).toFixed(0)} s | ${(f.durationMs / 1000).toFixed(0)} s | ${f.recoveryMs === null ? 'not recovered' : `${(f.recoveryMs / 1000).toFixed(1)} s`} ` +
        `| ${f.video.due} / ${f.video.sent} / ${rules} / ${f.video.skippedForKeyframe} / ${f.video.lostInFlight} ` +
        `| ${f.audio.due} / ${f.audio.sent} / ${sum(f.audio.droppedByRule)} / ${f.audio.lostInFlight} ` +
        `| ${f.reconnects}${f.handshakes.length ? ` (${f.handshakes.join(', ')})` : ''} | ${f.videoAfterAudioMs === null ? '—' : `${f.videoAfterAudioMs} ms`} |`,
    );
  }
  lines.push('');
  lines.push(...byKind(report));
  lines.push('');
  lines.push('| destination | video due | sent | received (nginx record) | dropped by rule | skipped | lost in flight | audio due | sent | received | sessions |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const d of report.destinations) {
    const s = d.stats;
    const videoDropped = sum(Object.fromEntries(Object.entries(s.droppedByReason).map(([r, n]) => [r, n.videoFrames])));
    lines.push(
      `| ${d.faulted ? 'faulted' : 'healthy'} ${d.url} | ${s.videoFramesIn} | ${s.videoFramesSent} | ${d.received.video} | ${videoDropped} | ${s.skippedVideoFrames} | ${s.videoFramesLostInFlight} ` +
        `| ${s.audioFramesIn} | ${s.audioFramesSent} | ${d.received.audio} | ${d.sessions} |`,
    );
  }
  const p = report.process;
  lines.push('');
  lines.push('| client process | start | max | end |');
  lines.push('|---|---|---|---|');
  lines.push(`| RSS (MB) | ${p.start.rssMb} | ${p.max.rssMb} | ${p.end.rssMb} |`);
  lines.push(`| file descriptors | ${p.start.fds} | ${p.max.fds} | ${p.end.fds} |`);
  lines.push(`| threads | ${p.start.threads} | ${p.max.threads} | ${p.end.threads} |`);
  lines.push('');
  lines.push(`Client CPU: ${report.cpuSeconds} s over the run, ${report.cpuSecondsPerHour} s per hour; longest event-loop delay ${report.maxLoopDelayMs} ms.`);
  return `${lines.join('\n')}\n`;
}
