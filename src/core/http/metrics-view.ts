/**
 * The metrics the dashboard shows, per input and per output — the table of
 * the 2017 dashboard (processed, rates 1m/5m/15m, batch duration
 * min/max/median) and more (queue depth, buffer bytes, dropped, dead
 * letters, retries, errors) — computed from the core's MetricsRegistry.
 * Rates are EWMAs of the "processed" counter (src/core/rates.ts), ticking
 * every 5 s while the HTTP server runs.
 */
import type { MetricsRegistry, MetricsSnapshot } from '../metrics.ts';
import { RateTracker, type Rates } from '../rates.ts';

export interface ComponentRef {
  readonly kind: 'input' | 'output';
  readonly type: string;
  readonly id: string;
}

export interface DurationSummary {
  /** Send() calls in the sliding window. */
  readonly count: number;
  readonly min_ms: number | null;
  readonly max_ms: number | null;
  readonly median_ms: number | null;
}

export interface InputMetrics {
  readonly id: string;
  readonly type: string;
  /** Records passed to the pipeline. */
  readonly processed: number;
  readonly processed_bytes: number;
  /** Records per second (EWMA). */
  readonly rate: Rates;
  readonly received_bytes: number;
  readonly discarded: number;
  readonly errors: number;
}

export interface OutputMetrics {
  readonly id: string;
  readonly type: string;
  /** Records stored. */
  readonly processed: number;
  readonly processed_bytes: number;
  readonly rate: Rates;
  readonly duration: DurationSummary;
  /** Records held: queued and in flight. */
  readonly queue_depth: number;
  readonly buffer_bytes: number;
  /** Records not delivered: queue full (drop_newest) or refused at shutdown. */
  readonly dropped: number;
  readonly dead_lettered: number;
  readonly retries: number;
  readonly errors: number;
}

export interface MetricsView {
  readonly time: string;
  readonly uptime_seconds: number;
  readonly inputs: InputMetrics[];
  readonly outputs: OutputMetrics[];
  /** Every series of the registry, for tools that want more. */
  readonly series: MetricsSnapshot;
}

/**
 * Every series the view reads, by the field it fills. A name the core does
 * not (or no longer) write would show as a silent 0, so the names live here,
 * typed, and test/core/http/metrics-wiring.test.ts checks that a server
 * through retries, dead letters, drops and errors registers each of them.
 */
export const VIEW_SERIES = Object.freeze({
  processed: 'ogrt_component_sent_events_total',
  processed_bytes: 'ogrt_component_sent_event_bytes_total',
  received_bytes: 'ogrt_component_received_bytes_total',
  discarded: 'ogrt_component_discarded_events_total',
  errors: 'ogrt_component_errors_total',
  queue_depth: 'ogrt_buffer_events',
  buffer_bytes: 'ogrt_buffer_bytes',
  dead_lettered: 'ogrt_component_dead_lettered_events_total',
  retries: 'ogrt_component_retries_total',
  duration: 'ogrt_component_batch_duration_seconds',
} as const);

export type ViewField = keyof typeof VIEW_SERIES;

/** The view fields of inputs, whose series the inputs write (received_bytes: the tcp/syslog inputs). */
export const INPUT_FIELDS: readonly ViewField[] = ['processed', 'processed_bytes', 'received_bytes', 'discarded', 'errors'];
export const OUTPUT_FIELDS: readonly ViewField[] = ['processed', 'processed_bytes', 'discarded', 'errors', 'queue_depth', 'buffer_bytes', 'dead_lettered', 'retries', 'duration'];

const PROCESSED = VIEW_SERIES.processed;

export function rateKey(c: ComponentRef): string {
  return `${c.kind}:${c.id}`;
}

/** Starts EWMA meters on every component's processed counter. */
export function trackRates(tracker: RateTracker, registry: MetricsRegistry, components: readonly ComponentRef[]): void {
  for (const c of components) {
    const labels = { component_kind: c.kind, component_id: c.id };
    tracker.track(rateKey(c), () => registry.value(PROCESSED, labels));
  }
}

/** Sums per component (kind:id) and metric name, from one snapshot. */
class ComponentSums {
  private readonly sums = new Map<string, Map<string, number>>();
  private readonly windows = new Map<string, Map<string, MetricsSnapshot['windows'][number]>>();

  constructor(snapshot: MetricsSnapshot) {
    for (const s of [...snapshot.counters, ...snapshot.gauges]) {
      const key = componentOf(s.labels);
      if (key === undefined) continue;
      let m = this.sums.get(key);
      if (m === undefined) this.sums.set(key, (m = new Map()));
      m.set(s.name, (m.get(s.name) ?? 0) + s.value);
    }
    for (const w of snapshot.windows) {
      const key = componentOf(w.labels);
      if (key === undefined) continue;
      let m = this.windows.get(key);
      if (m === undefined) this.windows.set(key, (m = new Map()));
      m.set(w.name, w);
    }
  }

  /** 0 when the component has no such series yet (e.g. no error so far). */
  get(c: ComponentRef, field: ViewField): number {
    return this.sums.get(rateKey(c))?.get(VIEW_SERIES[field]) ?? 0;
  }

  window(c: ComponentRef, field: ViewField): MetricsSnapshot['windows'][number] | undefined {
    return this.windows.get(rateKey(c))?.get(VIEW_SERIES[field]);
  }
}

function componentOf(labels: Record<string, string>): string | undefined {
  const kind = labels.component_kind;
  const id = labels.component_id;
  return kind === undefined || id === undefined ? undefined : `${kind}:${id}`;
}

export function metricsView(registry: MetricsRegistry, tracker: RateTracker, components: readonly ComponentRef[], startedAtMs: number): MetricsView {
  const snapshot = registry.snapshot();
  const sums = new ComponentSums(snapshot);
  const inputs: InputMetrics[] = [];
  const outputs: OutputMetrics[] = [];
  for (const c of components) {
    const g = (field: ViewField) => sums.get(c, field);
    if (c.kind === 'input') {
      inputs.push({
        id: c.id,
        type: c.type,
        processed: g('processed'),
        processed_bytes: g('processed_bytes'),
        rate: tracker.rates(rateKey(c)),
        received_bytes: g('received_bytes'),
        discarded: g('discarded'),
        errors: g('errors'),
      });
      continue;
    }
    const w = sums.window(c, 'duration');
    outputs.push({
      id: c.id,
      type: c.type,
      processed: g('processed'),
      processed_bytes: g('processed_bytes'),
      rate: tracker.rates(rateKey(c)),
      duration: {
        count: w?.count ?? 0,
        min_ms: ms(w?.min),
        max_ms: ms(w?.max),
        median_ms: ms(w?.median),
      },
      queue_depth: g('queue_depth'),
      buffer_bytes: g('buffer_bytes'),
      dropped: g('discarded'),
      dead_lettered: g('dead_lettered'),
      retries: g('retries'),
      errors: g('errors'),
    });
  }
  return {
    time: new Date().toISOString(),
    uptime_seconds: Math.round((Date.now() - startedAtMs) / 1000),
    inputs,
    outputs,
    series: snapshot,
  };
}

function ms(seconds: number | null | undefined): number | null {
  return seconds === null || seconds === undefined ? null : seconds * 1000;
}
