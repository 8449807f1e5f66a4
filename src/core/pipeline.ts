/**
 * Inputs → filters → outputs. An input's ctx.emit(records, wireBytes) first
 * runs the records through the filters that apply to that input (filters.ts;
 * none by default), then offers what they pass on to every output's queue
 * (fan-out). Each output then batches and
 * sends on its own (output-runner.ts), so one slow output holds back the
 * others only once its own queue bound is reached (when_full = "block"), or
 * never (when_full = "drop_newest": it alone loses the records, counted).
 *
 * Records are shared between outputs: outputs must not modify them.
 */
import type { OgrtRecord } from './record.ts';
import { encodeRecords, type RecordEntry } from './record-json.ts';
import { componentLogger, componentName, type ServerLogger } from './logger.ts';
import { componentLabels, type MetricsRegistry } from './metrics.ts';
import { OgrtError } from './errors.ts';
import type { OutputRunner } from './output-runner.ts';
import { FilterChain, FiltersInFlight, type FilterStage } from './filters.ts';
import { checkSiteRecords } from './site-input-check.ts';

export type Emit = (records: readonly OgrtRecord[], wireBytes: number) => Promise<void> | undefined;

export interface DrainResult {
  /** True when every output queue emptied before the deadline. */
  readonly drained: boolean;
  /** Records each output could not deliver (0 when drained). */
  readonly unflushed: Readonly<Record<string, number>>;
}

export class Pipeline {
  private closed = false;
  private readonly filtersInFlight = new FiltersInFlight();

  constructor(
    readonly outputs: readonly OutputRunner[],
    private readonly log: ServerLogger,
    private readonly metrics: MetricsRegistry,
    readonly filters: readonly FilterStage[] = [],
  ) {}

  /**
   * The emit function handed to one input (its InputContext.emit).
   * `siteFile`: the file a site-written input was loaded from; its records
   * are checked against the record schema first (site-input-check.ts).
   */
  emitter(inputId: string, inputType: string, siteFile?: string): Emit {
    const labels = componentLabels('input', inputType, inputId);
    const sentEvents = this.metrics.counter('component_sent_events_total', 'Records the input passed to the pipeline.').get(labels);
    const sentBytes = this.metrics.counter('component_sent_event_bytes_total', 'Wire bytes of the records the input passed to the pipeline.').get(labels);
    const fanOut = this.fanOut(inputId);
    const stages = this.filters.filter((f) => f.appliesTo(inputId));
    const next = stages.length === 0 ? fanOut : new FilterChain(stages, fanOut, this.filtersInFlight).emit;
    const emit: Emit = (records, wireBytes) => {
      if (records.length === 0) return undefined;
      // After the shutdown deadline the queues refuse (and count) whatever comes; no filtering for that.
      if (this.closed) return fanOut(records, wireBytes);
      sentEvents.value += records.length;
      sentBytes.value += wireBytes;
      return next(records, wireBytes);
    };
    if (siteFile === undefined) return emit;
    return checkSiteRecords(emit, {
      component: componentName('input', inputType, inputId),
      plugin: siteFile,
      labels,
      log: componentLogger(this.log, 'input', inputType, inputId),
      metrics: this.metrics,
      outputs: this.outputs,
      closed: () => this.closed,
    });
  }

  /** Offers records to every output queue; what the filters passed on, or what the input emitted. */
  private fanOut(inputId: string): Emit {
    const outputs = this.outputs;
    return (records, wireBytes) => {
      const n = records.length;
      if (n === 0) return undefined;
      if (this.closed) {
        for (const o of outputs) o.queue.offer(records, wireBytes);
        const e = new OgrtError('OGRT_ERR_PIPELINE_CLOSED', [inputId, n]);
        this.log.error({ code: e.code, input: inputId, records: n }, e.message);
        return undefined;
      }
      let first: Promise<void> | undefined;
      let more: Promise<void>[] | undefined;
      // Encoded once for every output that takes JSON (record-json.ts).
      let encoded: RecordEntry[] | undefined;
      for (let i = 0; i < outputs.length; i++) {
        const o = outputs[i];
        const wait = o.takesJson ? o.queue.offer(records, wireBytes, (encoded ??= encodeRecords(records))) : o.queue.offer(records, wireBytes);
        if (wait === undefined) continue;
        if (first === undefined) first = wait;
        else (more ??= [first]).push(wait);
      }
      return more === undefined ? first : Promise.all(more).then(noop);
    };
  }

  /**
   * Sends everything still queued (partial batches at once, retrying as
   * configured) until every queue is empty or `deadline` (a Date.now() value)
   * passes; then stops all sending. Idempotent in effect: call once.
   * Batches still inside async filters reach the queues first.
   */
  async drain(deadline: number): Promise<DrainResult> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, deadline - Date.now()), false);
    });
    const emptied = this.filtersInFlight
      .idle()
      .then(() => Promise.all(this.outputs.map((o) => o.drain())))
      .then(() => true as const);
    const drained = await Promise.race([emptied, timedOut]);
    clearTimeout(timer);
    return { drained, unflushed: this.close() };
  }

  /** Records inside async filters right now (not yet in any output queue). */
  get recordsInFilters(): number {
    return this.filtersInFlight.records;
  }

  /** Stops every output's sending; returns what each still held. */
  close(): Record<string, number> {
    this.closed = true;
    const unflushed: Record<string, number> = {};
    for (const o of this.outputs) unflushed[o.config.id] = o.abort();
    return unflushed;
  }
}

function noop(): void {}
