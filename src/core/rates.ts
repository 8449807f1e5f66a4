/**
 * Exponentially weighted moving-average rates over 1, 5 and 15 minutes, the
 * way Unix load averages and Dropwizard's Meter compute them: every TICK_MS
 * the events counted since the last tick become an instant rate, and each
 * average moves toward it by alpha = 1 - e^(-tick / window). The first tick
 * starts every average at the instant rate (Dropwizard), so a busy server
 * does not show 15 minutes of ramp-up.
 *
 * RateTracker samples monotonic counters (the metrics registry's `_total`
 * series) on a timer, so nothing is added to the hot path.
 */

export const TICK_MS = 5_000;

export const RATE_WINDOWS = Object.freeze([
  { name: '1m', minutes: 1 },
  { name: '5m', minutes: 5 },
  { name: '15m', minutes: 15 },
] as const);

export type RateWindow = (typeof RATE_WINDOWS)[number]['name'];

export interface Rates {
  /** Events per second, averaged over the last minute. */
  readonly '1m': number;
  readonly '5m': number;
  readonly '15m': number;
}

export const ZERO_RATES: Rates = Object.freeze({ '1m': 0, '5m': 0, '15m': 0 });

function alpha(minutes: number, tickMs: number): number {
  return 1 - Math.exp(-tickMs / (minutes * 60_000));
}

/** One exponentially weighted average; rate() is in events per second. */
export class Ewma {
  private readonly alpha: number;
  private readonly tickSeconds: number;
  private current = 0;
  private initialized = false;

  constructor(minutes: number, tickMs = TICK_MS) {
    this.alpha = alpha(minutes, tickMs);
    this.tickSeconds = tickMs / 1000;
  }

  /** Folds in the events counted during one tick. */
  tick(events: number): void {
    const instant = events / this.tickSeconds;
    if (this.initialized) {
      this.current += this.alpha * (instant - this.current);
    } else {
      this.current = instant;
      this.initialized = true;
    }
  }

  rate(): number {
    return this.current;
  }
}

/** 1m/5m/15m averages of one counter. */
export class Meter {
  private readonly averages: readonly [Ewma, Ewma, Ewma];

  constructor(tickMs = TICK_MS) {
    this.averages = [new Ewma(1, tickMs), new Ewma(5, tickMs), new Ewma(15, tickMs)];
  }

  tick(events: number): void {
    for (const a of this.averages) a.tick(events);
  }

  rates(): Rates {
    return { '1m': this.averages[0].rate(), '5m': this.averages[1].rate(), '15m': this.averages[2].rate() };
  }
}

interface Tracked {
  readonly read: () => number;
  readonly meter: Meter;
  last: number;
}

export interface RateTrackerOptions {
  tickMs?: number;
  /** Start the timer (unref'd); off in tests, which call tick() themselves. */
  timer?: boolean;
}

/**
 * Meters for named monotonic counters. `track(key, read)` registers a
 * counter once (later calls are no-ops); every tick reads each counter and
 * feeds the increase to its meter. A counter that went down (a restart of
 * its source) counts as starting over from 0.
 */
export class RateTracker {
  private readonly tracked = new Map<string, Tracked>();
  private readonly tickMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: RateTrackerOptions = {}) {
    this.tickMs = options.tickMs ?? TICK_MS;
    if (options.timer !== false) {
      this.timer = setInterval(() => this.tick(), this.tickMs);
      this.timer.unref();
    }
  }

  track(key: string, read: () => number): void {
    if (this.tracked.has(key)) return;
    this.tracked.set(key, { read, meter: new Meter(this.tickMs), last: read() });
  }

  tick(): void {
    for (const t of this.tracked.values()) {
      const now = t.read();
      const delta = now >= t.last ? now - t.last : now;
      t.last = now;
      t.meter.tick(delta);
    }
  }

  rates(key: string): Rates {
    return this.tracked.get(key)?.meter.rates() ?? ZERO_RATES;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
