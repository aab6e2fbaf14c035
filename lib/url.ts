// RTMP URL parsing and validation, before anything reaches native code. The split into
// app and playpath follows librtmp's own rule so both sides agree; the playpath (the stream
// key on Facebook, YouTube, Twitch...) and any query string are treated as secrets.
import { ErrorCodes, RtmpError } from './errors';

export const schemes = ['rtmp', 'rtmps', 'rtmpe', 'rtmpt', 'rtmpte', 'rtmpts'] as const;
export type Scheme = (typeof schemes)[number];

const defaultPorts: Record<Scheme, number> = {
  rtmp: 1935,
  rtmps: 443,
  rtmpe: 1935,
  rtmpt: 80,
  rtmpte: 80,
  rtmpts: 443,
};

export interface ParsedRtmpUrl {
  scheme: Scheme;
  /** Host name or IP literal, without brackets. */
  host: string;
  port: number;
  app: string;
  /** The stream name / key, query included. A secret. */
  playpath: string;
  /** What librtmp's RTMP_SetupURL gets: the URL, with IPv6 literals replaced. */
  librtmpUrl: string;
  /** Set when librtmp cannot derive the tcUrl itself (IPv6 hosts). */
  tcUrl?: string;
  /** For messages: scheme://host:port/app/**** */
  redacted: string;
  /** Strings that must never appear in output. */
  secrets: string[];
}

/** C0 controls and DEL: librtmp treats parts of its input as C strings and option syntax. */
export function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function invalid(message: string): RtmpError {
  return new RtmpError(ErrorCodes.INVALID_URL, message);
}

function isTlsScheme(scheme: Scheme): boolean {
  return scheme === 'rtmps' || scheme === 'rtmpts';
}

export function usesTls(scheme: Scheme): boolean {
  return isTlsScheme(scheme);
}

// librtmp: app is app[/instance]: up to the first, second or third slash of the whole path
// (query included, as librtmp scans it), whichever is the last one there is.
function splitAppAndPlaypath(path: string): { app: string; playpath: string } {
  if (path.startsWith('ondemand/')) return { app: 'ondemand', playpath: path.slice(9) };
  let cut = -1;
  for (let i = 0, found = 0; i < path.length && found < 3; i++) {
    if (path[i] === '/') {
      cut = i;
      found++;
    }
  }
  if (cut < 0) return { app: path, playpath: '' };
  return { app: path.slice(0, cut), playpath: path.slice(cut + 1) };
}

// The stream name with and without its query, the queries whole, and each query value:
// servers echo any of them back in their own words.
function urlSecrets(playpath: string, appQuery: string): string[] {
  const secrets = [playpath];
  const cut = playpath.indexOf('?');
  const queries = [appQuery];
  if (cut >= 0) {
    secrets.push(playpath.slice(0, cut));
    queries.push(playpath.slice(cut + 1));
  }
  for (const query of queries.filter((q) => q.length > 0)) {
    secrets.push(query);
    for (const pair of query.split('&')) secrets.push(pair.slice(pair.indexOf('=') + 1));
  }
  return [...new Set(secrets.filter((s) => s.length > 0))];
}

export function parseRtmpUrl(input: unknown): ParsedRtmpUrl {
  if (typeof input !== 'string' && !(input instanceof URL)) {
    throw new RtmpError(ErrorCodes.INVALID_ARG, 'The URL must be a string or a URL object');
  }
  const url = String(input);
  if (/\s/.test(url) || hasControlCharacters(url)) {
    throw invalid('The URL contains white space or control characters');
  }
  const match = /^([a-zA-Z]+):\/\/(\[[^\]]*\]|[^/:?#]*)(?::(\d*))?(?:\/(.*))?$/.exec(url);
  if (!match) throw invalid('The URL is not of the form scheme://host[:port]/app/stream');
  const scheme = match[1].toLowerCase() as Scheme;
  if (!schemes.includes(scheme)) {
    throw invalid(`Unsupported URL scheme '${match[1]}' (supported: ${schemes.join(', ')})`);
  }
  let host = match[2];
  const bracketed = host.startsWith('[');
  if (bracketed) host = host.slice(1, -1);
  if (host === '') throw invalid('The URL has no host');
  if (!bracketed && host.includes(':')) throw invalid('IPv6 addresses in URLs must be in brackets');
  if (bracketed && !/^[0-9a-fA-F:.]+$/.test(host)) throw invalid('Invalid IPv6 address in the URL');
  let port = defaultPorts[scheme];
  if (match[3] !== undefined) {
    port = Number(match[3]);
    if (match[3] === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw invalid('The URL has an invalid port');
    }
  }
  const { app, playpath } = splitAppAndPlaypath(match[4] ?? '');
  if (app === '') throw invalid('The URL has no application name (scheme://host/app/stream)');
  if (playpath === '') throw invalid('The URL has no stream name (scheme://host/app/stream)');

  const authority = `${bracketed ? `[${host}]` : host}:${port}`;
  const query = app.indexOf('?');
  const secrets = urlSecrets(playpath, query >= 0 ? app.slice(query + 1) : '');
  const redactedApp = query >= 0 ? `${app.slice(0, query)}?****` : app;
  const parsed: ParsedRtmpUrl = {
    scheme,
    host,
    port,
    app,
    playpath,
    librtmpUrl: bracketed ? `${scheme}://ipv6-literal:${port}/${match[4]}` : url,
    redacted: `${scheme}://${authority}/${redactedApp}/****`,
    secrets,
  };
  if (bracketed) parsed.tcUrl = `${scheme}://${authority}/${app}`;
  return parsed;
}
