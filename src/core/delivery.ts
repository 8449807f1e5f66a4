/**
 * Delivers one batch to an output until every record is stored or
 * dead-lettered: send, read the SendResult, back off and resend what must be
 * retried (same records, same uuids, attempt + 1). Records leave the queue's
 * bound only here (release), so whatever is still undelivered at a shutdown
 * deadline is what the server reports as not flushed (and, for a memory
 * buffer, writes to the dead-letter file: see Flight).
 *
 * Per-batch warnings (rejected, retried) are rate-limited per output and
 * kind (log-limiter.ts): a store that rejects every batch for a lasting
 * reason (a wrong index) must not flood the log. Counters are exact.
 */
import type { Batch, OutputInstance } from './plugin-api.ts';
import { isEncoded, jsonOf, recordsOf, type RecordEntry } from './record-json.ts';
import type { OutputSettings } from './config-schema.ts';
import type { BufferQueue, Taken } from './output-queue.ts';
import type { DeadLetterFile } from './dead-letter.ts';
import type { ServerLogger } from './logger.ts';
import type { LogLimiter } from './log-limiter.ts';
import type { Series, WindowSeries } from './metrics.ts';
import { DEAD_LETTERED_HELP, ERRORS_HELP, createStandardSeries, type DeadLetterReason, type MetricsRegistry } from './metrics.ts';
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
  private readonly errorSeries: Map<string, Series>;
  private readonly deadLettered = new Map<string, Series>();

  constructor(private readonly registry: MetricsRegistry, private readonly labels: Readonly<Record<string, string>>, disk = false) {
    this.sentEvents = registry.counter('component_sent_events_total', 'Records the output stored.').get(labels);
    this.sentBytes = registry.counter('component_sent_event_bytes_total', 'Wire bytes of the records the output stored.').get(labels);
    this.retries = registry.counter('component_retries_total', 'Batch sends that will be retried.').get(labels);
    this.retriedEvents = registry.counter('component_retried_events_total', 'Records in batch sends that will be retried.').get(labels);
    this.batchDuration = registry.window('component_batch_duration_seconds', 'Duration of send() calls (sliding window).').get(labels);
    this.errorSeries = createStandardSeries(registry, 'output', labels, { disk });
  }

  error(errorType: string, stage: string): void {
    const key = `${errorType}/${stage}`;
    let s = this.errorSeries.get(key);
    if (s === undefined) {
      s = this.registry.counter('component_errors_total', ERRORS_HELP).get({ ...this.labels, error_type: errorType, stage });
      this.errorSeries.set(key, s);
    }
    s.value++;
  }

  deadLetter(reason: DeadLetterReason, events: number): void {
    let s = this.deadLettered.get(reason);
    if (s === undefined) {
      s = this.registry.counter('component_dead_lettered_events_total', DEAD_LETTERED_HELP).get({ ...this.labels, reason });
      this.deadLettered.set(reason, s);
    }
    s.value += events;
  }
}

export interface DeliveryEnv {
  readonly id: string;
  readonly component: string;
  /** The output's current instance (an output whose start() timed out gets a new one). */
  readonly instance: OutputInstance;
  readonly settings: OutputSettings;
  readonly queue: BufferQueue;
  readonly deadLetters: DeadLetterFile;
  readonly log: ServerLogger;
  /** Per-batch warnings of this output, rate-limited by kind. */
  readonly limiter: LogLimiter;
  readonly metrics: OutputMetrics;
  /** Aborted at the shutdown deadline: stop retrying, leave the rest unflushed. */
  readonly signal: AbortSignal;
  readonly random?: () => number;
  /** Told after each send whether the store answered (ok, partial, reject) or not (retry, failure). */
  readonly onOutcome?: (answered: boolean) => void;
}

const NONE: readonly never[] = Object.freeze([]);
/** What a flight holds once its records are all acknowledged or dead-lettered. */
const NOTHING_LEFT = Object.freeze({ records: NONE, sizes: NONE, seqs: undefined });

interface Held {
  readonly records: readonly RecordEntry[];
  readonly sizes: readonly number[];
  readonly seqs: readonly number[] | undefined;
}

/**
 * The records one delivery still holds: sent, backing off, or being
 * dead-lettered, not yet acknowledged. At the shutdown deadline the runner
 * of a memory buffer takes its flights over (takenOver) to write them to the
 * dead-letter file; from then on the delivery no longer releases them from
 * the queue (a send that still succeeds is counted, and the record may then
 * be both stored and dead-lettered: twice, never zero times).
 */
export class Flight {
  /** Records, or their JSON for an output that takes JSON (record-json.ts). */
  records: readonly RecordEntry[];
  sizes: readonly number[];
  seqs: readonly number[] | undefined;
  bytes: number;
  /** A dead-letter write of some of `records` in progress; `done` resolves true once they are in the file. */
  writing: { readonly records: readonly RecordEntry[]; readonly done: Promise<boolean> } | undefined;
  takenOver = false;

  constructor(taken: Taken) {
    this.records = taken.records;
    this.sizes = taken.sizes;
    this.seqs = taken.seqs;
    this.bytes = taken.bytes;
  }

  hold(records: readonly RecordEntry[], sizes: readonly number[], seqs: readonly number[] | undefined): void {
    this.records = records;
    this.sizes = sizes;
    this.seqs = seqs;
    this.bytes = sum(sizes);
  }
}

export async function deliver(env: DeliveryEnv, flight: Flight): Promise<void> {
  const { retry } = env.settings;
  for (let attempt = 1; ; attempt++) {
    if (env.signal.aborted) return;
    const { records, sizes, seqs, bytes } = flight;
    const outcome = await sendOnce(env, makeBatch(records, bytes, attempt), records.length);
    let retryAfterMs: number | undefined;
    let reason: string;
    env.onOutcome?.(outcome.kind === 'ok' || outcome.kind === 'reject' || outcome.kind === 'partial');
    // The flight is updated in the same step as each release: a shutdown may take it over at any await.
    switch (outcome.kind) {
      case 'ok':
        acknowledge(env, flight, records.length, bytes, seqs);
        flight.hold(NOTHING_LEFT.records, NOTHING_LEFT.sizes, undefined);
        return;
      case 'reject':
        await deadLetter(env, flight, records, sizes, seqs, outcome.reason, 'rejected', NOTHING_LEFT);
        return;
      case 'partial': {
        const split = splitPartial(records, sizes, seqs, outcome.retry, outcome.rejected);
        acknowledge(env, flight, split.okEvents, split.okBytes, split.okSeqs);
        const retried = { records: split.retry, sizes: split.retrySizes, seqs: split.retrySeqs };
        if (split.rejected.length === 0) flight.hold(retried.records, retried.sizes, retried.seqs);
        else {
          flight.hold([...split.rejected, ...split.retry], [...split.rejectedSizes, ...split.retrySizes], concatSeqs(split.rejectedSeqs, split.retrySeqs));
          if (!(await deadLetter(env, flight, split.rejected, split.rejectedSizes, split.rejectedSeqs, split.rejectedReasons, 'rejected', retried))) return;
        }
        if (split.retry.length === 0) return;
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
      await deadLetter(env, flight, flight.records, flight.sizes, flight.seqs, `gave up after ${attempt} attempt(s): ${reason}`, 'max_attempts', NOTHING_LEFT);
      return;
    }
    const retried = flight.records.length;
    env.metrics.retries.value++;
    env.metrics.retriedEvents.value += retried;
    const delay = backoffDelay(attempt, retry, retryAfterMs, env.random);
    const e = new OgrtError('OGRT_ERR_OUTPUT_RETRY', [env.id, retried, attempt, reason]);
    env.limiter.warn('retry', { code: e.code, attempt, records: retried, delay_ms: delay }, e.message);
    if (!(await sleep(delay, env.signal))) return;
  }
}

const TIMED_OUT = Symbol('timed out');

/**
 * The Batch send() gets. For JSON entries `json` is set and `records` is
 * built from it only if the output reads it (once per batch object).
 */
function makeBatch(entries: readonly RecordEntry[], bytes: number, attempt: number): Batch {
  if (!entries.some(isEncoded)) return Object.freeze({ records: entries as Batch['records'], bytes, attempt });
  const json = jsonOf(entries);
  let records: Batch['records'] | undefined;
  return Object.freeze({
    get records() {
      return (records ??= Object.freeze(recordsOf(entries)));
    },
    ...(json === undefined ? {} : { json }),
    bytes,
    attempt,
  });
}

async function sendOnce(env: DeliveryEnv, batch: Batch, count: number): Promise<Outcome> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const pending = Promise.resolve(env.instance.send(batch));
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(resolve, env.settings.send_timeout_ms, TIMED_OUT);
    });
    const result = await Promise.race([pending, timeout]);
    if (result === TIMED_OUT) {
      // The plugin may still settle later; that result is ignored.
      pending.catch(() => undefined);
      return { kind: 'failed', errorType: 'send_timeout', reason: `send() did not settle within ${env.settings.send_timeout_ms} ms` };
    }
    return checkSendResult(result, count);
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

function acknowledge(env: DeliveryEnv, flight: Flight, events: number, bytes: number, seqs: readonly number[] | undefined): void {
  if (events === 0) return;
  env.metrics.sentEvents.value += events;
  env.metrics.sentBytes.value += bytes;
  if (!flight.takenOver) env.queue.release(events, bytes, seqs);
}

/**
 * Writes dead letters, retrying the write itself until it works or the
 * shutdown deadline passes. True once the records are in the file; the
 * flight then holds `rest`.
 */
async function deadLetter(
  env: DeliveryEnv,
  flight: Flight,
  records: readonly RecordEntry[],
  sizes: readonly number[],
  seqs: readonly number[] | undefined,
  reasons: string | readonly string[],
  why: 'rejected' | 'max_attempts',
  rest: Held,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const done = env.deadLetters.write(records, reasons).then(
      () => true,
      (err: unknown) => {
        env.metrics.error('dead_letter_write_failed', 'sending');
        const e = new OgrtError('OGRT_ERR_DEAD_LETTER_WRITE', [env.id, env.deadLetters.path, (err as Error)?.message ?? String(err)], { cause: err });
        env.log.error({ code: e.code, records: records.length, err }, e.message);
        return false;
      },
    );
    flight.writing = { records, done };
    const written = await done;
    flight.writing = undefined;
    if (written) break;
    if (!(await sleep(backoffDelay(attempt, env.settings.retry), env.signal))) return false;
  }
  env.metrics.deadLetter(why, records.length);
  const summary = typeof reasons === 'string' ? reasons : reasons[0];
  const e = new OgrtError('OGRT_ERR_OUTPUT_REJECTED', [env.id, records.length, env.deadLetters.path, summary]);
  env.limiter.warn(why, { code: e.code, records: records.length, reason: why }, e.message);
  if (!flight.takenOver) env.queue.release(records.length, sum(sizes), seqs);
  flight.hold(rest.records, rest.sizes, rest.seqs);
  return true;
}

interface PartialSplit {
  okEvents: number;
  okBytes: number;
  okSeqs: number[] | undefined;
  retry: RecordEntry[];
  retrySizes: number[];
  retrySeqs: number[] | undefined;
  rejected: RecordEntry[];
  rejectedSizes: number[];
  rejectedSeqs: number[] | undefined;
  rejectedReasons: string[];
}

function splitPartial(
  records: readonly RecordEntry[],
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

function concatSeqs(a: readonly number[] | undefined, b: readonly number[] | undefined): number[] | undefined {
  return a === undefined || b === undefined ? undefined : [...a, ...b];
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
