/** A server logger whose JSON lines are kept in memory for assertions. */
import { createLogger, type ServerLogger } from '../../src/core/logger.ts';

export interface LogRecord {
  level: string;
  msg?: string;
  code?: string;
  component?: string;
  [key: string]: unknown;
}

export interface CapturedLogs {
  readonly logger: ServerLogger;
  readonly lines: LogRecord[];
  /** Lines with this code (and, optionally, more matching fields). */
  withCode(code: string, fields?: Record<string, unknown>): LogRecord[];
  /** Lines whose msg matches. */
  matching(pattern: RegExp): LogRecord[];
}

export function captureLogs(level: 'debug' | 'info' | 'warn' = 'debug', echo = process.env.OGRT_TEST_ECHO_LOGS === '1'): CapturedLogs {
  const lines: LogRecord[] = [];
  const logger = createLogger({
    level,
    destination: {
      write(line: string): void {
        if (echo) process.stderr.write(line);
        lines.push(JSON.parse(line) as LogRecord);
      },
    },
  });
  return {
    logger,
    lines,
    withCode: (code, fields = {}) => lines.filter((l) => l.code === code && Object.entries(fields).every(([k, v]) => l[k] === v)),
    matching: (pattern) => lines.filter((l) => typeof l.msg === 'string' && pattern.test(l.msg)),
  };
}
