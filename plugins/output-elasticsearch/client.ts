/**
 * One small interface over the two client libraries. The Elasticsearch
 * client refuses servers that do not answer with `X-Elastic-Product:
 * Elasticsearch` (so it cannot talk to OpenSearch); the OpenSearch client
 * has its own API shapes. Everything above this file is shared.
 *
 * Both clients run with their own retries OFF: the core retries with backoff,
 * and a client retry inside a send would hide outages from it. Errors come
 * out as StoreError with a kind the caller can decide on.
 */
import type { Client as EsClient } from '@elastic/elasticsearch';
import type { Client as OsClient } from '@opensearch-project/opensearch';
import { elasticsearch, opensearch } from './libraries.ts';
import type { ResolvedConfig } from './config.ts';
import type { TemplateBody } from './template.ts';

export type StoreErrorKind = 'http' | 'connection' | 'timeout' | 'product' | 'aborted' | 'other';

export class StoreError extends Error {
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
    readonly status?: number,
    /** Elasticsearch's `error.type`, e.g. es_rejected_execution_exception. */
    readonly errorType?: string,
    readonly retryAfterMs?: number,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface StoreInfo {
  readonly distribution: string;
  readonly version: string;
}

export interface BulkItemResult {
  readonly status: number;
  readonly error?: { readonly type?: string; readonly reason?: string; readonly caused_by?: { type?: string; reason?: string } };
}

export interface BulkResponse {
  readonly errors: boolean;
  readonly items: readonly Record<string, BulkItemResult>[];
}

export interface StoreClient {
  info(): Promise<StoreInfo>;
  /** Sets the REST compatibility the server accepts, once its major version is known. */
  setServerMajor(major: number): void;
  putTemplate(name: string, body: TemplateBody): Promise<void>;
  templateExists(name: string): Promise<boolean>;
  bulk(ndjson: string, pipeline: string, signal: AbortSignal): Promise<BulkResponse>;
  close(): Promise<void>;
}

/** `secret` is the current API key or password (read by the caller from env/file). */
export function createStoreClient(cfg: ResolvedConfig, secret: string | undefined): StoreClient {
  return cfg.flavor === 'opensearch' ? new OpenSearchStore(cfg, secret) : new ElasticStore(cfg, secret);
}

type Headers = Record<string, string>;

class ElasticStore implements StoreClient {
  private readonly client: EsClient;
  private jsonHeaders: Headers | undefined;
  private ndjsonHeaders: Headers | undefined;

  constructor(cfg: ResolvedConfig, secret: string | undefined) {
    const auth =
      cfg.auth.kind === 'api_key'
        ? { apiKey: secret! }
        : cfg.auth.kind === 'basic'
          ? { username: cfg.auth.username, password: secret! }
          : undefined;
    this.client = new (elasticsearch().Client)({
      ...(cfg.cloudId !== undefined ? { cloud: { id: cfg.cloudId } } : { nodes: [...cfg.nodes] }),
      auth,
      tls: { ca: cfg.ca, rejectUnauthorized: cfg.tlsVerify },
      maxRetries: 0,
      requestTimeout: cfg.timeoutMs,
      compression: cfg.compression,
      name: 'ogrt-server',
    });
  }

  setServerMajor(major: number): void {
    // Client 9 asks for `compatible-with=9`, which 8.x servers refuse (they
    // accept 8 or 7); older servers get plain JSON.
    if (major >= 9) {
      this.jsonHeaders = this.ndjsonHeaders = undefined;
    } else if (major === 8) {
      this.jsonHeaders = { accept: 'application/vnd.elasticsearch+json; compatible-with=8', 'content-type': 'application/vnd.elasticsearch+json; compatible-with=8' };
      this.ndjsonHeaders = { accept: 'application/vnd.elasticsearch+json; compatible-with=8', 'content-type': 'application/vnd.elasticsearch+x-ndjson; compatible-with=8' };
    } else {
      this.jsonHeaders = { accept: 'application/json', 'content-type': 'application/json' };
      this.ndjsonHeaders = { accept: 'application/json', 'content-type': 'application/x-ndjson' };
    }
  }

  async info(): Promise<StoreInfo> {
    try {
      // Plain JSON: every server version answers it, whatever its REST compatibility.
      const body = (await this.client.info(undefined, { headers: { accept: 'application/json' } })) as any;
      return { distribution: 'elasticsearch', version: String(body?.version?.number ?? '') };
    } catch (err) {
      throw toStoreError(err);
    }
  }

  async putTemplate(name: string, body: TemplateBody): Promise<void> {
    try {
      await this.client.indices.putIndexTemplate({ name, ...(body as any) }, { headers: this.jsonHeaders });
    } catch (err) {
      throw toStoreError(err);
    }
  }

  async templateExists(name: string): Promise<boolean> {
    try {
      return await this.client.indices.existsIndexTemplate({ name }, { headers: this.jsonHeaders });
    } catch (err) {
      throw toStoreError(err);
    }
  }

  async bulk(ndjson: string, pipeline: string, signal: AbortSignal): Promise<BulkResponse> {
    try {
      // A pre-serialized NDJSON string goes through the transport unchanged.
      const params: any = { operations: ndjson };
      if (pipeline !== '') params.pipeline = pipeline;
      return (await this.client.bulk(params, { headers: this.ndjsonHeaders, signal })) as unknown as BulkResponse;
    } catch (err) {
      throw toStoreError(err);
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

class OpenSearchStore implements StoreClient {
  private readonly client: OsClient;

  constructor(cfg: ResolvedConfig, secret: string | undefined) {
    this.client = new (opensearch().Client)({
      nodes: [...cfg.nodes],
      auth: cfg.auth.kind === 'basic' ? { username: cfg.auth.username, password: secret! } : undefined,
      ssl: { ca: cfg.ca, rejectUnauthorized: cfg.tlsVerify },
      maxRetries: 0,
      requestTimeout: cfg.timeoutMs,
      compression: cfg.compression ? 'gzip' : undefined,
      name: 'ogrt-server',
    });
  }

  setServerMajor(): void {}

  async info(): Promise<StoreInfo> {
    try {
      const res = await this.client.info();
      const v = (res.body as any)?.version ?? {};
      return { distribution: String(v.distribution ?? 'elasticsearch'), version: String(v.number ?? '') };
    } catch (err) {
      throw toStoreError(err);
    }
  }

  async putTemplate(name: string, body: TemplateBody): Promise<void> {
    try {
      await this.client.indices.putIndexTemplate({ name, body: body as any });
    } catch (err) {
      throw toStoreError(err);
    }
  }

  async templateExists(name: string): Promise<boolean> {
    try {
      return (await this.client.indices.existsIndexTemplate({ name })).body === true;
    } catch (err) {
      throw toStoreError(err);
    }
  }

  async bulk(ndjson: string, pipeline: string, signal: AbortSignal): Promise<BulkResponse> {
    const params: any = { body: ndjson };
    if (pipeline !== '') params.pipeline = pipeline;
    // This client has no AbortSignal option; its promise has abort().
    const request = this.client.bulk(params) as any;
    const abort = () => request.abort();
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    try {
      return (await request).body as BulkResponse;
    } catch (err) {
      throw toStoreError(err);
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** Maps both libraries' errors to StoreError; never copies request headers (credentials). */
export function toStoreError(err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const e = err as any;
  const name: string = e?.name ?? '';
  const esErrors = elasticsearch().errors;
  const osErrors = opensearch().errors;
  if (err instanceof esErrors.ResponseError || err instanceof osErrors.ResponseError || name === 'ResponseError') {
    const meta = e.meta ?? {};
    const status: number = meta.statusCode ?? e.statusCode ?? 0;
    const body = meta.body;
    const { type, reason } = errorOf(body);
    const retryAfter = parseRetryAfter(meta.headers?.['retry-after']);
    const text = type !== undefined ? `${type}: ${reason ?? ''}` : typeof body === 'string' && body !== '' ? body.slice(0, 200) : `HTTP ${status}`;
    return new StoreError('http', `HTTP ${status} ${text}`, status, type, retryAfter, body);
  }
  if (err instanceof esErrors.ProductNotSupportedError) {
    // The client checks the header before it reads the body: the distribution is unknown here.
    return new StoreError('product', 'the server is not Elasticsearch (no X-Elastic-Product header): for OpenSearch set flavor = "opensearch", else check url');
  }
  if (err instanceof esErrors.TimeoutError || err instanceof osErrors.TimeoutError) return new StoreError('timeout', 'request timed out');
  if (err instanceof esErrors.RequestAbortedError || err instanceof osErrors.RequestAbortedError) return new StoreError('aborted', 'request aborted (shutdown)');
  if (
    err instanceof esErrors.ConnectionError ||
    err instanceof osErrors.ConnectionError ||
    err instanceof esErrors.NoLivingConnectionsError ||
    err instanceof osErrors.NoLivingConnectionsError
  ) {
    return new StoreError('connection', `connection failed: ${e.message}`);
  }
  return new StoreError('other', `${name || 'Error'}: ${e?.message ?? String(err)}`);
}

export function errorOf(body: unknown): { type?: string; reason?: string } {
  const error = (body as any)?.error;
  if (error && typeof error === 'object') return { type: error.type, reason: error.reason };
  if (typeof error === 'string') return { type: undefined, reason: error };
  return {};
}

/**
 * The REST compatibility versions a server named when it refused our media
 * type (400 media_type_header_exception), newest first. Elasticsearch 8
 * says in `caused_by.reason`: "Accept version must be either version 8 or 7,
 * but found 9. …". Empty when the answer does not say.
 */
export function acceptedCompatVersions(e: StoreError): number[] {
  if (e.kind !== 'http' || e.status !== 400 || e.errorType !== 'media_type_header_exception') return [];
  const error = (e.body as any)?.error;
  const reasons = [error?.caused_by?.reason, error?.reason, ...(Array.isArray(error?.root_cause) ? error.root_cause.map((c: any) => c?.reason) : [])];
  for (const reason of reasons) {
    const m = typeof reason === 'string' ? /must be either version (\d+) or (\d+)/.exec(reason) : null;
    if (m !== null) return [Number(m[1]), Number(m[2])].sort((a, b) => b - a);
  }
  return [];
}

function parseRetryAfter(value: unknown): number | undefined {
  const s = Array.isArray(value) ? value[0] : value;
  if (typeof s !== 'string' || !/^\d+$/.test(s)) return undefined;
  return Number(s) * 1000;
}
