/**
 * Logs a lasting problem once (a store down for an hour is one error line,
 * not one per retry) and its end once. Keys are bounded: one per condition.
 * For outputs that retry against a remote store (output-elasticsearch,
 * output-splunk); published in 'ogrt' for site outputs that do the same.
 */
import type { Logger } from './plugin-api.ts';

export class ProblemLog {
  private readonly active = new Set<string>();

  /** `resolvedMessage` is logged (info) once when the problems end, e.g. 'store accepts requests again'. */
  constructor(
    private readonly log: Logger,
    private readonly id: string,
    private readonly resolvedMessage: string,
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
    this.log.info({ output: this.id, resolved: [...this.active] }, this.resolvedMessage);
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
