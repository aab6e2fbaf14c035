// Runs inside the Node under test (an official ARM build under qemu-user, or the host's Node):
// loads an installed copy of the package (prebuilds/, no build/), publishes the fixture over
// RTMP and RTMPS while reading it back on a second connection, and prints one JSON line.
// Kept small: under emulation every step is ~10x slower, and no child process can be spawned.
import fs from 'node:fs';
import type * as NodeLibrtmp from '../../lib/index';

export interface ClientInput {
  /** The installed package folder (node_modules/node-librtmp of a throw-away project). */
  packageDir: string;
  fixture: string;
  caFile: string;
  streams: { scheme: 'rtmp' | 'rtmps'; publishUrl: string; playUrl: string }[];
}

export interface StreamReport {
  scheme: string;
  tagsWritten: number;
  tagsRead: { audio: number; video: number; script: number };
  tls: { protocol: string; cipher: string; authorized: boolean } | null;
}

export interface ClientReport {
  arch: string;
  node: string;
  bindingPath: string;
  openssl: string;
  streams: StreamReport[];
}

async function oneStream(lib: typeof NodeLibrtmp, input: ClientInput, stream: ClientInput['streams'][number]): Promise<StreamReport> {
  const tls = { ca: fs.readFileSync(input.caFile, 'utf8') };
  const options = { timeout: 60_000, ...(stream.scheme === 'rtmps' ? { tls } : {}) };
  const tagsRead = { audio: 0, video: 0, script: 0 };
  // Subscribed before the publisher starts (nginx keeps an idle live stream waiting), so the
  // reader sees the stream from its start and ends at the publisher's StreamEOF.
  const player = await lib.connect(stream.playUrl, { ...options, mode: 'play', live: true });
  const reading = (async () => {
    for await (const tag of player) tagsRead[tag.type] += 1;
  })();
  const publisher = await lib.publish(stream.publishUrl, options);
  const info = publisher.tlsInfo();
  const tags = new lib.FlvParser().push(fs.readFileSync(input.fixture));
  for (let i = 0; i < tags.length; i += 32) await publisher.writeTags(tags.slice(i, i + 32));
  await publisher.close();
  await reading;
  await player.close();
  return {
    scheme: stream.scheme,
    tagsWritten: tags.length,
    tagsRead,
    tls: info ? { protocol: info.protocol, cipher: info.cipher, authorized: info.authorized } : null,
  };
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2]) as ClientInput;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lib = require(input.packageDir) as typeof NodeLibrtmp;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const gypBuild = require(require.resolve('node-gyp-build', { paths: [input.packageDir] })) as {
    path(dir: string): string;
  };
  const streams: StreamReport[] = [];
  for (const stream of input.streams) streams.push(await oneStream(lib, input, stream));
  const report: ClientReport = {
    arch: process.arch,
    node: process.version,
    bindingPath: gypBuild.path(input.packageDir),
    openssl: lib.versions().openssl,
    streams,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((error: unknown) => {
  const e = error as { code?: string; message?: string };
  process.stderr.write(`emulated client failed: ${e.code ?? ''} ${e.message ?? String(error)}\n`);
  process.exitCode = 1;
});
