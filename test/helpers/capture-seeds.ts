// Captures what nginx-rtmp answers node-librtmp (publish and play) as messages grouped in
// bursts (one burst per client request), the seed of the hostile server. Run after a build:
//   node dist/test/helpers/capture-seeds.js   (writes test/fixtures/fuzz-seeds.json)
import fs from 'node:fs';
import net from 'node:net';
import { FlvParser } from '../../lib/flv';
import { publish, read } from '../../lib/index';
import { AV_FLV, fixturePath } from './fixtures';
import { startNginx } from './nginx';
import { LOOPBACK } from './ports';
import { ChunkParser, type RtmpMessage } from './rtmp-chunks';

const HANDSHAKE_BYTES = 1 + 1536 * 2;
/** Bytes of media kept from a play capture: the seed file stays small. */
const MAX_MESSAGE_PAYLOAD = 600;
const MAX_MESSAGES = 40;

export interface SeedMessage {
  csid: number;
  type: number;
  timestamp: number;
  streamId: number;
  /** Hex. */
  payload: string;
}

export interface Seeds {
  publish: SeedMessage[][];
  play: SeedMessage[][];
}

export const SEEDS_FILE = fixturePath('fuzz-seeds.json');

export function loadSeeds(): { publish: RtmpMessage[][]; play: RtmpMessage[][] } {
  const raw = JSON.parse(fs.readFileSync(SEEDS_FILE, 'utf8')) as Seeds;
  const decode = (bursts: SeedMessage[][]): RtmpMessage[][] =>
    bursts.map((b) => b.map((m) => ({ ...m, payload: Buffer.from(m.payload, 'hex') })));
  return { publish: decode(raw.publish), play: decode(raw.play) };
}

/** A relay that splits the server's messages into bursts at each client send. */
async function captureOne(target: number, run: (port: number) => Promise<void>): Promise<SeedMessage[][]> {
  const bursts: RtmpMessage[][] = [];
  let clientSpoke = true;
  let skipped = 0;
  const parser = new ChunkParser();
  const sockets: net.Socket[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: LOOPBACK, port: target });
    sockets.push(client, upstream);
    client.on('data', (d: Buffer) => {
      clientSpoke = true;
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      client.write(d);
      let body = d;
      if (skipped < HANDSHAKE_BYTES) {
        const skip = Math.min(HANDSHAKE_BYTES - skipped, d.length);
        skipped += skip;
        body = d.subarray(skip);
      }
      const messages = parser.push(body);
      if (messages.length === 0) return;
      if (clientSpoke || bursts.length === 0) bursts.push([]);
      clientSpoke = false;
      bursts[bursts.length - 1].push(...messages);
    });
    for (const s of [client, upstream]) s.on('error', () => sockets.forEach((x) => x.destroy()));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen({ host: LOOPBACK, port: 0 }, resolve));
  try {
    await run((server.address() as net.AddressInfo).port);
  } finally {
    sockets.forEach((s) => s.destroy());
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  let count = 0;
  return bursts
    .map((b) =>
      b
        .filter(() => ++count <= MAX_MESSAGES)
        .filter((m) => m.payload.length <= MAX_MESSAGE_PAYLOAD || (m.type !== 8 && m.type !== 9))
        .map((m) => ({ csid: m.csid, type: m.type, timestamp: m.timestamp, streamId: m.streamId, payload: m.payload.toString('hex') })),
    )
    .filter((b) => b.length > 0);
}

export async function captureSeeds(): Promise<Seeds> {
  const nginx = await startNginx();
  try {
    const tags = new FlvParser().push(fs.readFileSync(AV_FLV));
    const publishBursts = await captureOne(nginx.port, async (port) => {
      const pub = await publish(`rtmp://${LOOPBACK}:${port}/live/seed`);
      await pub.writeTags(tags.slice(0, 20));
      await pub.close();
    });
    // Play while a publisher sends, so the capture has metadata, audio and video.
    const feeder = await publish(nginx.url('live', 'fed'));
    let stop = false;
    const feeding = (async () => {
      for (let i = 0; !stop && i < tags.length; i++) await feeder.writeTag(tags[i]);
    })();
    const playBursts = await captureOne(nginx.port, async (port) => {
      let n = 0;
      for await (const tag of read(`rtmp://${LOOPBACK}:${port}/live/fed`, { live: true })) {
        void tag;
        if (++n >= 30) break;
      }
    });
    stop = true;
    await feeding;
    await feeder.close();
    return { publish: publishBursts, play: playBursts };
  } finally {
    await nginx.stop();
  }
}

if (require.main === module) {
  captureSeeds()
    .then((seeds) => {
      fs.writeFileSync(SEEDS_FILE, JSON.stringify(seeds, null, 0) + '\n');
      console.log(`wrote ${SEEDS_FILE}: publish ${seeds.publish.length} bursts, play ${seeds.play.length} bursts`);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
