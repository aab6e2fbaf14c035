// rtmpdump from Debian's rtmpdump package: an RTMP/RTMPE player built on a librtmp that is
// not ours (GnuTLS, nettle, gmp), to check the test peers independently of node-librtmp.
import { spawn } from 'node:child_process';
import { trackChild, waitForExit, type ExitResult } from './children';

export interface RtmpdumpResult extends ExitResult {
  stderr: string;
}

// rtmpdump's exit codes: 0 complete, 2 "may be incomplete" (a VOD whose last bytes fell
// short of the size in its metadata), anything else a failure.
export const RTMPDUMP_OK = [0, 2];

/** Plays `url` into the FLV `file`; `-m` bounds each read. Rejects if rtmpdump is missing. */
export async function runRtmpdump(url: string, file: string, options: { tcUrl?: string; timeoutSeconds?: number } = {}): Promise<RtmpdumpResult> {
  const args = ['-r', url, '-m', String(options.timeoutSeconds ?? 5), '-o', file];
  if (options.tcUrl) args.push('-t', options.tcUrl);
  const child = spawn('rtmpdump', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  trackChild(child);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const exit = await Promise.race([waitForExit(child), spawnError]);
  if (exit instanceof Error) throw new Error(`rtmpdump could not run (install Debian's rtmpdump package): ${exit.message}`);
  return { ...exit, stderr };
}
