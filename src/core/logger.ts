/**
 * Structured logs: pino, JSON lines on stderr (fd 2), one child logger per
 * component carrying `component: "<kind>:<type>:<id>"`.
 *
 * Secrets are never logged: any key named token/password/api_key/apiKey/
 * secret/authorization, at the top level or nested up to five levels deep in
 * a logged object, is replaced by "[redacted]".
 */
import pino, { type DestinationStream, type Logger as PinoLogger, type LevelWithSilent } from 'pino';

export type ServerLogger = PinoLogger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export const SECRET_KEYS: readonly string[] = ['token', 'password', 'api_key', 'apiKey', 'secret', 'authorization'];
const REDACT_DEPTH = 5;

export function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of SECRET_KEYS) {
    let prefix = '';
    for (let depth = 0; depth <= REDACT_DEPTH; depth++) {
      paths.push(prefix + key);
      prefix += '*.';
    }
  }
  return paths;
}

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Where lines go; stderr (fd 2, synchronous so nothing is lost at exit) by default. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): ServerLogger {
  const destination = options.destination ?? pino.destination({ fd: 2, sync: true });
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      redact: { paths: redactPaths(), censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

export function componentName(kind: string, type: string, id: string): string {
  return `${kind}:${type}:${id}`;
}

export function componentLogger(parent: ServerLogger, kind: string, type: string, id: string): ServerLogger {
  return parent.child({ component: componentName(kind, type, id) });
}

/** Error fields for a log line: code (when an OgrtError), message, cause chain. */
export function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const fields: Record<string, unknown> = { err };
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') fields.code = code;
    return fields;
  }
  return { err: { message: String(err) } };
}
