// Renders the nginx.conf of a test RTMP server (nginx + Debian's rtmp and stream modules).

export interface RtmpApplication {
  name: string;
  /** Directives inside `application NAME { … }`; default `live on;`. */
  directives?: string[];
}

export interface NginxTlsOptions {
  /** PEM certificate (chain) file and its key file. */
  cert: string;
  key: string;
  /** e.g. ['TLSv1.2']; default TLSv1.2 and TLSv1.3 (nginx alone stops at TLS 1.2). */
  protocols?: string[];
  /** OpenSSL cipher list for TLS ≤ 1.2 (`ssl_ciphers`). */
  ciphers?: string;
  /** OpenSSL TLS 1.3 suites (`ssl_conf_command Ciphersuites`). */
  ciphersuites?: string;
  /** More `ssl_conf_command NAME VALUE` lines, e.g. { Options: '-EncryptThenMac' }. */
  confCommands?: Record<string, string>;
  /** `ssl_session_tickets` (nginx's default: on, with keys made at start). */
  sessionTickets?: boolean;
  /** A server-side session cache (`ssl_session_cache shared:…`), for TLS 1.2 session ids. */
  sessionCache?: boolean;
  /** `ssl_session_timeout` (nginx's default 5m): how long sessions and tickets are good for. */
  sessionTimeout?: string;
}

export interface NginxConfigParams {
  modulesDir: string;
  prefix: string;
  errorLog: string;
  pidFile: string;
  /** `user` directive: only given when nginx runs as root. */
  workerUser?: { user: string; group: string };
  port: number;
  applications: RtmpApplication[];
  /** Directory for `record all`, and the marker command run when a recording is closed. */
  record?: { dir: string; doneCommand: string };
  idleStreams?: boolean;
  chunkSize?: number;
  maxMessage?: number | string;
  serverDirectives?: string[];
  tls?: NginxTlsOptions & { port: number; log: string };
}

/** Field order of the TLS front's access log, parsed back by nginx.ts. */
export const TLS_LOG_FIELDS = [
  'remote_port',
  'ssl_protocol',
  'ssl_cipher',
  'ssl_server_name',
  'status',
  'bytes_received',
  'bytes_sent',
  'ssl_session_reused',
] as const;

function directive(line: string): string {
  const trimmed = line.trim();
  return trimmed.endsWith(';') || trimmed.endsWith('}') ? trimmed : `${trimmed};`;
}

// nginx takes a string in double quotes with backslash escapes; paths are ours (temp dirs)
// but quoting keeps odd TMPDIRs working.
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function renderNginxConfig(p: NginxConfigParams): string {
  const lines: string[] = [];
  const add = (indent: number, text: string): void => {
    lines.push(`${'    '.repeat(indent)}${text}`);
  };

  add(0, `load_module ${quote(`${p.modulesDir}/ngx_rtmp_module.so`)};`);
  if (p.tls) add(0, `load_module ${quote(`${p.modulesDir}/ngx_stream_module.so`)};`);
  add(0, 'daemon off;');
  // A master with one worker, as in production: SIGTERM to the master stops both.
  add(0, 'master_process on;');
  add(0, 'worker_processes 1;');
  if (p.workerUser) add(0, `user ${p.workerUser.user} ${p.workerUser.group};`);
  add(0, `pid ${quote(p.pidFile)};`);
  add(0, `error_log ${quote(p.errorLog)} info;`);
  add(0, 'events { worker_connections 256; }');

  add(0, 'rtmp {');
  // Debian's default access log path is not writable for non-root users.
  add(1, 'access_log off;');
  add(1, 'server {');
  add(2, `listen 127.0.0.1:${p.port};`);
  if (p.chunkSize !== undefined) add(2, `chunk_size ${p.chunkSize};`);
  if (p.maxMessage !== undefined) add(2, `max_message ${p.maxMessage};`);
  if (p.idleStreams === false) add(2, 'idle_streams off;');
  if (p.record) {
    add(2, 'record all;');
    add(2, `record_path ${quote(p.record.dir)};`);
    // nginx-rtmp's exec takes no shell: the command and its arguments, with $path expanded.
    add(2, `exec_record_done ${p.record.doneCommand};`);
  }
  for (const extra of p.serverDirectives ?? []) add(2, directive(extra));
  for (const app of p.applications) {
    add(2, `application ${app.name} {`);
    for (const d of app.directives ?? ['live on;']) add(3, directive(d));
    add(2, '}');
  }
  add(1, '}');
  add(0, '}');

  if (p.tls) {
    const t = p.tls;
    add(0, 'stream {');
    add(1, `log_format tls_session '${TLS_LOG_FIELDS.map((f) => `$${f}`).join(' ')}';`);
    add(1, 'server {');
    add(2, `listen 127.0.0.1:${t.port} ssl;`);
    add(2, `ssl_certificate ${quote(t.cert)};`);
    add(2, `ssl_certificate_key ${quote(t.key)};`);
    add(2, `ssl_protocols ${(t.protocols ?? ['TLSv1.2', 'TLSv1.3']).join(' ')};`);
    if (t.ciphers !== undefined) add(2, `ssl_ciphers ${quote(t.ciphers)};`);
    if (t.ciphersuites !== undefined) {
      add(2, `ssl_conf_command Ciphersuites ${quote(t.ciphersuites)};`);
    }
    if (t.sessionTickets !== undefined) add(2, `ssl_session_tickets ${t.sessionTickets ? 'on' : 'off'};`);
    if (t.sessionCache) add(2, 'ssl_session_cache shared:tls_sessions:1m;');
    if (t.sessionTimeout !== undefined) add(2, `ssl_session_timeout ${t.sessionTimeout};`);
    for (const [name, value] of Object.entries(t.confCommands ?? {})) {
      add(2, `ssl_conf_command ${name} ${quote(value)};`);
    }
    add(2, `access_log ${quote(t.log)} tls_session;`);
    add(2, `proxy_pass 127.0.0.1:${p.port};`);
    add(1, '}');
    add(0, '}');
  }
  return `${lines.join('\n')}\n`;
}
