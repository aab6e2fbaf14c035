// A child process for the RTMPE tests, run in a network namespace of its own
// (runNodeChildInNetns): rtmpsuck must have 0.0.0.0:1935. It starts nginx-rtmp serving the
// fixture as VOD, rtmpsuck in front of it, a relay that records the handshake bytes on the
// way to rtmpsuck (and one straight to nginx, for a plain control), and an RTMPT gateway to
// the rtmpsuck relay (for rtmpte://). Then it runs each step and prints one JSON line. The
// client's tcUrl names nginx, which is where rtmpsuck relays to. Not a test file itself.
import fs from 'node:fs';
import path from 'node:path';
import { encodeFlvHeader, encodeTag } from '../../lib/flv';
import { read, RtmpError, type FlvTag } from '../../lib/index';
import { AV_FLV } from './fixtures';
import { startHandshakeRelay, type RelayCapture } from './handshake-relay';
import { bringLoopbackUp } from './netns';
import { startNginx } from './nginx';
import { LOOPBACK } from './ports';
import { runRtmpdump } from './rtmpdump';
import { startRtmpsuck, RTMPSUCK_PORT } from './rtmpsuck';
import { startRtmptGateway, type RtmptRequest } from './rtmpt-gateway';

export type RtmpePeerStepKind =
  | 'play-rtmpe' // node-librtmp plays rtmpe:// through rtmpsuck
  | 'play-rtmpte' // node-librtmp plays rtmpte:// through the gateway and rtmpsuck
  | 'play-rtmp-plain' // node-librtmp plays rtmp:// through a relay straight to nginx (control)
  | 'rtmpdump-rtmpe'; // Debian's rtmpdump plays rtmpe:// through rtmpsuck (control)

export interface RtmpePeersInput {
  /** Where FLV files are written; made and removed by the caller. */
  outDir: string;
  steps: RtmpePeerStepKind[];
}

export interface RtmpePeerStepResult {
  kind: RtmpePeerStepKind;
  /** What was played, as an FLV file. */
  file?: string;
  tags?: number;
  error?: { code: string; message: string };
  exitCode?: number | null;
  stderr?: string;
  /** The handshake relay's capture of this step's connection, base64. */
  capture?: { client: string; server: string };
  gatewayRequests?: RtmptRequest[];
}

export interface RtmpePeersResult {
  steps: RtmpePeerStepResult[];
  rtmpsuckLog: string;
}

function encodeCapture(capture: RelayCapture | undefined): RtmpePeerStepResult['capture'] {
  return capture && { client: capture.client.toString('base64'), server: capture.server.toString('base64') };
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2]) as RtmpePeersInput;
  bringLoopbackUp();
  const vodDir = path.join(input.outDir, 'vod');
  fs.mkdirSync(vodDir);
  fs.chmodSync(input.outDir, 0o755);
  fs.chmodSync(vodDir, 0o755);
  fs.copyFileSync(AV_FLV, path.join(vodDir, 'av.flv'));
  fs.chmodSync(path.join(vodDir, 'av.flv'), 0o644);

  const nginx = await startNginx({ applications: [{ name: 'vod', directives: [`play ${vodDir}`] }] });
  const stops: (() => Promise<void>)[] = [() => nginx.stop()];
  const steps: RtmpePeerStepResult[] = [];
  let rtmpsuckLog = '';
  try {
    const rtmpsuck = await startRtmpsuck();
    stops.unshift(async () => {
      rtmpsuckLog = rtmpsuck.log();
      await rtmpsuck.stop();
    });
    const suckRelay = await startHandshakeRelay({ port: RTMPSUCK_PORT });
    const nginxRelay = await startHandshakeRelay({ port: nginx.port });
    const gateway = await startRtmptGateway({ target: { port: suckRelay.port } });
    stops.unshift(
      () => suckRelay.stop(),
      () => nginxRelay.stop(),
      () => gateway.stop(),
    );
    const vodTcUrl = `rtmp://${LOOPBACK}:${nginx.port}/vod`;

    const play = async (kind: RtmpePeerStepKind, url: string, tcUrl?: string): Promise<RtmpePeerStepResult> => {
      const tags: FlvTag[] = [];
      const file = path.join(input.outDir, `${kind}.flv`);
      try {
        for await (const tag of read(url, { timeout: 5000, ...(tcUrl ? { tcUrl } : {}) })) tags.push(tag);
      } catch (e) {
        return { kind, tags: tags.length, error: describe(e) };
      }
      fs.writeFileSync(file, Buffer.concat([encodeFlvHeader(), ...tags.map(encodeTag)]));
      return { kind, file, tags: tags.length };
    };

    for (const kind of input.steps) {
      const suckFrom = suckRelay.captures.length;
      const gatewayFrom = gateway.requests.length;
      let result: RtmpePeerStepResult;
      if (kind === 'play-rtmpe') {
        result = await play(kind, `rtmpe://${LOOPBACK}:${suckRelay.port}/vod/av.flv`, vodTcUrl);
      } else if (kind === 'play-rtmpte') {
        result = await play(kind, gateway.url('vod', 'av.flv', 'rtmpte'), vodTcUrl);
        result.gatewayRequests = gateway.requests.slice(gatewayFrom);
      } else if (kind === 'play-rtmp-plain') {
        const from = nginxRelay.captures.length;
        result = await play(kind, `rtmp://${LOOPBACK}:${nginxRelay.port}/vod/av.flv`);
        result.capture = encodeCapture(nginxRelay.captures[from]);
      } else {
        result = await rtmpdump(`rtmpe://${LOOPBACK}:${suckRelay.port}/vod/av.flv`, vodTcUrl, path.join(input.outDir, `${kind}.flv`));
      }
      if (kind !== 'play-rtmp-plain') result.capture = encodeCapture(suckRelay.captures[suckFrom]);
      steps.push(result);
    }
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
  }
  process.stdout.write(`${JSON.stringify({ steps, rtmpsuckLog } satisfies RtmpePeersResult)}\n`);
}

function describe(e: unknown): { code: string; message: string } {
  return e instanceof RtmpError ? { code: e.code, message: e.message } : { code: 'NOT_RTMP_ERROR', message: String(e) };
}

async function rtmpdump(url: string, tcUrl: string, file: string): Promise<RtmpePeerStepResult> {
  const exit = await runRtmpdump(url, file, { tcUrl });
  return { kind: 'rtmpdump-rtmpe', file, exitCode: exit.code, stderr: exit.stderr };
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
