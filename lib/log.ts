// librtmp's log lines, delivered per connection to a JS logger — an option, a process-wide
// default (setLogger), or NODE_LIBRTMP_LOG=<level> for stderr. Lines are redacted before
// any logger sees them; the connection thread never waits for JS.
import { invalidArg } from './errors';

export type LogLevel = 'error' | 'warning' | 'info' | 'debug';

export interface LogEntry {
  level: LogLevel;
  message: string;
  /** The connection's URL, stream key masked. */
  url: string;
}

export type Logger = (entry: LogEntry) => void;

// librtmp's numbering: 0 critical, 1 error, 2 warning, 3 info, 4 debug.
const NATIVE_LEVELS: Record<LogLevel, number> = { error: 1, warning: 2, info: 3, debug: 4 };
const NAMES: LogLevel[] = ['error', 'error', 'warning', 'info', 'debug'];

interface LogConfig {
  logger: Logger;
  level: LogLevel;
}

let processDefault: LogConfig | undefined = fromEnvironment(process.env.NODE_LIBRTMP_LOG);

function fromEnvironment(value: string | undefined): LogConfig | undefined {
  if (!value || !(value in NATIVE_LEVELS)) return undefined;
  return {
    level: value as LogLevel,
    logger: (e) => process.stderr.write(`librtmp ${e.level}: ${e.url}: ${e.message}\n`),
  };
}

function checkLevel(level: unknown, name: string): LogLevel {
  if (typeof level !== 'string' || !(level in NATIVE_LEVELS)) {
    throw invalidArg(`${name} must be 'error', 'warning', 'info' or 'debug'`);
  }
  return level as LogLevel;
}

/** The logger for connections opened without one (null: none). */
export function setLogger(logger: Logger | null, level: LogLevel = 'info'): void {
  if (logger !== null && typeof logger !== 'function') throw invalidArg('setLogger() takes a function or null');
  processDefault = logger ? { logger, level: checkLevel(level, 'level') } : undefined;
}

/** What a connection hands to the addon: a (nativeLevel, line) handler and its level. */
export function nativeLogHandler(
  options: { logger?: Logger; logLevel?: LogLevel },
  redact: (text: string) => string,
  url: string,
): { handler: (level: number, line: string) => void; level: number } | undefined {
  if (options.logger !== undefined && typeof options.logger !== 'function') throw invalidArg('options.logger must be a function');
  const config = options.logger
    ? { logger: options.logger, level: options.logLevel === undefined ? 'info' : checkLevel(options.logLevel, 'options.logLevel') }
    : processDefault;
  if (!config) return undefined;
  const { logger } = config;
  return {
    level: NATIVE_LEVELS[config.level],
    handler: (level, line) => logger({ level: NAMES[Math.min(level, 4)] ?? 'debug', message: redact(line), url }),
  };
}
