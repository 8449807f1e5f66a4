/**
 * Delivers one batch to an output until every record is stored or
 * dead-lettered: send, read the SendResult, back off and resend what must be
 * retried (same records, same uuids, attempt + 1). Records leave the queue's
 * bound only here (release), so whatever is still undelivered at a shutdown
 * deadline is what the server reports as not flushed.
 */
import type { Batch, OutputInstance } from './plugin-api.ts';
import type { OgrtRecord } from './record.ts';
import type { OutputSettings } from './config-schema.ts';
import type { BufferQueue, Taken } from './output-queue.ts';
import type { DeadLetterFile } from './dead-letter.ts';
import type { ServerLogger } from './logger.ts';
import type { Series, WindowSeries } from './metrics.ts';
import type { MetricsRegistry } from './metrics.ts';
import { OgrtError } from './errors.ts';
import { checkSendResult, type Outcome } from './send-result.ts';
import { backoffDelay, sleep } from './retry.ts';

/** Series bound once per output; the hot path only adds numbers. */
export class OutputMetrics {
  readonly sentEvents: Series;
  readonly sentBytes: Series;
  readonly retries: Series;
  readonly retriedEvents: Series;
  readonly batchDuration: WindowSeries;
  private readonly errorSeries = new Map<string, Series>();
  private readonly deadLettered = new Map<string, Series>();

  constructor(private readonly registry: MetricsRegistry, private readonly labels: Readonly<Record<string, string>>) {
    this.sentEvents = registry.counter('component_sent_events_total', 'Records the output stored.').get(labels);
    this.sentBytes = registry.counter('component_sent_event_bytes_total', 'Wire bytes of the records the output stored.').get(labels);
    this.retries = registry.counter('component_retries_total', 'Batch sends that will be retried.').get(labels);
    this.retriedEvents = registry.counter('component_retried_events_total', 'Records in batch sends that will be retried.').get(labels);
    this.batchDuration = registry.window('component_batch_duration_seconds', 'Duration of send() calls (sliding window).').get(labels);
  }

  error(errorType: string, stage: string): void {
    const key = `${errorType}/${stage}`;
    let s = this.errorSeries.get(key);
    if (s === undefined) {
      s = this.registry.counter('component_errors_total', 'Errors by type and stage.').get({ ...this.labels, error_type: errorType, stage });
      this.errorSeries.set(key, s);
    }
    s.value++;
  }

  deadLetter(reason: 'rejected' | 'max_attempts', events: number): void {
    let s = this.deadLettered.get(reason);
    if (s === undefined) {
      s = this.registry.counter('component_dead_lettered_events_total', 'Records written to the dead-letter file.').get({ ...this.labels, reason });
      this.deadLettered.set(reason, s);
    }
    s.value += events;
  }
}

export interface DeliveryEnv {
  readonly id: string;
  readonly component: string;
  readonly instance: OutputInstance;
  readonly settings: OutputSettings;
  readonly queue: BufferQueue;
  readonly deadLetters: DeadLetterFile;
  readonly log: ServerLogger;
  readonly metrics: OutputMetrics;
  /** Aborted at the shutdown deadline: stop retrying, leave the rest unflushed. */
  readonly signal: AbortSignal;
  readonly random?: () => number;
  /** Told after each send whether the store answered (ok, partial, reject) or not (retry, failure). */
  readonly onOutcome?: (answered: boolean) => void;
}

export async function deliver(env: DeliveryEnv, taken: Taken): Promise<void> {
  let records = taken.records;
  let sizes = taken.sizes;
  let seqs = taken.seqs;
  let bytes = taken.bytes;
  const { retry } = env.settings;
  for (let attempt = 1; ; attempt++) {
    if (env.signal.aborted) return;
    const outcome = await sendOnce(env, { records, bytes, attempt });
    let retryAfterMs: number | undefined;
    let reason: string;
    env.onOutcome?.(outcome.kind === 'ok' || outcome.kind === 'reject' || outcome.kind === 'partial');
    switch (outcome.kind) {
      case 'ok':
        acknowledge(env, records.length, bytes, seqs);
        return;
      case 'reject':
        await deadLetter(env, records, sizes, seqs, outcome.reason, 'rejected');
        return;
      case 'partial': {
        const split = splitPartial(records, sizes, seqs, outcome.retry, outcome.rejected);
        acknowledge(env, split.okEvents, split.okBytes, split.okSeqs);
        if (split.rejected.length > 0) await deadLetter(env, split.rejected, split.rejectedSizes, split.rejectedSeqs, split.rejectedReasons, 'rejected');
        if (split.retry.length === 0) return;
        records = split.retry;
        sizes = split.retrySizes;
        seqs = split.retrySeqs;
        bytes = sum(sizes);
        reason = outcome.reason;
        break;
      }
      case 'retry':
        reason = outcome.reason;
        retryAfterMs = outcome.retryAfterMs;
        break;
      case 'failed':
        reason = outcome.reason;
        reportFailure(env, outcome, records.length, attempt);
        break;
    }
    if (retry.max_attempts > 0 && attempt >= retry.max_attempts) {
      await deadLetter(env, records, sizes, seqs, `gave up after ${attempt} attempt(s): ${reason}`, 'max_attempts');
      return;
    }
    env.metrics.retries.value++;
    env.metrics.retriedEvents.value += records.length;
    const delay = backoffDelay(attempt, retry, retryAfterMs, env.random);
    env.log.warn(
      { code: 'OGRT_ERR_OUTPUT_RETRY', attempt, records: records.length, delay_ms: delay },
      new OgrtError('OGRT_ERR_OUTPUT_RETRY', [env.id, records.length, attempt, reason]).message,
    );
    if (!(await sleep(delay, env.signal))) return;
  }
}

const TIMED_OUT = Symbol('timed out');

async function sendOnce(env: DeliveryEnv, batch: Batch): Promise<Outcome> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const pending = Promise.resolve(env.instance.send(Object.freeze(batch)));
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(resolve, env.settings.send_timeout_ms, TIMED_OUT);
    });
    const result = await Promise.race([pending, timeout]);
    if (result === TIMED_OUT) {
      // The plugin may still settle later; that result is ignored.
      pending.catch(() => undefined);
      return { kind: 'failed', errorType: 'send_timeout', reason: `send() did not settle within ${env.settings.send_timeout_ms} ms` };
    }
    return checkSendResult(result, batch.records.length);
  } catch (err) {
    return { kind: 'failed', errorType: 'send_failed', reason: (err as Error)?.message ?? String(err), error: err };
  } finally {
    clearTimeout(timer);
    env.metrics.batchDuration.observe((performance.now() - started) / 1000);
  }
}

function reportFailure(env: DeliveryEnv, outcome: Extract<Outcome, { kind: 'failed' }>, records: number, attempt: number): void {
  env.metrics.error(outcome.errorType, 'sending');
  const fields = { attempt, records, error_type: outcome.errorType };
  if (outcome.errorType === 'send_timeout') {
    const e = new OgrtError('OGRT_ERR_OUTPUT_SEND_TIMEOUT', [env.id, env.settings.send_timeout_ms]);
    env.log.error({ ...fields, code: e.code }, e.message);
  } else if (outcome.errorType === 'invalid_result') {
    const e = new OgrtError('OGRT_ERR_PLUGIN_CONTRACT', [env.component, outcome.reason]);
    env.log.error({ ...fields, code: e.code }, `${e.message}; the batch will be retried`);
  } else {
    const e = new OgrtError('OGRT_ERR_OUTPUT_SEND', [env.id, outcome.reason], { cause: outcome.error });
    env.log.error({ ...fields, code: e.code, err: outcome.error }, `${e.message}; send() threw, the batch will be retried`);
  }
}

function acknowledge(env: DeliveryEnv, events: number, bytes: number, seqs: readonly number[] | undefined): void {
  if (events === 0) return;
  env.metrics.sentEvents.value += events;
  env.metrics.sentBytes.value += bytes;
  env.queue.release(events, bytes, seqs);
}

/** Writes dead letters, retrying the write itself until it works or the shutdown deadline passes. */
async function deadLetter(
  env: DeliveryEnv,
  records: readonly OgrtRecord[],
  sizes: readonly number[],
  seqs: readonly number[] | undefined,
  reasons: string | readonly string[],
  why: 'rejected' | 'max_attempts',
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await env.deadLetters.write(records, reasons);
      break;
    } catch (err) {
      env.metrics.error('dead_letter_write_failed', 'sending');
      const e = new OgrtError('OGRT_ERR_DEAD_LETTER_WRITE', [env.id, env.deadLetters.path, (err as Error).message], { cause: err });
      env.log.error({ code: e.code, records: records.length, err }, e.message);
      if (!(await sleep(backoffDelay(attempt, env.settings.retry), env.signal))) return;
    }
  }
  env.metrics.deadLetter(why, records.length);
  const summary = typeof reasons === 'string' ? reasons : reasons[0];
  const e = new OgrtError('OGRT_ERR_OUTPUT_REJECTED', [env.id, records.length, env.deadLetters.path, summary]);
  env.log.warn({ code: e.code, records: records.length, reason: why }, e.message);
  env.queue.release(records.length, sum(sizes), seqs);
}

interface PartialSplit {
  okEvents: number;
  okBytes: number;
  okSeqs: number[] | undefined;
  retry: OgrtRecord[];
  retrySizes: number[];
  retrySeqs: number[] | undefined;
  rejected: OgrtRecord[];
  rejectedSizes: number[];
  rejectedSeqs: number[] | undefined;
  rejectedReasons: string[];
}

function splitPartial(
  records: readonly OgrtRecord[],
  sizes: readonly number[],
  seqs: readonly number[] | undefined,
  retry: readonly number[],
  rejected: readonly { index: number; reason: string }[],
): PartialSplit {
  const withSeqs = seqs !== undefined;
  const out: PartialSplit = {
    okEvents: 0, okBytes: 0, okSeqs: withSeqs ? [] : undefined,
    retry: [], retrySizes: [], retrySeqs: withSeqs ? [] : undefined,
    rejected: [], rejectedSizes: [], rejectedSeqs: withSeqs ? [] : undefined, rejectedReasons: [],
  };
  const fate = new Map<number, string | null>();
  for (const i of retry) fate.set(i, null);
  for (const r of rejected) fate.set(r.index, r.reason);
  for (let i = 0; i < records.length; i++) {
    const f = fate.get(i);
    if (f === undefined) {
      out.okEvents++;
      out.okBytes += sizes[i];
      out.okSeqs?.push(seqs![i]);
    } else if (f === null) {
      out.retry.push(records[i]);
      out.retrySizes.push(sizes[i]);
      out.retrySeqs?.push(seqs![i]);
    } else {
      out.rejected.push(records[i]);
      out.rejectedSizes.push(sizes[i]);
      out.rejectedSeqs?.push(seqs![i]);
      out.rejectedReasons.push(f);
    }
  }
  return out;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
