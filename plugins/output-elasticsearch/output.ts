/**
 * The running output: prepares the store (server version, index template)
 * before the first bulk, sends one _bulk per batch and turns the answer into
 * a SendResult. It never throws out of start() or send(): a store that is
 * down, overloaded or refusing our credentials is a `retry`, so records wait
 * in the core's queue (and backpressure does its job) instead of being lost.
 */
import { ProblemLog, type Batch, type OgrtRecord, type OutputContext, type OutputInstance, type SendResult } from '../../src/core/plugin-api.ts';
import { readSecret, readSecretSync, type ResolvedConfig } from './config.ts';
import { acceptedCompatVersions, createStoreClient, toStoreError, type StoreClient, type StoreError } from './client.ts';
import { createBulkBuilder, readBulkResponse, type BulkBuilder } from './bulk.ts';
import { buildTemplate } from './template.ts';

interface RangeResult {
  retry: number[];
  rejected: { index: number; reason: string }[];
  reason?: string;
  retryAfterMs?: number;
}

export class ElasticsearchOutput implements OutputInstance {
  private client: StoreClient;
  private secret: string | undefined;
  private serverMajor = 0;
  private prepared = false;
  private preparing: Promise<SendResult | undefined> | undefined;
  private credentialsRefused = false;
  private readonly builder: BulkBuilder;
  private readonly problems: ProblemLog;

  constructor(
    private readonly ctx: OutputContext,
    private readonly cfg: ResolvedConfig,
  ) {
    this.secret = cfg.auth.kind === 'none' ? undefined : readSecretSync(cfg.auth.source);
    this.client = createStoreClient(cfg, this.secret);
    this.builder = createBulkBuilder(cfg);
    this.problems = new ProblemLog(ctx.log, ctx.id, 'store accepts requests again');
  }

  async start(): Promise<void> {
    const notReady = await this.prepareOnce();
    if (notReady !== undefined && notReady.status === 'retry') {
      this.ctx.log.warn({ error_type: 'unreachable', nodes: this.cfg.displayNodes, reason: notReady.reason }, 'store not ready at start; records wait in the queue, the template is installed before the first bulk');
    }
  }

  async send(batch: Batch): Promise<SendResult> {
    if (!this.prepared) {
      const notReady = await this.prepareOnce();
      if (notReady !== undefined) return notReady;
    }
    if (this.credentialsRefused) await this.reloadCredentials();
    const n = batch.records.length;
    const r = await this.sendRange(batch.records, 0, n);
    return toSendResult(r, n);
  }

  async stop(): Promise<void> {
    await this.client.close();
  }

  private prepareOnce(): Promise<SendResult | undefined> {
    this.preparing ??= this.prepare().finally(() => {
      this.preparing = undefined;
    });
    return this.preparing;
  }

  /** Server version, then template; undefined when ready, else the retry to return. */
  private async prepare(): Promise<SendResult | undefined> {
    if (this.prepared) return undefined;
    if (this.credentialsRefused) await this.reloadCredentials();
    let version = 'unknown';
    try {
      const info = await this.client.info();
      version = `${info.distribution} ${info.version}`;
      if (this.cfg.flavor === 'opensearch' && info.distribution !== 'opensearch') {
        this.problems.warn('distribution', { distribution: info.distribution }, `server reports distribution "${info.distribution}", not opensearch`);
      }
      this.serverMajor = Number.parseInt(info.version, 10) || 0;
      if (this.serverMajor > 0) this.client.setServerMajor(this.serverMajor);
    } catch (err) {
      const e = toStoreError(err);
      // GET / needs the `monitor` privilege, which a writer may lack: go on
      // without the version; compatible() learns it from the first refusal.
      if (!(e.kind === 'http' && e.status === 403)) return this.requestFailure(e, 'info');
    }

    const name = this.cfg.templateName;
    try {
      if (this.cfg.manageTemplate) {
        await this.compatible(() => this.client.putTemplate(name, buildTemplate(this.cfg)));
      } else if (!(await this.compatible(() => this.client.templateExists(name)))) {
        this.problems.warn('template-missing', { template: name }, `index template "${name}" does not exist (manage_template = false): new indexes get dynamic mappings`);
      }
    } catch (err) {
      const e = toStoreError(err);
      if (!this.cfg.manageTemplate && e.kind === 'http' && e.status === 403) {
        this.problems.warn('template-unverified', { template: name }, `cannot check index template "${name}" (403): assuming it is installed`);
      } else {
        if (e.kind === 'http' && (e.status === 400 || e.status === 403)) {
          this.problems.error('template', { error_type: 'template', template: name, status: e.status },
            `cannot install index template "${name}": ${e.message}${e.status === 403 ? ' (grant manage_index_templates or set manage_template = false)' : ''}; retrying, nothing is indexed without the mappings`);
          this.metric('template');
          return { status: 'retry', reason: `index template: ${e.message}` };
        }
        return this.requestFailure(e, 'template');
      }
    }
    this.prepared = true;
    this.problems.clear();
    this.ctx.log.info({ nodes: this.cfg.displayNodes, server: version, template: name, manage_template: this.cfg.manageTemplate }, 'store ready');
    return undefined;
  }

  private async sendRange(records: readonly OgrtRecord[], from: number, to: number): Promise<RangeResult> {
    const built = this.builder.build(records, from, to);
    const result: RangeResult = { retry: [], rejected: built.invalid };
    if (built.positions.length === 0) return result;
    let outcome;
    try {
      const resp = await this.compatible(() => this.client.bulk(built.body, this.cfg.pipeline, this.ctx.signal));
      outcome = readBulkResponse(resp, built.positions);
    } catch (err) {
      const e = toStoreError(err);
      if (e.kind === 'http' && e.status === 413) return this.tooLarge(records, from, to, e);
      const failure = this.requestFailure(e, 'bulk');
      if (failure.status === 'reject') {
        for (const i of built.positions) result.rejected.push({ index: i, reason: failure.reason });
      } else if (failure.status === 'retry') {
        result.retry.push(...built.positions);
        result.reason = failure.reason;
        result.retryAfterMs = failure.retryAfterMs;
      }
      return result;
    }
    this.problems.clear();
    result.retry.push(...outcome.retry);
    result.rejected.push(...outcome.rejected);
    if (outcome.errorTypes.size > 0) {
      const types = Object.fromEntries(outcome.errorTypes);
      this.ctx.log.warn({ retry: outcome.retry.length, rejected: outcome.rejected.length, error_types: types }, 'bulk: some documents were not stored');
      if (outcome.retry.length > 0) this.metric('item_retryable', outcome.retry.length);
      if (outcome.rejected.length > 0) this.metric('item_rejected', outcome.rejected.length);
      result.reason = `bulk item errors: ${JSON.stringify(types)}`;
    }
    if (outcome.duplicates > 0) this.ctx.metrics.increment('component_duplicate_events_total', outcome.duplicates);
    return result;
  }

  /** 413: the request exceeds http.max_content_length; halve it (the batch is still one send). */
  private async tooLarge(records: readonly OgrtRecord[], from: number, to: number, e: StoreError): Promise<RangeResult> {
    if (to - from === 1) {
      return { retry: [], rejected: [{ index: from, reason: `document larger than the store accepts (${e.message})` }] };
    }
    this.problems.warn('413', { status: 413 }, 'bulk request too large for the store (http.max_content_length): splitting it; lower the batch byte limit');
    const mid = from + Math.floor((to - from) / 2);
    const a = await this.sendRange(records, from, mid);
    const b = await this.sendRange(records, mid, to);
    return { retry: [...a.retry, ...b.retry], rejected: [...a.rejected, ...b.rejected], reason: a.reason ?? b.reason, retryAfterMs: a.retryAfterMs ?? b.retryAfterMs };
  }

  /**
   * Runs a request; if the server refused its REST compatibility headers and
   * named the versions it accepts, switches to the newest of those and runs
   * it once more. This is how the version is learnt when GET / is not allowed
   * (a writer role without the `monitor` privilege): client 9 asks for
   * compatible-with=9 by default, which Elasticsearch 8 refuses on every
   * request.
   */
  private async compatible<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      const e = toStoreError(err);
      const major = acceptedCompatVersions(e)[0];
      if (major === undefined || major === this.serverMajor) throw e;
      this.serverMajor = major;
      this.client.setServerMajor(major);
      this.ctx.log.info({ nodes: this.cfg.displayNodes, compatible_with: major }, `the store refused our REST compatibility headers and accepts ${major}; using REST compatibility ${major} from now on`);
      return request();
    }
  }

  /** Decides on a failed request (no per-item answer). */
  private requestFailure(e: StoreError, stage: string): Extract<SendResult, { status: 'retry' | 'reject' }> {
    const where = `${stage}: ${e.message}`;
    if (e.kind !== 'http') {
      if (e.kind === 'product') this.problems.error('product', { error_type: 'product', nodes: this.cfg.displayNodes }, e.message);
      else if (e.kind === 'other') this.problems.warn('other', { nodes: this.cfg.displayNodes, stage }, `unexpected failure, retrying: ${e.message}`);
      else this.problems.warn(`transport-${e.kind}`, { nodes: this.cfg.displayNodes, stage }, `store unreachable, retrying: ${e.message}`);
      this.metric(e.kind);
      return { status: 'retry', reason: where };
    }
    const status = e.status ?? 0;
    if (status === 401 || status === 403) {
      this.credentialsRefused = true;
      const source = this.cfg.auth.kind === 'none' ? 'no credentials configured' : this.cfg.auth.source.label;
      this.problems.error('auth', { error_type: 'auth', status, credentials: source, stage },
        `the store refused our credentials (${source}): ${e.message}; retrying, the secret is re-read before each try`);
      this.metric('auth');
      return { status: 'retry', reason: where };
    }
    if (status === 429 || status === 408 || status >= 500) {
      this.problems.warn(`http-${status}`, { status, stage }, `store answered ${status}, retrying: ${e.message}`);
      this.metric(status === 429 ? 'http_429' : 'http_5xx');
      return { status: 'retry', reason: where, retryAfterMs: e.retryAfterMs };
    }
    if (status === 400 && e.errorType !== 'media_type_header_exception') {
      this.metric('http_400');
      return { status: 'reject', reason: `store refused the request: ${where}` };
    }
    // 404, 405, header mismatches: a wrong url or proxy; an operator fixes it without losing records.
    this.problems.error(`http-${status}`, { error_type: 'http_4xx', status, stage, nodes: this.cfg.displayNodes }, `store answered ${status}: ${e.message}; check url; retrying`);
    this.metric('http_4xx');
    return { status: 'retry', reason: where };
  }

  /** After a 401/403, re-read the secret; a changed one gets a new client. */
  private async reloadCredentials(): Promise<void> {
    this.credentialsRefused = false;
    if (this.cfg.auth.kind === 'none') return;
    const secret = await readSecret(this.cfg.auth.source);
    if (secret === undefined || secret === this.secret) return;
    const old = this.client;
    this.secret = secret;
    this.client = createStoreClient(this.cfg, secret);
    if (this.serverMajor > 0) this.client.setServerMajor(this.serverMajor);
    this.ctx.log.info({ credentials: this.cfg.auth.source.label }, 'credentials changed; using the new ones');
    void old.close().catch(() => undefined);
  }

  private metric(errorType: string, by = 1): void {
    this.ctx.metrics.increment('component_errors_total', by, { error_type: errorType, stage: 'sending' });
  }
}

function toSendResult(r: RangeResult, total: number): SendResult {
  if (r.retry.length === 0 && r.rejected.length === 0) return { status: 'ok' };
  if (r.retry.length === total) return { status: 'retry', reason: r.reason ?? 'store did not take the batch', retryAfterMs: r.retryAfterMs };
  if (r.rejected.length === total && r.rejected.every((x) => x.reason === r.rejected[0].reason)) {
    return { status: 'reject', reason: r.rejected[0].reason };
  }
  return {
    status: 'partial',
    retry: r.retry.length > 0 ? r.retry : undefined,
    rejected: r.rejected.length > 0 ? r.rejected : undefined,
    reason: r.reason,
  };
}
