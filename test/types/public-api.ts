// A type-level test: compiled (never run) by `npm test`'s `tsc` step. It fails to compile
// when the public types change shape — and each @ts-expect-error fails when a mistake
// stops being one.
import type { Readable, Writable } from 'node:stream';
import {
  connect,
  ErrorCodes,
  publish,
  read,
  RtmpError,
  setLogger,
  versions,
  publishCamera,
  type CameraOptions,
  type ConnectedEvent,
  type ConnectionStats,
  type EngineOption,
  type ErrorCode,
  type FlvTag,
  type LogEntry,
  type SendFileOptions,
  type SendFileResult,
  type RtmpConnection,
  type RtmpOptions,
  type TlsInfo,
} from '../../lib/index';

export async function usage(signal: AbortSignal): Promise<void> {
  const options: RtmpOptions = {
    timeout: 10_000,
    chunkSize: 4096,
    live: true,
    conn: ['B:1', 'S:text'],
    fourCcList: ['hvc1', 'av01'],
    connectProperties: { capsEx: 1, videoFourCcInfoMap: { '*': 4 } },
    tls: { ca: ['-----BEGIN CERTIFICATE-----'], minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ciphers: 'ECDHE-RSA-AES128-SHA' },
    engine: { id: 'devcrypto', required: true, methods: ['ciphers'] },
    logger: (entry: LogEntry) => void entry.message,
    logLevel: 'debug',
    signal,
  };
  const pub: RtmpConnection = await publish('rtmp://h/live/key', options);
  const tag: FlvTag = { type: 'video', timestamp: 0, data: Buffer.alloc(1) };
  await pub.writeTag(tag, { signal });
  await pub.writeTags([tag]);
  await pub.write(Buffer.alloc(0));
  const sent: SendFileResult = await pub.sendFile('/x.flv', { signal });
  await pub.sendFile(new URL('file:///x.flv'), { background: true, realtime: true, stop: signal } satisfies SendFileOptions);
  const writable: Writable = pub.writable({ highWaterMark: 1 << 20 });
  const stats: ConnectionStats = pub.stats();
  const queued: number = stats.queuedBytes + stats.bitrateOutKbps;
  const info: TlsInfo | null = pub.tlsInfo();
  const served: boolean | undefined = info?.engineServed;
  await pub.close();

  const player = await connect('rtmps://h/live/key', { mode: 'play' });
  const readable: Readable = player.readable();
  const batch: FlvTag[] | null = await player.readTags({ signal });
  for await (const t of player) void t.timestamp;
  for await (const t of read('rtmp://h/live/key')) void t.data;

  const engines: EngineOption[] = ['auto', false, 'devcrypto', { path: '/x.so' }];
  const code: ErrorCode = ErrorCodes.TLS_CERT_VERIFY;
  const error = new RtmpError(code, 'm');
  const statusCode: string | undefined = error.statusCode;
  setLogger(null);
  const openssl: string = versions().openssl;
  void [sent.bytes + sent.tags, sent.stopped, writable, queued, served, readable, batch, engines, statusCode, openssl];

  const cameraOptions: CameraOptions = { videoCodec: 'av1', retryFirstConnection: true, reconnect: { initialDelayMs: 500 } };
  const camera = await publishCamera('rtmps://h/rtmp/key', cameraOptions);
  camera.on('connected', (event: ConnectedEvent) => void event.attempt);
  await camera.close();

  // @ts-expect-error tag types are a closed set
  await pub.writeTag({ type: 'metadata', timestamp: 0, data: Buffer.alloc(1) });
  // @ts-expect-error timestamps are numbers (ms)
  await pub.writeTag({ type: 'audio', timestamp: '0', data: Buffer.alloc(1) });
  // @ts-expect-error TLS versions are named
  await publish('rtmps://h/a/b', { tls: { maxVersion: 1.2 } });
  // @ts-expect-error modes are 'play' and 'publish'
  await connect('rtmp://h/a/b', { mode: 'record' });
  // @ts-expect-error engine methods are 'ciphers' and 'digests'
  await publish('rtmps://h/a/b', { engine: { id: 'devcrypto', methods: ['pkey'] } });
  // @ts-expect-error video codecs are a closed set
  await publishCamera('rtmp://h/a/b', { videoCodec: 'vp9' });
  // @ts-expect-error connect properties are AMF0 values
  await publish('rtmp://h/a/b', { connectProperties: { f: () => 1 } });
  // @ts-expect-error sendFile() takes a path or a file: URL, not the bytes
  await pub.sendFile(Buffer.alloc(1));
  // @ts-expect-error error codes are a closed set
  new RtmpError('ERR_SOMETHING', 'm');
}
