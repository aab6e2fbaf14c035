// Connection options: validated here, with coded errors, before any native call; then
// turned into the addon's open() parameters.
import type { ProfileOption } from './media/stream-rules';
import net from 'node:net';
import { encodeAmf0Properties, type Amf0Value } from './amf0';
import { invalidArg } from './errors';
import type { LogLevel, Logger } from './log';
import type { NativeOpenParams } from './native';
import { nativeEngineOptions, nativeTlsOptions, type EngineOption, type TlsOptions } from './tls';
import { hasControlCharacters, usesTls, type ParsedRtmpUrl } from './url';

export interface RtmpOptions {
  /**
   * Publishing: a platform's rules ('facebook', 'youtube' or a PlatformProfile) checked on
   * the tags given to writeTag(s)/write() — 'warning' events (ProfileWarning) on the
   * connection, as MediaPublisher does. sendFile() is read by the connection's thread and is
   * not checked: run `librtmp check` on the file instead.
   */
  profile?: ProfileOption;
  /** With `profile`: a failing rule rejects that write and every later one (ERR_PROFILE_VIOLATION). */
  strict?: boolean;
  /** Milliseconds for connecting (TCP, TLS, RTMP handshake, connect/publish/play) and for each
   * blocking read or write afterwards. A write is bounded as a whole (one message, plus at
   * most 64 KB of smaller ones gathered with it), so on a slow uplink this must cover the
   * largest keyframe. Default 10000. */
  timeout?: number;
  /** Outgoing RTMP chunk size, sent as Set Chunk Size after connect. Default 4096 (as OBS);
   * 128 keeps librtmp's own behaviour. */
  chunkSize?: number;
  /** Overrides of what the URL implies. */
  app?: string;
  playpath?: string;
  tcUrl?: string;
  swfUrl?: string;
  pageUrl?: string;
  /** Default: librtmp's ("LNX 10,0,32,18"). */
  flashVer?: string;
  /** Extra AMF arguments for the connect call, in librtmp syntax: 'B:1', 'S:text', 'N:3.5', 'O:1' ... */
  conn?: string[];
  /** Enhanced RTMP: the codecs announced as `fourCcList` in the connect command object,
   * FourCCs such as 'hvc1' or 'av01' ('*' for any). */
  fourCcList?: string[];
  /** More properties for the connect command object, AMF0-encoded (e.g. Enhanced RTMP v2's
   * capsEx or videoFourCcInfoMap). Names librtmp sets itself (app, tcUrl, ...) are refused:
   * use their own options. */
  connectProperties?: { [name: string]: Amf0Value };
  /** Playing: the stream is live (no seeking, no duration). */
  live?: boolean;
  /** Playing: buffer time sent to the server, ms. */
  buffer?: number;
  /** Playing: the stream name to subscribe to (FCSubscribe), for some CDNs. */
  subscribe?: string;
  /** Playing: start and stop positions, seconds. */
  start?: number;
  stop?: number;
  /** TLS for rtmps:// and rtmpts:// URLs. */
  tls?: TlsOptions;
  /** The crypto engine (cryptodev offload); process-wide, see docs/API.md. */
  engine?: EngineOption;
  /** Receives librtmp's log lines for this connection, stream key masked. Default: the
   * logger given to setLogger(), or stderr when NODE_LIBRTMP_LOG is a level. */
  logger?: Logger;
  /** Deepest level passed to the logger (default 'info'). */
  logLevel?: LogLevel;
  /** Cancels connecting (and the returned connection's pending work). */
  signal?: AbortSignal;
  /** Source IP address to bind before connecting (an address of this host, e.g. of the
   * LTE interface on a camera with Wi-Fi too). Its family limits the server addresses tried. */
  localAddress?: string;
  /** 4 or 6: connect over that IP version only. 0 (default): both; for a host name with A
   * and AAAA records, Happy Eyeballs (RFC 8305): IPv6 first, IPv4 250 ms later if IPv6 has
   * not connected by then, the first to connect wins. */
  family?: 0 | 4 | 6;
}

const DEFAULT_TIMEOUT_MS = 10_000;
// What librtmp writes into the connect object itself; a second copy would confuse servers.
const LIBRTMP_CONNECT_PROPERTIES = new Set([
  'app', 'type', 'flashVer', 'swfUrl', 'tcUrl', 'fpad', 'capabilities', 'audioCodecs',
  'videoCodecs', 'videoFunction', 'pageUrl', 'objectEncoding',
]);
// librtmp builds the connect command in a 4 KB buffer, its own properties included.
const MAX_CONNECT_PROPERTIES_BYTES = 2048;
const FOURCC = /^([\x20-\x7e]{4}|\*)$/;
const DEFAULT_CHUNK_SIZE = 4096;

function checkString(options: RtmpOptions, key: keyof RtmpOptions): string | undefined {
  const value = options[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || hasControlCharacters(value)) {
    throw invalidArg(`options.${key} must be a non-empty string without control characters`);
  }
  return value;
}

function checkNumber(options: RtmpOptions, key: keyof RtmpOptions, min: number, max: number): number | undefined {
  const value = options[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalidArg(`options.${key} must be a number from ${min} to ${max}`);
  }
  return value;
}

export function validateOptions(options: unknown): RtmpOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw invalidArg('options must be an object');
  const o = options as RtmpOptions;
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw invalidArg('options.signal must be an AbortSignal');
  }
  if (o.live !== undefined && typeof o.live !== 'boolean') throw invalidArg('options.live must be a boolean');
  if (o.conn !== undefined && (!Array.isArray(o.conn) || o.conn.some((c) => typeof c !== 'string' || !/^(N?[BNSOZ]):/.test(c)))) {
    throw invalidArg("options.conn must be an array of librtmp AMF strings such as 'S:text' or 'B:1'");
  }
  return o;
}

// The connect object's extra properties as AMF0 bytes, or undefined when there are none.
function connectProperties(options: RtmpOptions): Buffer | undefined {
  const extra = options.connectProperties;
  if (extra !== undefined && (typeof extra !== 'object' || extra === null || Array.isArray(extra))) {
    throw invalidArg('options.connectProperties must be an object of AMF0 values');
  }
  const properties: { [name: string]: Amf0Value } = { ...extra };
  for (const name of Object.keys(properties)) {
    if (LIBRTMP_CONNECT_PROPERTIES.has(name)) {
      throw invalidArg(`options.connectProperties cannot set '${name}': librtmp sends it (use its own option)`);
    }
  }
  const list = options.fourCcList;
  if (list !== undefined) {
    if (!Array.isArray(list) || list.length === 0 || list.some((c) => typeof c !== 'string' || !FOURCC.test(c))) {
      throw invalidArg("options.fourCcList must be a non-empty array of FourCCs such as 'hvc1' (or '*')");
    }
    if ('fourCcList' in properties) throw invalidArg('give fourCcList either as an option or in connectProperties, not both');
    properties.fourCcList = [...list];
  }
  if (Object.keys(properties).length === 0) return undefined;
  const bytes = encodeAmf0Properties(properties);
  if (bytes.length > MAX_CONNECT_PROPERTIES_BYTES) {
    throw invalidArg(`options.connectProperties encode to ${bytes.length} bytes; at most ${MAX_CONNECT_PROPERTIES_BYTES} fit in librtmp's connect command`);
  }
  return bytes;
}

// localAddress and family, checked against each other and against an IP-literal host.
function addressOptions(url: ParsedRtmpUrl, options: RtmpOptions): { localAddress?: string; family: 0 | 4 | 6 } {
  const { localAddress, family = 0 } = options;
  if (family !== 0 && family !== 4 && family !== 6) throw invalidArg('options.family must be 4, 6 or 0');
  if (localAddress !== undefined && (typeof localAddress !== 'string' || net.isIP(localAddress) === 0)) {
    throw invalidArg('options.localAddress must be an IPv4 or IPv6 address');
  }
  const localFamily = localAddress !== undefined ? net.isIP(localAddress) : 0;
  if (family !== 0 && localFamily !== 0 && family !== localFamily) {
    throw invalidArg(`options.localAddress is an IPv${localFamily} address but options.family is ${family}`);
  }
  const hostFamily = net.isIP(url.host);
  const wanted = family || localFamily;
  if (hostFamily !== 0 && wanted !== 0 && hostFamily !== wanted) {
    throw invalidArg(`the URL's host is an IPv${hostFamily} address but ${family ? 'options.family' : 'options.localAddress'} asks for IPv${wanted}`);
  }
  return { localAddress, family };
}

export function openParams(url: ParsedRtmpUrl, options: RtmpOptions, publish: boolean): NativeOpenParams {
  const timeoutMs = checkNumber(options, 'timeout', 1, 3_600_000) ?? DEFAULT_TIMEOUT_MS;
  const rtmpOptions: Array<[string, string]> = [];
  const add = (name: string, value: string | number | boolean | undefined): void => {
    if (value === undefined) return;
    rtmpOptions.push([name, typeof value === 'boolean' ? (value ? '1' : '0') : String(value)]);
  };
  add('app', checkString(options, 'app'));
  add('playpath', checkString(options, 'playpath'));
  add('tcUrl', checkString(options, 'tcUrl') ?? url.tcUrl);
  add('swfUrl', checkString(options, 'swfUrl'));
  add('pageUrl', checkString(options, 'pageUrl'));
  add('flashVer', checkString(options, 'flashVer'));
  add('subscribe', checkString(options, 'subscribe'));
  add('live', options.live);
  add('buffer', checkNumber(options, 'buffer', 0, 3_600_000));
  add('start', checkNumber(options, 'start', 0, 2 ** 31));
  add('stop', checkNumber(options, 'stop', 0, 2 ** 31));
  add('timeout', Math.max(1, Math.ceil(timeoutMs / 1000)));
  for (const c of options.conn ?? []) add('conn', c);
  const params: NativeOpenParams = {
    url: url.librtmpUrl,
    host: url.host,
    port: url.port,
    publish,
    timeoutMs,
    ...addressOptions(url, options),
    chunkSize: checkNumber(options, 'chunkSize', 128, 65536) ?? DEFAULT_CHUNK_SIZE,
    rtmpOptions,
    connectProperties: connectProperties(options),
  };
  if (usesTls(url.scheme)) {
    params.tls = nativeTlsOptions(options.tls);
    params.engine = nativeEngineOptions(options.engine);
  } else if (options.engine !== undefined) {
    nativeEngineOptions(options.engine); // still validated
  }
  return params;
}
