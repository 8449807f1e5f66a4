/**
 * The filter chain: between an input's ctx.emit() and the fan-out to the
 * output queues, each batch goes through the `[filters.NAME]` that apply to
 * that input, in file order. A filter returns the records to pass on.
 *
 * Containment: process() that throws, rejects, outlives its timeout_ms or
 * returns anything but an array of valid records is counted
 * (component_errors_total{error_type, stage="processing"}), logged with the
 * filter's name (at most every 10 s per kind of error, with the number of
 * occurrences in between), and the batch goes on as that filter received
 * it. The server must never lose a record because of a plugin; a filter
 * that fails therefore fails open.
 *
 * Backpressure: a batch whose filters are all synchronous is offered to the
 * outputs at once, so emit() returns what the queues return. Otherwise
 * emit() returns a promise that settles once the filtered records are in
 * every output queue; inputs pause reading until then, exactly as for a full
 * queue. Batches of one input are processed one after the other, in order.
 */
import type { ComponentMetrics, FilterContext, FilterInstance, FilterPluginDefinition, MetricLabels } from './plugin-api.ts';
import type { OgrtRecord } from './record.ts';
import type { FilterConfig } from './filters-config.ts';
import type { Emit } from './pipeline.ts';
import { componentLogger, componentName, errorFields, type ServerLogger } from './logger.ts';
import { componentLabels, type MetricsRegistry, type Series } from './metrics.ts';
import { OgrtError } from './errors.ts';
import { checkFilterResult, firstInvalidRecord } from './filters-check.ts';

/** Each kind of filter failure is logged at most this often per filter. */
const FAILURE_LOG_INTERVAL_MS = 10_000;

export type FilterErrorType = 'process_failed' | 'process_timeout' | 'invalid_result';

export interface FilterDeps {
  readonly logger: ServerLogger;
  readonly metrics: MetricsRegistry;
  readonly signal: AbortSignal;
  readonly configDir: string;
}

/** One configured filter: its instance, settings, counters and failure log. */
export class FilterStage {
  readonly component: string;
  readonly log: ServerLogger;
  /** Only filters whose start() succeeded are stopped. */
  started = false;
  private readonly labels: MetricLabels;
  private readonly received: Series;
  private readonly sent: Series;
  private readonly discarded: Series;
  private readonly errors = new Map<string, Series>();
  private readonly failures = new Map<string, { last: number; suppressed: number }>();

  constructor(readonly config: FilterConfig, readonly instance: FilterInstance, log: ServerLogger, private readonly registry: MetricsRegistry) {
    this.component = componentName('filter', config.plugin.type, config.id);
    this.log = log;
    this.labels = componentLabels('filter', config.plugin.type, config.id);
    this.received = registry.counter('component_received_events_total', 'Records accepted into the component.').get(this.labels);
    this.sent = registry.counter('component_sent_events_total', 'Records the component passed on.').get(this.labels);
    this.discarded = registry
      .counter('component_discarded_events_total', 'Records not delivered, by reason.')
      .get({ ...this.labels, reason: 'filtered' });
  }

  get id(): string {
    return this.config.id;
  }

  get timeoutMs(): number {
    return this.config.settings.timeout_ms;
  }

  appliesTo(inputId: string): boolean {
    const inputs = this.config.settings.inputs;
    return inputs === undefined || inputs.includes(inputId);
  }

  /** The result of one process() call (already settled); returns what goes on. */
  accept(result: unknown, given: readonly OgrtRecord[]): readonly OgrtRecord[] {
    const checked = checkFilterResult(result);
    if (!checked.ok) {
      // Records that were invalid before this filter saw them are not its fault: pass its result on.
      if (!Array.isArray(result) || firstInvalidRecord(given) === undefined) {
        this.failed('invalid_result', checked.reason, given);
        return given;
      }
      return result as readonly OgrtRecord[];
    }
    const out = checked.records;
    this.sent.value += out.length;
    if (out.length < given.length) this.discarded.value += given.length - out.length;
    return out;
  }

  countIn(records: number): void {
    this.received.value += records;
  }

  /** Counts and (rate-limited) logs a failure; the batch passes on unfiltered. */
  failed(errorType: FilterErrorType, reason: string, given: readonly OgrtRecord[], err?: unknown): void {
    this.sent.value += given.length;
    let series = this.errors.get(errorType);
    if (series === undefined) {
      series = this.registry.counter('component_errors_total', 'Errors by type and stage.').get({ ...this.labels, error_type: errorType, stage: 'processing' });
      this.errors.set(errorType, series);
    }
    series.value++;

    const now = Date.now();
    const state = this.failures.get(errorType);
    if (state !== undefined && now - state.last < FAILURE_LOG_INTERVAL_MS) {
      state.suppressed++;
      return;
    }
    const suppressed = state?.suppressed ?? 0;
    this.failures.set(errorType, { last: now, suppressed: 0 });
    const e = new OgrtError('OGRT_ERR_FILTER_FAILED', [this.component, reason, given.length], { cause: err });
    const fields: Record<string, unknown> = { code: e.code, error_type: errorType, records: given.length };
    if (err !== undefined) fields.err = errorFields(err).err;
    if (suppressed > 0) fields.suppressed = suppressed;
    this.log.error(fields, suppressed > 0 ? `${e.message} (and ${suppressed} more time(s) since the last report)` : e.message);
  }
}

/** Creates the instance of one `[filters.NAME]`; throws OGRT_ERR_PLUGIN_CREATE / _CONTRACT. */
export function createFilterStage(config: FilterConfig, deps: FilterDeps): FilterStage {
  const log = componentLogger(deps.logger, 'filter', config.plugin.type, config.id);
  const component = componentName('filter', config.plugin.type, config.id);
  const ctx: FilterContext = {
    id: config.id,
    log,
    metrics: new FilterMetrics(deps.metrics, componentLabels('filter', config.plugin.type, config.id)),
    signal: deps.signal,
    configDir: deps.configDir,
  };
  let instance: unknown;
  try {
    instance = (config.plugin as FilterPluginDefinition).create(ctx, config.options);
  } catch (err) {
    throw err instanceof OgrtError ? err : new OgrtError('OGRT_ERR_PLUGIN_CREATE', [component, (err as Error)?.message ?? String(err)], { cause: err });
  }
  if (typeof (instance as Partial<FilterInstance> | null)?.process !== 'function') {
    throw new OgrtError('OGRT_ERR_PLUGIN_CONTRACT', [component, 'create() must return an object with process()']);
  }
  return new FilterStage(config, instance as FilterInstance, log, deps.metrics);
}

/** Batches still inside async filters, so shutdown can wait for them. */
export class FiltersInFlight {
  private batches = 0;
  private pendingRecords = 0;
  private waiters: (() => void)[] = [];

  get records(): number {
    return this.pendingRecords;
  }

  begin(records: number): void {
    this.batches++;
    this.pendingRecords += records;
  }

  end(records: number): void {
    this.batches--;
    this.pendingRecords -= records;
    if (this.batches > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves once no batch is inside a filter. */
  idle(): Promise<void> {
    if (this.batches === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** The filters of one input in front of the fan-out `next`. */
export class FilterChain {
  /** Settles once the previous async batch has been offered to the outputs. */
  private tail: Promise<void> | undefined;

  constructor(
    private readonly stages: readonly FilterStage[],
    private readonly next: Emit,
    private readonly inFlight: FiltersInFlight,
  ) {}

  readonly emit: Emit = (records, wireBytes) => {
    if (this.tail === undefined) {
      const out = runStages(this.stages, 0, records);
      if (!isThenable(out)) return this.next(out, scaledBytes(wireBytes, records.length, out.length));
      return this.offerLater(out, records.length, wireBytes);
    }
    const stages = this.stages;
    return this.offerLater(this.tail.then(() => runStages(stages, 0, records)), records.length, wireBytes);
  };

  private offerLater(filtered: Promise<readonly OgrtRecord[]>, given: number, wireBytes: number): Promise<void> {
    this.inFlight.begin(given);
    // Wrapped so the queue's own promise is not flattened into `offered`.
    const offered = filtered.then((out) => ({ admitted: this.next(out, scaledBytes(wireBytes, given, out.length)) }));
    const tail: Promise<void> = offered.then(noop, noop).then(() => {
      this.inFlight.end(given);
      if (this.tail === tail) this.tail = undefined;
    });
    this.tail = tail;
    return offered.then((o) => o.admitted);
  }
}

/** Runs stages[from..] over `records`; synchronous as long as the filters are. Never rejects. */
function runStages(stages: readonly FilterStage[], from: number, records: readonly OgrtRecord[]): readonly OgrtRecord[] | Promise<readonly OgrtRecord[]> {
  for (let i = from; i < stages.length && records.length > 0; i++) {
    const stage = stages[i];
    stage.countIn(records.length);
    let result: unknown;
    try {
      result = stage.instance.process(records);
    } catch (err) {
      stage.failed('process_failed', `process() threw: ${messageOf(err)}`, records, err);
      continue;
    }
    if (isThenable(result)) return settleStage(stages, i, records, result);
    records = stage.accept(result, records);
  }
  return records;
}

const TIMED_OUT = Symbol('timed out');

async function settleStage(stages: readonly FilterStage[], i: number, records: readonly OgrtRecord[], pending: PromiseLike<unknown>): Promise<readonly OgrtRecord[]> {
  const stage = stages[i];
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(resolve, stage.timeoutMs, TIMED_OUT);
  });
  const settled = Promise.resolve(pending);
  let next = records;
  try {
    const result = await Promise.race([settled, late]);
    if (result === TIMED_OUT) {
      // It may still settle; that result is ignored.
      settled.then(noop, noop);
      stage.failed('process_timeout', `process() did not settle within timeout_ms = ${stage.timeoutMs}`, records);
    } else {
      next = stage.accept(result, records);
    }
  } catch (err) {
    stage.failed('process_failed', `process() rejected: ${messageOf(err)}`, records, err);
  } finally {
    clearTimeout(timer);
  }
  return runStages(stages, i + 1, next);
}

/** Wire bytes of what a filter passed on, in proportion to the records kept. */
function scaledBytes(wireBytes: number, given: number, kept: number): number {
  if (kept === given) return wireBytes;
  return given === 0 ? 0 : Math.round((wireBytes * kept) / given);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function messageOf(err: unknown): string {
  return (err as Error)?.message ?? String(err);
}

function noop(): void {}

/** ctx.metrics of a filter: every series carries the filter's component labels. */
class FilterMetrics implements ComponentMetrics {
  constructor(private readonly registry: MetricsRegistry, private readonly base: MetricLabels) {}

  increment(name: string, by = 1, labels?: MetricLabels): void {
    this.registry.counter(name).get(labels === undefined ? this.base : { ...labels, ...this.base }).value += by;
  }

  setGauge(name: string, value: number, labels?: MetricLabels): void {
    this.registry.gauge(name).get(labels === undefined ? this.base : { ...labels, ...this.base }).value = value;
  }
}
