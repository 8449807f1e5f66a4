/**
 * Records emitted by a site-written input are checked against the record
 * schema before filters and outputs see them. Outputs serialize records
 * with that schema, so a record outside it would be stored mangled by one
 * output and refused by another, and a filter would be blamed for it.
 * Built-in inputs are not checked: their codecs build records of the schema
 * by construction, and they are the hot path (about 2 µs per record here).
 *
 * An invalid record is counted on the input
 * (component_errors_total{error_type="invalid_record",stage="receiving"}),
 * logged rate-limited naming the plugin (OGRT_ERR_PLUGIN_CONTRACT), and
 * written with the reason to the dead-letter file of every output — the
 * outputs it was emitted for and will never reach. Until those lines are
 * written, emit() returns a promise (backpressure): an input that keeps
 * emitting garbage is slowed down instead of filling memory. A write that
 * fails is retried with the output's backoff, as for its own dead letters.
 */
import type { OgrtRecord } from './record.ts';
import type { ServerLogger } from './logger.ts';
import type { MetricsRegistry, Series } from './metrics.ts';
import type { MetricLabels } from './plugin-api.ts';
import type { OutputRunner } from './output-runner.ts';
import { OgrtError } from './errors.ts';
import { DeadLetterFile } from './dead-letter.ts';
import { backoffDelay } from './retry.ts';
import { firstInvalidRecord } from './filters-check.ts';
import { LogLimiter } from './ingest/log-limiter.ts';

type Emit = (records: readonly OgrtRecord[], wireBytes: number) => Promise<void> | undefined;

export interface SiteInputCheckOptions {
  /** `input:<type>:<id>`, for log lines. */
  readonly component: string;
  /** The file the plugin was loaded from. */
  readonly plugin: string;
  readonly labels: MetricLabels;
  /** The input's child logger. */
  readonly log: ServerLogger;
  readonly metrics: MetricsRegistry;
  readonly outputs: readonly OutputRunner[];
  /** True once the pipeline closed: dead-letter writes stop retrying. */
  readonly closed: () => boolean;
}

/** Wraps the emit of a site input: only valid records reach `next`. */
export function checkSiteRecords(next: Emit, opts: SiteInputCheckOptions): Emit {
  const check = new SiteInputCheck(opts);
  return (records, wireBytes) => check.emit(records, wireBytes, next);
}

class SiteInputCheck {
  private readonly invalid: Series;
  private readonly writeFailed: Series;
  private readonly limiter: LogLimiter;
  private deadLetters: { readonly file: DeadLetterFile; readonly runner: OutputRunner }[] | undefined;
  /** Reused: the validator takes an array. */
  private readonly one: unknown[] = [undefined];

  constructor(private readonly opts: SiteInputCheckOptions) {
    const errors = opts.metrics.counter('component_errors_total', 'Errors by type and stage.');
    this.invalid = errors.get({ ...opts.labels, error_type: 'invalid_record', stage: 'receiving' });
    this.writeFailed = errors.get({ ...opts.labels, error_type: 'dead_letter_write_failed', stage: 'receiving' });
    this.limiter = new LogLimiter(opts.log);
  }

  emit(records: readonly OgrtRecord[], wireBytes: number, next: Emit): Promise<void> | undefined {
    if (!Array.isArray(records)) {
      this.invalid.value++;
      this.report(1, `emit() was given ${records === null ? 'null' : typeof records}, not an array of records`);
      return undefined;
    }
    const bytes = Number.isFinite(wireBytes) && wireBytes > 0 ? wireBytes : 0;
    if (firstInvalidRecord(records) === undefined) return next(records, bytes);

    const valid: OgrtRecord[] = [];
    const rejected: OgrtRecord[] = [];
    const reasons: string[] = [];
    for (let i = 0; i < records.length; i++) {
      this.one[0] = records[i];
      const problem = firstInvalidRecord(this.one);
      if (problem === undefined) valid.push(records[i]);
      else {
        rejected.push(records[i]);
        reasons.push(`input ${this.opts.component} (${this.opts.plugin}) emitted an invalid record: ${problem.replace('records[0]', `records[${i}]`)}`);
      }
    }
    this.one[0] = undefined;
    this.invalid.value += rejected.length;
    this.report(rejected.length, reasons[0]);
    const written = this.deadLetter(rejected, reasons);
    const passed = valid.length === 0 ? undefined : next(valid, Math.round((bytes * valid.length) / records.length));
    return passed === undefined ? written : Promise.all([written, passed]).then(noop);
  }

  private report(records: number, reason: string): void {
    const e = new OgrtError('OGRT_ERR_PLUGIN_CONTRACT', [this.opts.component, `${reason}; ${records} record(s) dead-lettered, not passed on`]);
    this.limiter.warn('invalid_record', { code: e.code, plugin: this.opts.plugin, records }, e.message);
  }

  private deadLetter(records: readonly OgrtRecord[], reasons: readonly string[]): Promise<void> {
    this.deadLetters ??= this.opts.outputs.map((runner) => ({ file: new DeadLetterFile(runner.config.settings.dead_letter_path, runner.config.id), runner }));
    return Promise.all(this.deadLetters.map((d) => this.write(d.file, d.runner, records, reasons))).then(noop);
  }

  private async write(file: DeadLetterFile, runner: OutputRunner, records: readonly OgrtRecord[], reasons: readonly string[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await file.write(records, reasons);
        return;
      } catch (err) {
        this.writeFailed.value++;
        const e = new OgrtError('OGRT_ERR_DEAD_LETTER_WRITE', [runner.config.id, file.path, (err as Error)?.message ?? String(err)], { cause: err });
        this.opts.log.error({ code: e.code, records: records.length, err }, e.message);
        await delay(backoffDelay(attempt, runner.config.settings.retry));
        if (this.opts.closed()) return;
      }
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function noop(): void {}
