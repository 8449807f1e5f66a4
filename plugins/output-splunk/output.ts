/**
 * The running Splunk output: one HEC POST per batch; the HEC status code in
 * the answer body decides the SendResult:
 *   0                          → ok (with use_ack: once acknowledged)
 *   503 / 9 busy, 5xx, 429     → retry
 *   401/403, codes 1–4 (token) → retry, logged once while it lasts; the token
 *                                is re-read before each send until HEC takes
 *                                it, so fixing it loses nothing
 *   7 incorrect index          → events before `invalid-event-number` are
 *                                stored, that one and the rest rejected
 *                                (they carry the same index)
 *   6, 12, 13, 15 bad event    → before N stored, N rejected, after N retried
 *                                (HEC stops at the first bad event); without
 *                                N (not HEC's own answer) the batch is retried
 *   413                        → halved until it fits; one event alone: rejected
 *   3xx, 404/405, 10/11/14,    → retry, logged once (a URL, proxy or token
 *   4xx that is not HEC's        setting)
 * HEC cannot deduplicate: delivery is at least once (README).
 */
import { ProblemLog, type Batch, type OgrtRecord, type OutputContext, type OutputInstance, type SendResult } from '../../src/core/plugin-api.ts';
import { readToken, readTokenSync, type ResolvedConfig } from './config.ts';
import { HecClient, HecTransportError, type HecAnswer } from './client.ts';
import { createEventFormatter, type EventFormatter } from './format.ts';
import { AckPoller } from './acks.ts';

const TOKEN_CODES = new Set([1, 2, 3, 4]);
const BAD_EVENT_CODES = new Set([6, 12, 13, 15]);
const CONFIG_CODES = new Set([10, 11, 14, 16]);

interface RangeResult {
  retry: number[];
  rejected: { index: number; reason: string }[];
  reason?: string;
}

export class SplunkOutput implements OutputInstance {
  private readonly client: HecClient;
  private readonly format: EventFormatter;
  private readonly acks: AckPoller | undefined;
  private readonly problems: ProblemLog;
  private token: string;
  private tokenRefused = false;

  constructor(
    private readonly ctx: OutputContext,
    private readonly cfg: ResolvedConfig,
  ) {
    this.token = readTokenSync(cfg.token);
    this.client = new HecClient(cfg, this.token);
    this.format = createEventFormatter(cfg);
    this.problems = new ProblemLog(ctx.log, ctx.id, 'HEC accepts events again');
    this.acks = cfg.useAck
      ? new AckPoller(this.client, cfg.ackPollMs, cfg.ackTimeoutMs, (m) => this.problems.warn('ack-poll', {}, m))
      : undefined;
    // At the shutdown deadline: end waits for acks and requests in flight (their batches stay unflushed, not lost).
    const abort = () => {
      this.acks?.stop();
      this.client.abortInFlight();
    };
    if (ctx.signal.aborted) abort();
    else ctx.signal.addEventListener('abort', abort, { once: true });
  }

  /** Reports whether HEC is reachable; never fails the server. */
  async start(): Promise<void> {
    try {
      const h = await this.client.health();
      if (h.status === 200) this.ctx.log.info({ url: this.cfg.origin, health: h.body?.text }, 'HEC reachable');
      else this.ctx.log.warn({ url: this.cfg.origin, status: h.status, health: h.body?.text ?? h.text }, 'HEC not healthy at start; events wait in the queue');
    } catch (err) {
      this.ctx.log.warn({ error_type: 'unreachable', url: this.cfg.origin, reason: (err as Error).message }, 'HEC unreachable at start; events wait in the queue');
    }
  }

  async send(batch: Batch): Promise<SendResult> {
    if (this.tokenRefused) await this.reloadToken();
    const n = batch.records.length;
    return toSendResult(await this.sendRange(batch.records, 0, n), n);
  }

  async stop(): Promise<void> {
    this.acks?.stop();
    this.client.close();
  }

  private async sendRange(records: readonly OgrtRecord[], from: number, to: number): Promise<RangeResult> {
    let payload = '';
    for (let i = from; i < to; i++) payload += this.format(records[i]);
    let a: HecAnswer;
    try {
      a = await this.client.sendEvents(payload);
    } catch (err) {
      const e = err as HecTransportError;
      this.problems.warn(`transport-${e.errorCode ?? 'other'}`, { url: this.cfg.origin, error: e.errorCode }, `HEC unreachable, retrying: ${e.message}`);
      this.metric('connection');
      return all(from, to, `HEC unreachable: ${e.message}`);
    }
    const code = a.body?.code;
    const reason = `HEC ${a.status}${code !== undefined ? ` code ${code}` : ''}: ${a.body?.text ?? a.text ?? ''}`;

    if (a.status >= 200 && a.status < 300 && (code === undefined || code === 0)) {
      this.problems.clear();
      return this.acknowledged(a, from, to);
    }
    if (a.status === 413 && to - from > 1) {
      this.problems.warn('413', {}, 'HEC refused the request as too large (max_content_length): splitting it; lower the batch byte limit');
      const mid = from + Math.floor((to - from) / 2);
      const x = await this.sendRange(records, from, mid);
      const y = await this.sendRange(records, mid, to);
      return { retry: [...x.retry, ...y.retry], rejected: [...x.rejected, ...y.rejected], reason: x.reason ?? y.reason };
    }
    if (a.status === 503 || code === 9 || a.status >= 500 || a.status === 429 || a.status === 408) {
      this.problems.warn(`http-${a.status}`, { status: a.status, hec_code: code }, `HEC busy or failing, retrying: ${reason}`);
      this.metric(code === 9 ? 'server_busy' : 'http_5xx');
      return all(from, to, reason);
    }
    if (a.status === 413) {
      // One event alone is too large: no retry will make it fit.
      this.metric('http_4xx');
      return rejectAll(from, to, `event larger than HEC accepts (max_content_length): ${reason}`);
    }
    if (a.status === 401 || a.status === 403 || (code !== undefined && TOKEN_CODES.has(code))) {
      this.tokenRefused = true;
      this.problems.error('token', { error_type: 'auth', status: a.status, hec_code: code, token: this.cfg.token.label },
        `HEC refused the token (${this.cfg.token.label}): ${reason}; retrying, events wait in the queue and the token is re-read before each try`);
      this.metric('auth');
      return all(from, to, reason);
    }
    const invalid = a.body?.['invalid-event-number'];
    const numbered = typeof invalid === 'number' && Number.isInteger(invalid) && invalid >= 0 && invalid < to - from;
    const n = numbered ? from + invalid : from;
    if (code !== undefined && BAD_EVENT_CODES.has(code) && !numbered) {
      // HEC names the bad event; an answer that does not is from something else (a proxy): no event is to blame.
      this.problems.error(`bad-event-unnumbered-${code}`, { error_type: 'http_4xx', status: a.status, hec_code: code, url: `${this.cfg.origin}${this.cfg.eventPath}` },
        `HEC answered ${reason} without invalid-event-number; not blaming any event, retrying the batch (check url and proxies)`);
      this.metric('http_4xx');
      return all(from, to, reason);
    }
    if (code === 7) {
      this.problems.error('index', { error_type: 'incorrect_index', hec_code: 7, index: this.cfg.index }, `HEC: incorrect index "${this.cfg.index}" (not allowed for this token): ${reason}`);
      this.metric('incorrect_index');
      return { retry: this.acceptedBefore(from, n), rejected: range(n, to).map((index) => ({ index, reason })), reason };
    }
    if (code !== undefined && BAD_EVENT_CODES.has(code)) {
      this.metric('invalid_event');
      return { retry: [...this.acceptedBefore(from, n), ...range(n + 1, to)], rejected: [{ index: n, reason }], reason };
    }
    // Redirects, unknown paths, channel/ack settings, answers that are not
    // HEC's (no code: a proxy's page): fixed by an operator, not by the data.
    if (a.status < 400 || a.status === 404 || a.status === 405 || code === undefined || CONFIG_CODES.has(code)) {
      this.problems.error(`config-${a.status}-${code}`, { error_type: 'http_4xx', status: a.status, hec_code: code, url: `${this.cfg.origin}${this.cfg.eventPath}` }, `HEC answered ${reason}; check url and the token settings; retrying`);
      this.metric('http_4xx');
      return all(from, to, reason);
    }
    this.metric('http_4xx');
    return rejectAll(from, to, reason);
  }

  /** Events HEC took before the bad one: stored, unless use_ack needs an ack we will not get. */
  private acceptedBefore(from: number, n: number): number[] {
    return this.acks !== undefined ? range(from, n) : [];
  }

  private async acknowledged(a: HecAnswer, from: number, to: number): Promise<RangeResult> {
    if (this.acks === undefined) return { retry: [], rejected: [] };
    const ackId = a.body?.ackId;
    if (typeof ackId !== 'number') {
      this.problems.warn('no-ack', {}, 'use_ack = true but HEC returned no ackId: enable indexer acknowledgement on the token; taking HEC success as stored');
      return { retry: [], rejected: [] };
    }
    if (await this.acks.wait(ackId)) return { retry: [], rejected: [] };
    this.metric('ack_timeout');
    return all(from, to, `HEC did not acknowledge ackId ${ackId} within ${this.cfg.ackTimeoutMs} ms (the events may still be indexed: a retry can duplicate them)`);
  }

  private async reloadToken(): Promise<void> {
    this.tokenRefused = false;
    const t = await readToken(this.cfg.token);
    if (t === undefined || t === this.token) return;
    this.token = t;
    this.client.setToken(t);
    this.ctx.log.info({ token: this.cfg.token.label }, 'HEC token changed; using the new one');
  }

  private metric(errorType: string): void {
    this.ctx.metrics.increment('component_errors_total', 1, { error_type: errorType, stage: 'sending' });
  }
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}

function all(from: number, to: number, reason: string): RangeResult {
  return { retry: range(from, to), rejected: [], reason };
}

function rejectAll(from: number, to: number, reason: string): RangeResult {
  return { retry: [], rejected: range(from, to).map((index) => ({ index, reason })), reason };
}

function toSendResult(r: RangeResult, total: number): SendResult {
  if (r.retry.length === 0 && r.rejected.length === 0) return { status: 'ok' };
  if (r.retry.length === total) return { status: 'retry', reason: r.reason ?? 'HEC did not take the batch' };
  if (r.rejected.length === total && r.rejected.every((x) => x.reason === r.rejected[0].reason)) return { status: 'reject', reason: r.rejected[0].reason };
  return {
    status: 'partial',
    retry: r.retry.length > 0 ? r.retry : undefined,
    rejected: r.rejected.length > 0 ? r.rejected : undefined,
    reason: r.reason,
  };
}
