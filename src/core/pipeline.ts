/**
 * Inputs → outputs. An input's ctx.emit(records, wireBytes) offers the same
 * records to every output's queue (fan-out). Each output then batches and
 * sends on its own (output-runner.ts), so one slow output holds back the
 * others only once its own queue bound is reached (when_full = "block"), or
 * never (when_full = "drop_newest": it alone loses the records, counted).
 *
 * Records are shared between outputs: outputs must not modify them.
 */
import type { OgrtRecord } from './record.ts';
import type { ServerLogger } from './logger.ts';
import { componentLabels, type MetricsRegistry } from './metrics.ts';
import { OgrtError } from './errors.ts';
import type { OutputRunner } from './output-runner.ts';

export type Emit = (records: readonly OgrtRecord[], wireBytes: number) => Promise<void> | undefined;

export interface DrainResult {
  /** True when every output queue emptied before the deadline. */
  readonly drained: boolean;
  /** Records each output could not deliver (0 when drained). */
  readonly unflushed: Readonly<Record<string, number>>;
}

export class Pipeline {
  private closed = false;

  constructor(readonly outputs: readonly OutputRunner[], private readonly log: ServerLogger, private readonly metrics: MetricsRegistry) {}

  /** The emit function handed to one input (its InputContext.emit). */
  emitter(inputId: string, inputType: string): Emit {
    const labels = componentLabels('input', inputType, inputId);
    const sentEvents = this.metrics.counter('component_sent_events_total', 'Records the input passed to the pipeline.').get(labels);
    const sentBytes = this.metrics.counter('component_sent_event_bytes_total', 'Wire bytes of the records the input passed to the pipeline.').get(labels);
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
      sentEvents.value += n;
      sentBytes.value += wireBytes;
      let first: Promise<void> | undefined;
      let more: Promise<void>[] | undefined;
      for (let i = 0; i < outputs.length; i++) {
        const wait = outputs[i].queue.offer(records, wireBytes);
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
   */
  async drain(deadline: number): Promise<DrainResult> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, deadline - Date.now()), false);
    });
    const emptied = Promise.all(this.outputs.map((o) => o.drain())).then(() => true as const);
    const drained = await Promise.race([emptied, timedOut]);
    clearTimeout(timer);
    return { drained, unflushed: this.close() };
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
