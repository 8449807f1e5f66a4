/**
 * Rate-limited warnings: a port that receives other programs' syslog, or a
 * broken relay, must not turn into an error storm in the server's log. Per
 * kind of event, at most one line per interval; the line carries how many
 * similar events were suppressed since the last one. Counters (metrics) are
 * never rate-limited, only log lines.
 */
import type { Logger } from './core.ts';

export const DEFAULT_LOG_INTERVAL_MS = 10_000;

interface Slot {
  nextAt: number;
  suppressed: number;
}

export class LogLimiter {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = DEFAULT_LOG_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Logs `msg` with `fields` unless `kind` was logged less than intervalMs ago. */
  warn(kind: string, fields: Record<string, unknown>, msg: string): void {
    const t = this.now();
    let slot = this.slots.get(kind);
    if (slot === undefined) {
      slot = { nextAt: 0, suppressed: 0 };
      this.slots.set(kind, slot);
    }
    if (t < slot.nextAt) {
      slot.suppressed++;
      return;
    }
    const suppressed = slot.suppressed;
    slot.suppressed = 0;
    slot.nextAt = t + this.intervalMs;
    this.log.warn(suppressed > 0 ? { ...fields, kind, suppressed_since_last: suppressed } : { ...fields, kind }, msg);
  }
}
