/**
 * A protocol-faithful Elasticsearch (or OpenSearch) for tests, on 127.0.0.1
 * port 0. It behaves like the real server where output-elasticsearch and its
 * client libraries depend on it:
 *  - GET / with version info; `X-Elastic-Product: Elasticsearch` on every
 *    answer in Elasticsearch mode (the JS client refuses 2xx answers without
 *    it), OpenSearch's `distribution: "opensearch"` and no header otherwise;
 *  - REST compatibility headers (`compatible-with=N`): an N the server
 *    version does not accept gives 400 media_type_header_exception;
 *  - PUT/GET/HEAD/DELETE _index_template; new indexes take the mappings of
 *    the matching template with the highest priority; data streams;
 *    DELETE /<index pattern>, /<index>/_refresh (for the real-cluster suite's
 *    cleanup when it is pointed at this fake);
 *  - _bulk NDJSON with per-item results (201 created / 200 updated / 409
 *    version conflict on create), `errors` true/false, documents stored by
 *    index + _id, mapping checks of typed fields (document_parsing_exception,
 *    OpenSearch: mapper_parsing_exception);
 *  - ApiKey / Basic auth → 401 with the server's error body; a caller
 *    without a cluster privilege (option privileges: `monitor` for GET /,
 *    `manage_index_templates` for _index_template) gets 403
 *    security_exception, as a writer-only role does.
 * Failure injection: failNext (whole-request status), rejectItems (per-item
 * 429 es_rejected_execution_exception), mappingErrorWhen (per-item 400),
 * holdBulk (slow store), stop/restart (connection refused).
 */
import http from 'node:http';
import https from 'node:https';
import { gunzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export type Flavor = 'elasticsearch' | 'opensearch';

export interface FakeEsOptions {
  flavor?: Flavor;
  /** Server version; default 9.1.3 (Elasticsearch) or 2.19.1 (OpenSearch). */
  version?: string;
  /** Require `Authorization: ApiKey <apiKey>` (Elasticsearch) … */
  apiKey?: string;
  /** … or `Authorization: Basic` with these. */
  basic?: { username: string; password: string };
  /** Keep request bodies in `requests` (off for benchmarks). */
  keepBodies?: boolean;
  /** Serve https with this certificate (see TEST_TLS). */
  tls?: { cert: string; key: string };
  /** Cluster privileges of the caller (default: all). Without `monitor`, GET / answers 403 and the version stays unknown to it. */
  privileges?: { monitor?: boolean; manage_index_templates?: boolean };
}

/**
 * A self-signed certificate for 127.0.0.1 and localhost (valid until 2126),
 * for tests of ca_file / tls_verify. Test-only: never trust it elsewhere.
 */
export const TEST_TLS = {
  cert: `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUA5mcPyfQHs1EmufBJ9g1pGl7cwQwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJb2dydC10ZXN0MCAXDTI2MTEyNDIxNTMwOVoYDzIxMjYxMDMx
MjE1MzA5WjAUMRIwEAYDVQQDDAlvZ3J0LXRlc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASHKiwe4PhRzUMqfl51Dd0BGVPQ6GUVu2dH/3ds1yCaj8OwUfWSiU+f
aOi0FIf6itr3S/1MwkCm74oRjqYVddVDo28wbTAdBgNVHQ4EFgQU3KJDzfhtu1UD
LQDt8Qy3zojn4pYwHwYDVR0jBBgwFoAU3KJDzfhtu1UDLQDt8Qy3zojn4pYwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDSAAwRQIhAKC3WD2x+J3uxVbMKA06vE2J2NCYsEdcWKLdzkkVenDCAiBA
edN/+wG8Qodkw2p8t1sXvDv4k5/clIq3Fk9iLbxCRA==
-----END CERTIFICATE-----
`,
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgssxfGCHXOkdrPXdm
xiccjgRRnRwJHKoOfaa8RFTqIcihRANCAASHKiwe4PhRzUMqfl51Dd0BGVPQ6GUV
u2dH/3ds1yCaj8OwUfWSiU+faOi0FIf6itr3S/1MwkCm74oRjqYVddVD
-----END PRIVATE KEY-----
`,
};

export interface StoredDoc {
  index: string;
  id: string;
  source: any;
  version: number;
}

export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body?: string;
}

interface Failure {
  remaining: number;
  status: number;
  pathPrefix?: string;
}

interface IndexState {
  mappings: any;
  dataStream?: string;
  docs: Map<string, StoredDoc>;
}

export class FakeElasticsearch {
  readonly flavor: Flavor;
  readonly version: string;
  auth: { apiKey?: string; basic?: { username: string; password: string } };
  readonly templates = new Map<string, any>();
  readonly requests: SeenRequest[] = [];
  /** Bulk requests answered with 200, and items in them. */
  bulkCount = 0;
  itemCount = 0;
  /** Returns a reason to fail the document with a mapping error, or undefined. */
  mappingErrorWhen: ((source: any, id: string) => string | undefined) | undefined;

  private readonly indexes = new Map<string, IndexState>();
  /** Data stream name → its backing index. */
  private readonly streams = new Map<string, string>();
  private readonly failures: Failure[] = [];
  private readonly itemRejects = new Map<string, { remaining: number; status: number }>();
  private gate: Promise<void> | undefined;
  private held = 0;
  private server: http.Server;
  private readonly keepBodies: boolean;
  private readonly tls: { cert: string; key: string } | undefined;
  private lostAnswers = 0;
  private readonly privileges: { monitor: boolean; manage_index_templates: boolean };
  port = 0;

  private constructor(opts: FakeEsOptions) {
    this.flavor = opts.flavor ?? 'elasticsearch';
    this.version = opts.version ?? (this.flavor === 'opensearch' ? '2.19.1' : '9.1.3');
    this.auth = { apiKey: opts.apiKey, basic: opts.basic };
    this.keepBodies = opts.keepBodies ?? true;
    this.tls = opts.tls;
    this.privileges = { monitor: opts.privileges?.monitor ?? true, manage_index_templates: opts.privileges?.manage_index_templates ?? true };
    this.server = this.createServer();
  }

  static async start(opts: FakeEsOptions = {}): Promise<FakeElasticsearch> {
    const es = new FakeElasticsearch(opts);
    await es.listen(0);
    return es;
  }

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  /** The next `n` bulk requests are processed (documents stored) but the answer is lost: the connection is destroyed. */
  loseAnswers(n: number): void {
    this.lostAnswers = n;
  }

  /** Stop listening and drop connections: clients get ECONNREFUSED. */
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Listen again on the same port after stop(). */
  async restart(): Promise<void> {
    this.server = this.createServer();
    await this.listen(this.port);
  }

  /** The next `n` requests (optionally only those whose path starts with pathPrefix) fail with `status`. */
  failNext(n: number, status = 503, pathPrefix?: string): void {
    this.failures.push({ remaining: n, status, pathPrefix });
  }

  /** The next `times` bulk items for each id get a per-item `status` (429 es_rejected_execution_exception). */
  rejectItems(ids: readonly string[], times = 1, status = 429): void {
    for (const id of ids) this.itemRejects.set(id, { remaining: times, status });
  }

  /** Bulk requests wait until the returned function is called (a slow store). */
  holdBulk(): () => void {
    let release!: () => void;
    this.gate = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.gate = undefined;
      release();
    };
  }

  /** Bulk requests currently waiting in holdBulk(). */
  get heldBulkRequests(): number {
    return this.held;
  }

  documents(): StoredDoc[] {
    const out: StoredDoc[] = [];
    for (const state of this.indexes.values()) for (const d of state.docs.values()) out.push(d);
    return out;
  }

  indexNames(): string[] {
    return [...this.indexes.keys()].sort();
  }

  /** Mappings an index was created with (from the matching template), if any. */
  mappingsOf(index: string): any {
    return this.indexes.get(index)?.mappings;
  }

  clear(): void {
    this.indexes.clear();
    this.streams.clear();
    this.requests.length = 0;
    this.bulkCount = this.itemCount = 0;
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private createServer(): http.Server {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let raw = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
        this.handle(req, raw.toString('utf8')).then(
          ({ status, body, headers }) => {
            if (this.lostAnswers > 0 && status === 200 && /\/_bulk(\?|$)/.test(req.url ?? '')) {
              this.lostAnswers--;
              req.socket.destroy();
              return;
            }
            this.reply(req, res, status, body, headers);
          },
          (err) => this.reply(req, res, 500, esError('exception', String(err), 500)),
        );
      });
    };
    return this.tls ? https.createServer({ cert: this.tls.cert, key: this.tls.key }, handler) : http.createServer(handler);
  }

  private reply(req: http.IncomingMessage, res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const h: Record<string, string> = { ...headers };
    if (this.flavor === 'elasticsearch') h['X-Elastic-Product'] = 'Elasticsearch';
    let text = '';
    if (body !== undefined) {
      text = typeof body === 'string' ? body : JSON.stringify(body);
      if (h['content-type'] === undefined) {
        const compat = /compatible-with=(\d+)/.exec(String(req.headers.accept ?? ''));
        h['content-type'] = compat ? `application/vnd.elasticsearch+json;compatible-with=${compat[1]}` : 'application/json; charset=UTF-8';
      }
    }
    h['content-length'] = String(Buffer.byteLength(text));
    res.writeHead(status, h);
    res.end(req.method === 'HEAD' ? undefined : text);
  }

  private async handle(req: http.IncomingMessage, body: string): Promise<{ status: number; body?: unknown; headers?: Record<string, string> }> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    this.requests.push({ method, path, headers: req.headers, body: this.keepBodies ? body : undefined });

    const denied = this.checkAuth(req, path) ?? this.checkPrivileges(method, path);
    if (denied) return denied;
    const badHeader = this.checkCompat(req, body.length > 0);
    if (badHeader) return badHeader;
    const failure = this.failures.find((f) => f.remaining > 0 && (f.pathPrefix === undefined || path.startsWith(f.pathPrefix)));
    if (failure) {
      failure.remaining--;
      return failureAnswer(failure.status);
    }

    if (path === '/' && (method === 'GET' || method === 'HEAD')) return { status: 200, body: this.info() };
    const tpl = /^\/_index_template\/([^/]+)$/.exec(path);
    if (tpl) return this.indexTemplate(method, decodeURIComponent(tpl[1]), body);
    if (method === 'DELETE') return this.deleteIndexes(decodeURIComponent(path.slice(1)));
    if (/^\/[^/]+\/_refresh$/.test(path) && (method === 'POST' || method === 'GET')) {
      return { status: 200, body: { _shards: { total: 1, successful: 1, failed: 0 } } };
    }
    const bulk = /^(?:\/([^/_][^/]*))?\/_bulk$/.exec(path);
    if (bulk && (method === 'POST' || method === 'PUT')) {
      if (this.gate) {
        this.held++;
        await this.gate;
        this.held--;
      }
      return this.bulk(req, bulk[1] === undefined ? undefined : decodeURIComponent(bulk[1]), body);
    }
    return { status: 400, body: { error: `no handler found for uri [${path}] and method [${method}]` } };
  }

  private info(): object {
    const version: Record<string, unknown> = {
      number: this.version,
      build_type: 'tar',
      build_hash: '0123456789abcdef0123456789abcdef01234567',
      build_date: '2025-06-01T00:00:00.000Z',
      build_snapshot: false,
      lucene_version: '10.2.1',
      minimum_wire_compatibility_version: '8.19.0',
      minimum_index_compatibility_version: '8.0.0',
    };
    if (this.flavor === 'opensearch') {
      return {
        name: 'opensearch-node1',
        cluster_name: 'opensearch-cluster',
        cluster_uuid: 'Kq2k8zv2TQ6hV7b8vO4z9A',
        version: { distribution: 'opensearch', ...version },
        tagline: 'The OpenSearch Project: https://opensearch.org/',
      };
    }
    return { name: 'es-node1', cluster_name: 'elasticsearch', cluster_uuid: 'Wm1l3V6pR8a1m0cR6nq9xg', version: { build_flavor: 'default', ...version }, tagline: 'You Know, for Search' };
  }

  private checkAuth(req: http.IncomingMessage, path: string): { status: number; body: unknown; headers: Record<string, string> } | undefined {
    const { apiKey, basic } = this.auth;
    if (apiKey === undefined && basic === undefined) return undefined;
    const h = String(req.headers.authorization ?? '');
    if (apiKey !== undefined && h === `ApiKey ${apiKey}`) return undefined;
    if (basic !== undefined && h === `Basic ${Buffer.from(`${basic.username}:${basic.password}`).toString('base64')}`) return undefined;
    if (this.flavor === 'opensearch') {
      return { status: 401, body: 'Unauthorized', headers: { 'content-type': 'text/plain; charset=UTF-8', 'WWW-Authenticate': 'Basic realm="OpenSearch Security"' } };
    }
    const reason = h === '' ? `missing authentication credentials for REST request [${path}]` : `unable to authenticate with provided credentials and anonymous access is not allowed for this request`;
    const header = { 'WWW-Authenticate': ['Basic realm="security", charset="UTF-8"', 'ApiKey'] };
    const cause = { type: 'security_exception', reason, header };
    return {
      status: 401,
      body: { error: { root_cause: [cause], ...cause }, status: 401 },
      headers: { 'WWW-Authenticate': 'Basic realm="security", charset="UTF-8"' },
    };
  }

  private checkPrivileges(method: string, path: string): { status: number; body: unknown } | undefined {
    let action: string | undefined;
    let granted = '';
    if (path === '/' && !this.privileges.monitor) {
      action = 'cluster:monitor/main';
      granted = 'monitor,manage,all';
    } else if (path.startsWith('/_index_template/') && !this.privileges.manage_index_templates) {
      action = method === 'GET' || method === 'HEAD' ? 'indices:admin/index_template/get' : 'indices:admin/index_template/put';
      granted = 'manage_index_templates,manage,all';
    }
    if (action === undefined) return undefined;
    const reason = `action [${action}] is unauthorized for user [ogrt_writer] with effective roles [ogrt_writer], this action is granted by the cluster privileges [${granted}]`;
    return { status: 403, body: esError('security_exception', reason, 403) };
  }

  /** Elasticsearch accepts compatible-with = its major or the one before; Content-Type counts only with a body. */
  private checkCompat(req: http.IncomingMessage, hasBody: boolean): { status: number; body: unknown } | undefined {
    if (this.flavor !== 'elasticsearch') return undefined;
    const major = Number.parseInt(this.version, 10);
    for (const name of hasBody ? (['accept', 'content-type'] as const) : (['accept'] as const)) {
      const value = String(req.headers[name] ?? '');
      const m = /compatible-with=(\d+)/.exec(value);
      if (m && Number(m[1]) !== major && Number(m[1]) !== major - 1) {
        const cause = `${name === 'accept' ? 'Accept' : 'Content-Type'} version must be either version ${major} or ${major - 1}, but found ${m[1]}. ${name === 'accept' ? 'Accept' : 'Content-Type'}=${value}`;
        const root = { type: 'media_type_header_exception', reason: 'Invalid media-type value on headers [Accept, Content-Type]' };
        return { status: 400, body: { error: { root_cause: [root], ...root, caused_by: { type: 'status_exception', reason: cause } }, status: 400 } };
      }
    }
    return undefined;
  }

  /** DELETE /<index or pattern>: documents are gone (the real-cluster suite cleans up this way). */
  private deleteIndexes(expr: string): { status: number; body: unknown } {
    const names = [...this.indexes.keys()].filter((n) => expr.split(',').some((p) => globMatch(p, n)));
    for (const n of names) this.indexes.delete(n);
    for (const [stream, backing] of this.streams) if (names.includes(backing)) this.streams.delete(stream);
    return { status: 200, body: { acknowledged: true } };
  }

  private indexTemplate(method: string, name: string, body: string): { status: number; body?: unknown } {
    if (method === 'DELETE') {
      if (!this.templates.delete(name)) return { status: 404, body: esError('resource_not_found_exception', `index_template [${name}] missing`, 404) };
      return { status: 200, body: { acknowledged: true } };
    }
    if (method === 'PUT' || method === 'POST') {
      let t: any;
      try {
        t = JSON.parse(body);
      } catch (err) {
        return { status: 400, body: esError('x_content_parse_exception', `[1:1] ${String(err)}`, 400) };
      }
      const patterns = typeof t.index_patterns === 'string' ? [t.index_patterns] : t.index_patterns;
      if (!Array.isArray(patterns) || patterns.length === 0) {
        return { status: 400, body: esError('action_request_validation_exception', 'Validation Failed: 1: index patterns are missing;', 400) };
      }
      for (const [other, ot] of this.templates) {
        if (other !== name && ot.priority === (t.priority ?? 0) && overlaps(ot.index_patterns, patterns)) {
          return { status: 400, body: esError('illegal_argument_exception', `index template [${name}] has index patterns ${JSON.stringify(patterns)} matching patterns from existing templates [${other}] with patterns (${other} => ${JSON.stringify(ot.index_patterns)}) that have the same priority [${t.priority ?? 0}]`, 400) };
        }
      }
      this.templates.set(name, { ...t, index_patterns: patterns });
      return { status: 200, body: { acknowledged: true } };
    }
    const t = this.templates.get(name);
    if (t === undefined) {
      if (method === 'HEAD') return { status: 404 };
      return { status: 404, body: esError('resource_not_found_exception', `index template matching [${name}] not found`, 404) };
    }
    if (method === 'HEAD') return { status: 200 };
    return { status: 200, body: { index_templates: [{ name, index_template: t }] } };
  }

  private bulk(req: http.IncomingMessage, pathIndex: string | undefined, body: string): { status: number; body: unknown } {
    const type = String(req.headers['content-type'] ?? '');
    if (!/json/.test(type)) return { status: 406, body: { error: `Content-Type header [${type}] is not supported`, status: 406 } };
    if (body.length > 0 && !body.endsWith('\n')) {
      return { status: 400, body: esError('illegal_argument_exception', 'The bulk request must be terminated by a newline [\\n]', 400) };
    }
    const lines = body.split('\n');
    lines.pop();
    const items: object[] = [];
    let errors = false;
    for (let i = 0; i < lines.length; i++) {
      let action: any;
      try {
        action = JSON.parse(lines[i]);
      } catch {
        return { status: 400, body: esError('illegal_argument_exception', `Malformed action/metadata line [${i + 1}], expected START_OBJECT but found [VALUE_STRING]`, 400) };
      }
      const op = Object.keys(action)[0];
      const meta = action[op] ?? {};
      if (op !== 'index' && op !== 'create' && op !== 'delete') {
        return { status: 400, body: esError('illegal_argument_exception', `Malformed action/metadata line [${i + 1}], expected field [create], [delete], [index] or [update] but found [${op}]`, 400) };
      }
      const index = meta._index ?? pathIndex;
      if (index === undefined) return { status: 400, body: esError('action_request_validation_exception', 'Validation Failed: 1: index is missing;', 400) };
      let source: any;
      if (op !== 'delete') {
        try {
          source = JSON.parse(lines[++i]);
        } catch (err) {
          return { status: 400, body: esError(this.parsingError(), `[1:1] failed to parse: ${String(err)}`, 400) };
        }
      }
      const result = this.item(op, index, meta._id ?? randomBytes(15).toString('base64url'), source);
      if (result.status >= 300) errors = true;
      items.push({ [op]: result });
    }
    this.bulkCount++;
    this.itemCount += items.length;
    return { status: 200, body: { errors, took: 3, items } };
  }

  private parsingError(): string {
    return this.flavor === 'opensearch' ? 'mapper_parsing_exception' : 'document_parsing_exception';
  }

  private item(op: string, index: string, id: string, source: any): any {
    const base = { _index: index, _id: id };
    const reject = this.itemRejects.get(id);
    if (reject && reject.remaining > 0) {
      reject.remaining--;
      return { ...base, status: reject.status, error: { type: 'es_rejected_execution_exception', reason: `rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=1024, max_coordinating_and_primary_bytes=107374182]` } };
    }
    const state = this.resolveIndex(index);
    const target = { ...base, _index: state.name };
    if (state.state.dataStream !== undefined) {
      if (op !== 'create') return { ...target, status: 400, error: { type: 'illegal_argument_exception', reason: `only write ops with an op_type of create are allowed in data streams` } };
      if (source?.['@timestamp'] === undefined) return { ...target, status: 400, error: { type: this.parsingError(), reason: 'data stream timestamp field [@timestamp] is missing' } };
    }
    const existing = state.state.docs.get(id);
    if (op === 'delete') {
      if (existing) state.state.docs.delete(id);
      return { ...target, status: existing ? 200 : 404, result: existing ? 'deleted' : 'not_found' };
    }
    const injected = this.mappingErrorWhen?.(source, id);
    const mappingProblem = injected ?? checkMappings(source, state.state.mappings, '');
    if (mappingProblem !== undefined) {
      return { ...target, status: 400, error: { type: this.parsingError(), reason: `[1:1] ${mappingProblem} in document with id '${id}'`, caused_by: { type: 'illegal_argument_exception', reason: mappingProblem } } };
    }
    if (existing && op === 'create') {
      return { ...target, status: 409, error: { type: 'version_conflict_engine_exception', reason: `[${id}]: version conflict, document already exists (current version [${existing.version}])`, index: state.name, shard: '0' } };
    }
    const version = existing ? existing.version + 1 : 1;
    state.state.docs.set(id, { index: state.name, id, source, version });
    return { ...target, _version: version, result: existing ? 'updated' : 'created', _shards: { total: 2, successful: 1, failed: 0 }, _seq_no: this.itemCount, _primary_term: 1, status: existing ? 200 : 201 };
  }

  /** Finds or creates the index (or data stream backing index) a write goes to. */
  private resolveIndex(name: string): { name: string; state: IndexState } {
    const existing = this.indexes.get(name);
    if (existing) return { name, state: existing };
    const backing = this.streams.get(name);
    if (backing !== undefined) return { name: backing, state: this.indexes.get(backing)! };
    const template = [...this.templates.values()]
      .filter((t) => t.index_patterns.some((p: string) => globMatch(p, name)))
      .sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0))[0];
    const state: IndexState = { mappings: template?.template?.mappings, docs: new Map() };
    let indexName = name;
    if (template?.data_stream !== undefined) {
      state.dataStream = name;
      const d = new Date().toISOString().slice(0, 10).replace(/-/g, '.');
      indexName = `.ds-${name}-${d}-000001`;
      this.streams.set(name, indexName);
    }
    this.indexes.set(indexName, state);
    return { name: indexName, state };
  }
}

function esError(type: string, reason: string, status: number): object {
  return { error: { root_cause: [{ type, reason }], type, reason }, status };
}

function failureAnswer(status: number): { status: number; body: unknown; headers?: Record<string, string> } {
  if (status === 429) return { status, body: esError('es_rejected_execution_exception', 'rejected execution of TimedRunnable (queue capacity 1000)', 429) };
  if (status === 503) return { status, body: esError('cluster_block_exception', 'blocked by: [SERVICE_UNAVAILABLE/2/no master];', 503) };
  if (status === 413) return { status, body: '', headers: { 'content-type': 'text/plain' } };
  return { status, body: esError('exception', `injected failure ${status}`, status) };
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp('^' + pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return re.test(name);
}

function overlaps(a: string[], b: string[]): boolean {
  return a.some((x) => b.some((y) => globMatch(x, y.replace(/\*/g, 'x')) || globMatch(y, x.replace(/\*/g, 'x'))));
}

const ISO_NANOS = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** The first field of `source` that its mapping refuses, as Elasticsearch words it; undefined if all fit. */
function checkMappings(source: any, mapping: any, prefix: string): string | undefined {
  if (mapping === undefined || source === null || typeof source !== 'object') return undefined;
  const props = mapping.properties ?? {};
  for (const key of Object.keys(source)) {
    const m = props[key];
    const field = prefix + key;
    const value = source[key];
    if (m === undefined) {
      if (mapping.dynamic === 'strict') return `mapping set to strict, dynamic introduction of [${key}] within [${prefix.slice(0, -1) || '_doc'}] is not allowed`;
      continue;
    }
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (v === null) continue;
      if (m.properties !== undefined && m.type === undefined) {
        if (typeof v !== 'object') return `object mapping for [${field}] tried to parse field [${key}] as object, but found a concrete value`;
        const inner = checkMappings(v, m, field + '.');
        if (inner) return inner;
        continue;
      }
      const bad = badValue(m.type, v);
      if (bad) return `failed to parse field [${field}] of type [${m.type}]. Preview of field's value: '${typeof v === 'object' ? JSON.stringify(v) : String(v)}'`;
    }
  }
  return undefined;
}

function badValue(type: string, v: unknown): boolean {
  switch (type) {
    case 'keyword':
    case 'text':
      return typeof v === 'object';
    case 'long':
    case 'integer': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : Number.NaN;
      if (!Number.isInteger(n)) return true;
      return type === 'integer' && (n > 2147483647 || n < -2147483648);
    }
    case 'boolean':
      return !(v === true || v === false || v === 'true' || v === 'false');
    case 'date':
    case 'date_nanos':
      if (typeof v === 'number') return type === 'date_nanos' && v < 0;
      return typeof v !== 'string' || !ISO_NANOS.test(v) || (type === 'date_nanos' && v < '1970');
    default:
      return false;
  }
}
