/**
 * The server's own small metrics registry: counters, gauges and sliding-window
 * summaries, each a name plus bounded labels. Shaped like prom-client
 * (metric → labelled series) so a later exporter can walk `families()` and
 * register the same names there.
 *
 * Names are stored with the `ogrt_` namespace: plugins write
 * `component_errors_total`, the registry records `ogrt_component_errors_total`.
 * Hot paths bind a series once (`counter(name).series(labels)`) and then only
 * add numbers.
 */
import type { ComponentMetrics, MetricLabels } from './plugin-api.ts';

export const METRIC_NAMESPACE = 'ogrt_';

export type MetricType = 'counter' | 'gauge' | 'window';

export interface Series {
  readonly labels: MetricLabels;
  value: number;
}

export interface WindowSeries {
  readonly labels: MetricLabels;
  observe(value: number): void;
  summary(): WindowSummary;
}

export interface WindowSummary {
  count: number;
  min: number | null;
  max: number | null;
  median: number | null;
}

export interface MetricFamily {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
}

export interface MetricsSnapshot {
  counters: { name: string; labels: Record<string, string>; value: number }[];
  gauges: { name: string; labels: Record<string, string>; value: number }[];
  windows: ({ name: string; labels: Record<string, string> } & WindowSummary)[];
}

/** Samples kept per sliding-window series (e.g. the last 512 batch durations). */
export const DEFAULT_WINDOW_SIZE = 512;

class Family<S> {
  readonly series = new Map<string, S>();
  constructor(
    readonly name: string,
    readonly type: MetricType,
    readonly help: string,
    private readonly make: (labels: MetricLabels) => S,
  ) {}

  get(labels: MetricLabels = {}): S {
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (s === undefined) {
      s = this.make(Object.freeze({ ...labels }));
      this.series.set(key, s);
    }
    return s;
  }
}

class RingWindow implements WindowSeries {
  private readonly samples: number[] = [];
  private next = 0;
  constructor(readonly labels: MetricLabels, private readonly size: number) {}

  observe(value: number): void {
    if (this.samples.length < this.size) this.samples.push(value);
    else this.samples[this.next] = value;
    this.next = (this.next + 1) % this.size;
  }

  summary(): WindowSummary {
    const n = this.samples.length;
    if (n === 0) return { count: 0, min: null, max: null, median: null };
    const sorted = this.samples.slice().sort((a, b) => a - b);
    const mid = n >> 1;
    const median = n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    return { count: n, min: sorted[0], max: sorted[n - 1], median };
  }
}

export class MetricsRegistry {
  private readonly families = new Map<string, Family<Series> | Family<WindowSeries>>();

  counter(name: string, help = ''): Family<Series> {
    return this.family(name, 'counter', help, (labels) => ({ labels, value: 0 })) as Family<Series>;
  }

  gauge(name: string, help = ''): Family<Series> {
    return this.family(name, 'gauge', help, (labels) => ({ labels, value: 0 })) as Family<Series>;
  }

  window(name: string, help = '', size = DEFAULT_WINDOW_SIZE): Family<WindowSeries> {
    return this.family(name, 'window', help, (labels) => new RingWindow(labels, size)) as Family<WindowSeries>;
  }

  /** Metric families, for an exporter. */
  list(): MetricFamily[] {
    return [...this.families.values()].map((f) => ({ name: f.name, type: f.type, help: f.help }));
  }

  /**
   * Sum of every series of `name` whose labels include `labels` (a subset
   * match), e.g. value('ogrt_component_sent_events_total', { component_id: 'local' }).
   * 0 when nothing matches.
   */
  value(name: string, labels: MetricLabels = {}): number {
    const family = this.families.get(withNamespace(name));
    if (family === undefined || family.type === 'window') return 0;
    let sum = 0;
    for (const s of (family as Family<Series>).series.values()) if (matches(s.labels, labels)) sum += s.value;
    return sum;
  }

  /** Everything as plain JSON, sorted by name then labels. */
  snapshot(): MetricsSnapshot {
    const out: MetricsSnapshot = { counters: [], gauges: [], windows: [] };
    const names = [...this.families.keys()].sort();
    for (const name of names) {
      const family = this.families.get(name)!;
      const keys = [...family.series.keys()].sort();
      for (const key of keys) {
        const s = family.series.get(key)!;
        const labels = { ...s.labels };
        if (family.type === 'window') out.windows.push({ name, labels, ...(s as WindowSeries).summary() });
        else (family.type === 'counter' ? out.counters : out.gauges).push({ name, labels, value: (s as Series).value });
      }
    }
    return out;
  }

  /** Metrics handle for one plugin instance; every series carries the component labels. */
  forComponent(kind: 'input' | 'output', type: string, id: string): ComponentMetrics {
    return new ComponentMetricsImpl(this, componentLabels(kind, type, id));
  }

  private family<S>(name: string, type: MetricType, help: string, make: (labels: MetricLabels) => S): Family<S> {
    const full = withNamespace(name);
    const existing = this.families.get(full);
    if (existing !== undefined) {
      if (existing.type !== type) throw new TypeError(`metric ${full} is a ${existing.type}, not a ${type}`);
      return existing as unknown as Family<S>;
    }
    const family = new Family<S>(full, type, help, make);
    this.families.set(full, family as unknown as Family<Series>);
    return family;
  }
}

export function componentLabels(kind: string, type: string, id: string): MetricLabels {
  return Object.freeze({ component_kind: kind, component_type: type, component_id: id });
}

export const ERRORS_HELP = 'Errors by type and stage.';
export const DEAD_LETTERED_HELP = 'Records written to the dead-letter file.';

/**
 * The `[error_type, stage]` pairs the core itself counts in
 * `component_errors_total`, by component kind. Created at 0 when a component
 * is built (createStandardSeries), so that rate() and alerts see a series
 * before the first error. Plugins' own error types are created when first
 * counted.
 */
export const CORE_ERROR_TYPES = {
  input: [['invalid_record', 'receiving'], ['dead_letter_write_failed', 'receiving'], ['uncaught', 'running']],
  filter: [['process_failed', 'processing'], ['process_timeout', 'processing'], ['invalid_result', 'processing'], ['uncaught', 'running']],
  output: [
    ['start_failed', 'starting'],
    ['send_failed', 'sending'],
    ['send_timeout', 'sending'],
    ['invalid_result', 'sending'],
    ['dead_letter_write_failed', 'sending'],
    ['reopen_failed', 'sending'],
    ['flush_failed', 'flushing'],
    ['stop_failed', 'stopping'],
    ['uncaught', 'running'],
  ],
  /** Outputs with `buffer.type = "disk"`, besides the output ones. */
  disk: [['buffer_open_failed', 'buffering'], ['buffer_write_failed', 'buffering'], ['buffer_read_failed', 'buffering'], ['buffer_corrupt', 'buffering']],
} as const satisfies Record<string, readonly (readonly [string, string])[]>;

/** `reason` of `component_dead_lettered_events_total`. shutdown_timeout: memory buffers only (disk buffers keep theirs). */
export type DeadLetterReason = 'rejected' | 'max_attempts' | 'shutdown_timeout';

/**
 * Creates, at 0, the series the core writes for one component (see
 * CORE_ERROR_TYPES); for outputs also the dead-lettered reasons. Returns the
 * error series by `error_type/stage`, for callers that count them.
 */
export function createStandardSeries(
  registry: MetricsRegistry,
  kind: 'input' | 'filter' | 'output',
  labels: MetricLabels,
  options: { disk?: boolean } = {},
): Map<string, Series> {
  const errors = registry.counter('component_errors_total', ERRORS_HELP);
  const pairs: readonly (readonly [string, string])[] = kind === 'output' && options.disk === true ? [...CORE_ERROR_TYPES.output, ...CORE_ERROR_TYPES.disk] : CORE_ERROR_TYPES[kind];
  const byKey = new Map<string, Series>();
  for (const [errorType, stage] of pairs) byKey.set(`${errorType}/${stage}`, errors.get({ ...labels, error_type: errorType, stage }));
  if (kind === 'output') {
    const deadLettered = registry.counter('component_dead_lettered_events_total', DEAD_LETTERED_HELP);
    const reasons: DeadLetterReason[] = options.disk === true ? ['rejected', 'max_attempts'] : ['rejected', 'max_attempts', 'shutdown_timeout'];
    for (const reason of reasons) deadLettered.get({ ...labels, reason });
  }
  return byKey;
}

class ComponentMetricsImpl implements ComponentMetrics {
  constructor(private readonly registry: MetricsRegistry, private readonly base: MetricLabels) {}

  increment(name: string, by = 1, labels?: MetricLabels): void {
    this.registry.counter(name).get(labels === undefined ? this.base : { ...labels, ...this.base }).value += by;
  }

  setGauge(name: string, value: number, labels?: MetricLabels): void {
    this.registry.gauge(name).get(labels === undefined ? this.base : { ...labels, ...this.base }).value = value;
  }
}

function withNamespace(name: string): string {
  return name.startsWith(METRIC_NAMESPACE) ? name : METRIC_NAMESPACE + name;
}

function labelKey(labels: MetricLabels): string {
  const keys = Object.keys(labels).sort();
  let key = '';
  for (const k of keys) key += `${k}=${JSON.stringify(labels[k])},`;
  return key;
}

function matches(labels: MetricLabels, wanted: MetricLabels): boolean {
  for (const k in wanted) if (labels[k] !== wanted[k]) return false;
  return true;
}
