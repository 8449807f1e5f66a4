/**
 * Logs a lasting problem once (a Splunk down for an hour is one error line,
 * not one per retry) and its end once. Keys are bounded: one per condition.
 */
import type { Logger } from '../../src/core/plugin-api.ts';

export class ProblemLog {
  private readonly active = new Set<string>();

  constructor(
    private readonly log: Logger,
    private readonly id: string,
  ) {}

  error(key: string, obj: object, msg: string): void {
    this.report('error', key, obj, msg);
  }

  warn(key: string, obj: object, msg: string): void {
    this.report('warn', key, obj, msg);
  }

  /** Everything works again: say so once. */
  clear(): void {
    if (this.active.size === 0) return;
    this.log.info({ output: this.id, resolved: [...this.active] }, 'HEC accepts events again');
    this.active.clear();
  }

  private report(level: 'error' | 'warn', key: string, obj: object, msg: string): void {
    if (this.active.has(key)) {
      this.log.debug(obj, msg);
      return;
    }
    this.active.add(key);
    this.log[level](obj, msg);
  }
}
