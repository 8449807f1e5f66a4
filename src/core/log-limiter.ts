/**
 * Rate-limited warnings, so a broken sender (or a port that receives other
 * programs' syslog), or a store that rejects every batch, cannot flood the
 * server's log. Per kind of problem, at most `burst` lines per interval; the
 * first line after a quiet period says how many similar lines were
 * suppressed, and summarize() reports what is still unreported when the
 * storm stops (with the `code` of the kind's lines, so a grep by code finds
 * it). Counters are never limited, only log lines.
 *
 * Used by inputs (ingest/, re-exported to plugins by plugin-kit.ts) and by
 * the core's per-batch output warnings (delivery.ts).
 */
import type { Logger } from './plugin-api.ts';

export const LOG_INTERVAL_MS = 10_000;
export const LOG_BURST = 5;

interface Slot {
  windowStart: number;
  logged: number;
  suppressed: number;
  /** The `code` field of the kind's lines, repeated on its summary line. */
  code: unknown;
}

export class LogLimiter {
  private readonly slots = new Map<string, Slot>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = LOG_INTERVAL_MS,
    private readonly burst = LOG_BURST,
    private readonly now: () => number = Date.now,
  ) {}

  warn(kind: string, fields: Record<string, unknown>, msg: string): void {
    const t = this.now();
    let slot = this.slots.get(kind);
    if (slot === undefined) {
      slot = { windowStart: t, logged: 0, suppressed: 0, code: undefined };
      this.slots.set(kind, slot);
    }
    slot.code = fields.code;
    if (t - slot.windowStart >= this.intervalMs) {
      slot.windowStart = t;
      slot.logged = 0;
    }
    if (slot.logged >= this.burst) {
      slot.suppressed++;
      return;
    }
    slot.logged++;
    const line: Record<string, unknown> = { ...fields, kind };
    if (slot.suppressed > 0) {
      line.suppressed = slot.suppressed;
      msg = `${msg} (suppressed ${slot.suppressed} similar messages)`;
      slot.suppressed = 0;
    }
    this.log.warn(line, msg);
  }

  /** Logs one summary line per kind whose suppressed lines were not reported yet. */
  summarize(): void {
    for (const [kind, slot] of this.slots) {
      if (slot.suppressed === 0) continue;
      const line: Record<string, unknown> = slot.code === undefined ? { kind, suppressed: slot.suppressed } : { code: slot.code, kind, suppressed: slot.suppressed };
      this.log.warn(line, `suppressed ${slot.suppressed} similar messages (${kind})`);
      slot.suppressed = 0;
    }
  }

  /** Summarize every interval, so suppressed lines are reported even when no new line comes. */
  startSummaries(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.summarize(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the periodic summaries and reports what is left. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.summarize();
  }
}
