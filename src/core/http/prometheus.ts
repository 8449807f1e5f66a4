/**
 * /metrics in the Prometheus text format, through prom-client. The core's
 * MetricsRegistry stays the source of truth (plugins create series at any
 * time, with their own labels); each scrape copies its snapshot into a fresh
 * prom-client Registry and merges that with a long-lived one holding the
 * Node.js process metrics (collectDefaultMetrics).
 *
 * Mapping:
 *  - counters → counter, gauges → gauge, same names (`ogrt_…`) and labels;
 *  - sliding windows (batch durations) → gauges `<name>_min`, `_max`,
 *    `_median` and `_samples` (Prometheus has no "summary from outside");
 *  - EWMA rates of each component's processed counter →
 *    `ogrt_component_events_per_second{window="1m"|"5m"|"15m"}`.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricsRegistry } from '../metrics.ts';
import { RATE_WINDOWS, type RateTracker } from '../rates.ts';
import { rateKey, type ComponentRef } from './metrics-view.ts';

export const RATE_METRIC = 'ogrt_component_events_per_second';

export class PrometheusExporter {
  private readonly processRegistry = new Registry();

  constructor(
    private readonly registry: MetricsRegistry,
    private readonly tracker: RateTracker,
    private readonly components: readonly ComponentRef[],
  ) {
    collectDefaultMetrics({ register: this.processRegistry });
  }

  get contentType(): string {
    return this.processRegistry.contentType;
  }

  async render(): Promise<string> {
    const scrape = new Registry();
    const help = new Map(this.registry.list().map((f) => [f.name, f.help]));
    const snapshot = this.registry.snapshot();

    const byName = <T extends { name: string; labels: Record<string, string> }>(series: T[]) => {
      const out = new Map<string, T[]>();
      for (const s of series) {
        let list = out.get(s.name);
        if (list === undefined) out.set(s.name, (list = []));
        list.push(s);
      }
      return out;
    };

    for (const [name, series] of byName(snapshot.counters)) {
      const c = new Counter({ name, help: help.get(name) || name, labelNames: labelNames(series), registers: [scrape] });
      for (const s of series) c.inc(s.labels, s.value);
    }
    for (const [name, series] of byName(snapshot.gauges)) {
      const g = new Gauge({ name, help: help.get(name) || name, labelNames: labelNames(series), registers: [scrape] });
      for (const s of series) g.set(s.labels, s.value);
    }
    for (const [name, series] of byName(snapshot.windows)) {
      const names = labelNames(series);
      const about = help.get(name) || name;
      const min = new Gauge({ name: `${name}_min`, help: `${about} Minimum in the window.`, labelNames: names, registers: [scrape] });
      const max = new Gauge({ name: `${name}_max`, help: `${about} Maximum in the window.`, labelNames: names, registers: [scrape] });
      const median = new Gauge({ name: `${name}_median`, help: `${about} Median in the window.`, labelNames: names, registers: [scrape] });
      const samples = new Gauge({ name: `${name}_samples`, help: `${about} Samples in the window.`, labelNames: names, registers: [scrape] });
      for (const s of series) {
        samples.set(s.labels, s.count);
        if (s.min !== null) min.set(s.labels, s.min);
        if (s.max !== null) max.set(s.labels, s.max);
        if (s.median !== null) median.set(s.labels, s.median);
      }
    }
    const rates = new Gauge({
      name: RATE_METRIC,
      help: 'Records processed per second (inputs: passed to the pipeline; outputs: stored), exponentially weighted moving average over the window.',
      labelNames: ['component_kind', 'component_type', 'component_id', 'window'],
      registers: [scrape],
    });
    for (const c of this.components) {
      const r = this.tracker.rates(rateKey(c));
      for (const w of RATE_WINDOWS) {
        rates.set({ component_kind: c.kind, component_type: c.type, component_id: c.id, window: w.name }, r[w.name]);
      }
    }
    return Registry.merge([this.processRegistry, scrape]).metrics();
  }
}

function labelNames(series: readonly { labels: Record<string, string> }[]): string[] {
  const names = new Set<string>();
  for (const s of series) for (const k of Object.keys(s.labels)) names.add(k);
  return [...names].sort();
}
