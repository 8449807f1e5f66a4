/**
 * A plugin context without the core: records what a plugin logs, counts and
 * emits, so plugin tests can call create() directly.
 */
import type {
  ComponentMetrics, InputContext, Logger, MetricLabels, OgrtRecord, OutputContext,
} from '../../src/core/plugin-api.ts';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object | string;
  msg?: string;
}

export interface MetricCall {
  name: string;
  by: number;
  labels: MetricLabels;
}

export interface FakeContext {
  readonly ctx: InputContext & OutputContext;
  readonly logs: LogLine[];
  readonly metrics: MetricCall[];
  /** Last value of each gauge, keyed by name and labels (`name{k=v,...}`). */
  readonly gauges: Map<string, number>;
  /** Every emit() call, in order. */
  readonly emits: { records: OgrtRecord[]; wireBytes: number }[];
  /** All emitted records, flattened. */
  records(): OgrtRecord[];
  /** Sum of increments of `name` whose labels include `labels`. */
  count(name: string, labels?: MetricLabels): number;
  /** Log lines whose message matches. */
  logged(pattern: RegExp, level?: LogLine['level']): LogLine[];
  readonly abort: AbortController;
}

export interface FakeContextOptions {
  id?: string;
  configDir?: string;
  /** What emit() returns; default undefined (accepted at once). */
  emit?: (records: readonly OgrtRecord[], wireBytes: number) => Promise<void> | undefined;
  /** Also print log lines (debugging a test). */
  echo?: boolean;
}

export function fakeContext(options: FakeContextOptions = {}): FakeContext {
  const logs: LogLine[] = [];
  const metricCalls: MetricCall[] = [];
  const gauges = new Map<string, number>();
  const emits: { records: OgrtRecord[]; wireBytes: number }[] = [];
  const abort = new AbortController();
  const logAt = (level: LogLine['level']) => (obj: object | string, msg?: string) => {
    logs.push({ level, obj, msg });
    if (options.echo) console.log(level, JSON.stringify(obj), msg ?? '');
  };
  const log: Logger = { debug: logAt('debug'), info: logAt('info'), warn: logAt('warn'), error: logAt('error') };
  const metrics: ComponentMetrics = {
    increment(name, by = 1, labels = {}) {
      metricCalls.push({ name, by, labels });
    },
    setGauge(name, value, labels = {}) {
      gauges.set(gaugeKey(name, labels), value);
    },
  };
  const ctx: InputContext & OutputContext = {
    id: options.id ?? 'test',
    log,
    metrics,
    signal: abort.signal,
    configDir: options.configDir ?? process.cwd(),
    emit(records, wireBytes) {
      emits.push({ records: [...records], wireBytes });
      return options.emit?.(records, wireBytes);
    },
  };
  return {
    ctx,
    logs,
    metrics: metricCalls,
    gauges,
    emits,
    abort,
    records: () => emits.flatMap((e) => e.records),
    count(name, labels = {}) {
      let sum = 0;
      for (const m of metricCalls) {
        if (m.name !== name) continue;
        if (Object.entries(labels).every(([k, v]) => m.labels[k] === v)) sum += m.by;
      }
      return sum;
    },
    logged(pattern, level) {
      return logs.filter((l) => (level === undefined || l.level === level) && pattern.test(`${l.msg ?? ''} ${typeof l.obj === 'string' ? l.obj : JSON.stringify(l.obj)}`));
    },
  };
}

export function gaugeKey(name: string, labels: MetricLabels = {}): string {
  const inner = Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',');
  return inner === '' ? name : `${name}{${inner}}`;
}

/** Polls `cond` until it is true; throws with `what` after the deadline. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
