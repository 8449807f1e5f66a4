/**
 * `_search` for the fake Elasticsearch/OpenSearch (elasticsearch-server.ts,
 * which has no search), wired by composition: a front server on 127.0.0.1
 * port 0 answers `POST|GET /<index>/_search` from the fake's stored
 * documents and forwards every other request to the fake unchanged.
 *
 * It implements the query DSL the built-in queries use, with the server's
 * semantics where they matter:
 *  - bool (filter, must, should + minimum_should_match, must_not), term,
 *    terms, wildcard (`*`, `?`, `\` escapes), prefix, range (gte/gt/lte/lt on
 *    dates), exists, match_none, match_all;
 *  - a field path through an object array matches any element (the
 *    template's plain, not nested, `shared_objects`);
 *  - aggregations: terms (size, missing, order by _count, _key or a metric
 *    sub-aggregation, sum_other_doc_count), min/max (value in ms and
 *    value_as_string), cardinality (exact here), filter, filters;
 *  - hits: sort by fields, size, total { value, relation: "eq" };
 *  - `X-Elastic-Product: Elasticsearch` in Elasticsearch mode.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeElasticsearch } from './elasticsearch-server.ts';

export class FakeSearchFront {
  /** Bodies of the _search requests received, parsed. */
  readonly searches: any[] = [];
  private readonly server: http.Server;
  port = 0;

  private constructor(private readonly es: FakeElasticsearch) {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  static async start(es: FakeElasticsearch): Promise<FakeSearchFront> {
    const front = new FakeSearchFront(es);
    await new Promise<void>((resolve) => front.server.listen(0, '127.0.0.1', resolve));
    front.port = (front.server.address() as AddressInfo).port;
    return front;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://x');
      const m = /^\/([^/]+)\/_search$/.exec(url.pathname);
      if (m === null || (req.method !== 'POST' && req.method !== 'GET')) {
        this.forward(req, res, body);
        return;
      }
      let status = 200;
      let answer: unknown;
      try {
        const query = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
        this.searches.push(query);
        answer = search(this.es, decodeURIComponent(m[1]), query);
      } catch (err) {
        status = 400;
        answer = { error: { type: 'parsing_exception', reason: String(err) }, status: 400 };
      }
      const text = JSON.stringify(answer);
      const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) };
      if (this.es.flavor === 'elasticsearch') headers['x-elastic-product'] = 'Elasticsearch';
      res.writeHead(status, headers);
      res.end(text);
    });
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    const upstream = http.request(
      { host: '127.0.0.1', port: this.es.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    upstream.end(body);
  }
}

function search(es: FakeElasticsearch, indexExpr: string, q: any): object {
  const patterns = indexExpr.split(',');
  const docs = es.documents().filter((d) => patterns.some((p) => globMatch(p, d.index)));
  const matching = docs.filter((d) => matches(d.source, q.query ?? { match_all: {} }));
  const sorted = sortDocs(matching, q.sort);
  const size = q.size ?? 10;
  const out: any = {
    took: 1,
    timed_out: false,
    hits: {
      total: { value: matching.length, relation: 'eq' },
      hits: sorted.slice(0, size).map((d) => ({ _index: d.index, _id: d.id, _score: null, _source: d.source })),
    },
  };
  if (q.aggs !== undefined) out.aggregations = aggregate(matching.map((d) => d.source), q.aggs);
  return out;
}

/** Values at a dotted path; arrays anywhere on the way are flattened. */
export function valuesAt(source: any, path: string): unknown[] {
  // A key may itself contain dots (`@timestamp` does not, but be safe): try the whole path first.
  if (source !== null && typeof source === 'object' && !Array.isArray(source) && path in source) return flat(source[path]);
  const dot = path.indexOf('.');
  if (dot === -1) return source === null || typeof source !== 'object' ? [] : Array.isArray(source) ? source.flatMap((s) => valuesAt(s, path)) : flat(source[path]);
  const head = path.slice(0, dot);
  const rest = path.slice(dot + 1);
  if (Array.isArray(source)) return source.flatMap((s) => valuesAt(s, path));
  if (source === null || typeof source !== 'object') return [];
  return flat(source[head]).flatMap((v) => valuesAt(v, rest));
}

function flat(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v.flatMap(flat) : [v];
}

function matches(source: any, q: any): boolean {
  const [kind] = Object.keys(q);
  const body = q[kind];
  switch (kind) {
    case 'match_all':
      return true;
    case 'match_none':
      return false;
    case 'bool': {
      const list = (x: any): any[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
      if (!list(body.filter).every((c) => matches(source, c))) return false;
      if (!list(body.must).every((c) => matches(source, c))) return false;
      if (list(body.must_not).some((c) => matches(source, c))) return false;
      const should = list(body.should);
      if (should.length > 0) {
        const min = body.minimum_should_match ?? (body.filter || body.must ? 0 : 1);
        if (should.filter((c) => matches(source, c)).length < min) return false;
      }
      return true;
    }
    case 'term': {
      const [field] = Object.keys(body);
      const want = typeof body[field] === 'object' ? body[field].value : body[field];
      return valuesAt(source, field).some((v) => String(v) === String(want));
    }
    case 'terms': {
      const [field] = Object.keys(body);
      const wanted = (body[field] as unknown[]).map(String);
      return valuesAt(source, field).some((v) => wanted.includes(String(v)));
    }
    case 'prefix': {
      const [field] = Object.keys(body);
      const p = typeof body[field] === 'object' ? body[field].value : body[field];
      return valuesAt(source, field).some((v) => String(v).startsWith(p));
    }
    case 'wildcard': {
      const [field] = Object.keys(body);
      const re = wildcardRegExp(typeof body[field] === 'object' ? body[field].value : body[field]);
      return valuesAt(source, field).some((v) => re.test(String(v)));
    }
    case 'exists':
      return valuesAt(source, body.field).length > 0;
    case 'range': {
      const [field] = Object.keys(body);
      const r = body[field];
      return valuesAt(source, field).some((v) => {
        const x = dateKey(v);
        return (r.gte === undefined || x >= dateKey(r.gte)) && (r.gt === undefined || x > dateKey(r.gt)) &&
          (r.lte === undefined || x <= dateKey(r.lte)) && (r.lt === undefined || x < dateKey(r.lt));
      });
    }
    default:
      throw new Error(`fake _search: unsupported query [${kind}]`);
  }
}

/** ISO dates compared at nanosecond precision as fixed-width strings. */
function dateKey(v: unknown): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(String(v));
  if (m === null) throw new Error(`fake _search: not a date: ${String(v)}`);
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}`;
}

function wildcardRegExp(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]);
    else if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else re += escapeRe(c);
  }
  return new RegExp(`${re}$`, 'u');
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function globMatch(pattern: string, name: string): boolean {
  return new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(name);
}

function sortDocs<T extends { source: any }>(docs: T[], sort: any): T[] {
  if (sort === undefined) return docs;
  const keys = (Array.isArray(sort) ? sort : [sort]).map((s: any) => {
    const [field] = Object.keys(s);
    const dir = typeof s[field] === 'string' ? s[field] : s[field].order ?? 'asc';
    return { field, desc: dir === 'desc' };
  });
  return [...docs].sort((a, b) => {
    for (const k of keys) {
      const x = String(valuesAt(a.source, k.field)[0] ?? '');
      const y = String(valuesAt(b.source, k.field)[0] ?? '');
      const c = /^\d{4}-\d{2}-\d{2}T/.test(x) && /^\d{4}-\d{2}-\d{2}T/.test(y) ? cmp(dateKey(x), dateKey(y)) : cmp(x, y);
      if (c !== 0) return k.desc ? -c : c;
    }
    return 0;
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function aggregate(sources: any[], aggs: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [name, spec] of Object.entries(aggs)) out[name] = aggregateOne(sources, spec);
  return out;
}

function aggregateOne(sources: any[], spec: any): any {
  const sub = spec.aggs ?? spec.aggregations;
  if (spec.filter !== undefined) {
    const inside = sources.filter((s) => matches(s, spec.filter));
    return { doc_count: inside.length, ...(sub ? aggregate(inside, sub) : {}) };
  }
  if (spec.filters !== undefined) {
    const buckets: Record<string, any> = {};
    for (const [key, f] of Object.entries(spec.filters.filters as Record<string, any>)) {
      const inside = sources.filter((s) => matches(s, f));
      buckets[key] = { doc_count: inside.length, ...(sub ? aggregate(inside, sub) : {}) };
    }
    return { buckets };
  }
  if (spec.min !== undefined || spec.max !== undefined) {
    const field = (spec.min ?? spec.max).field;
    const values = sources.flatMap((s) => valuesAt(s, field)).map((v) => dateKey(v)).sort();
    if (values.length === 0) return { value: null };
    const v = spec.min !== undefined ? values[0] : values[values.length - 1];
    const iso = `${v}Z`;
    return { value: Date.parse(`${v.slice(0, 23)}Z`), value_as_string: iso };
  }
  if (spec.cardinality !== undefined) {
    return { value: new Set(sources.flatMap((s) => valuesAt(s, spec.cardinality.field)).map(String)).size };
  }
  if (spec.terms !== undefined) {
    const t = spec.terms;
    const groups = new Map<string, any[]>();
    for (const s of sources) {
      let values = [...new Set(valuesAt(s, t.field).map(String))];
      if (values.length === 0 && t.missing !== undefined) values = [String(t.missing)];
      for (const v of values) {
        let g = groups.get(v);
        if (g === undefined) groups.set(v, (g = []));
        g.push(s);
      }
    }
    let buckets = [...groups.entries()].map(([key, docs]) => ({ key, doc_count: docs.length, ...(sub ? aggregate(docs, sub) : {}) }));
    const order = t.order ?? { _count: 'desc' };
    const [by] = Object.keys(order);
    const desc = order[by] === 'desc';
    const metric = (b: any): number | string => (by === '_count' ? b.doc_count : by === '_key' ? b.key : b[by].value_as_string ?? b[by].value);
    buckets.sort((a, b) => {
      const x = metric(a);
      const y = metric(b);
      const c = x < y ? -1 : x > y ? 1 : cmp(a.key, b.key);
      return desc && x !== y ? -c : c;
    });
    const size = t.size ?? 10;
    const shown = buckets.slice(0, size);
    buckets = shown;
    const other = [...groups.values()].reduce((n, g) => n + g.length, 0) - shown.reduce((n, b) => n + b.doc_count, 0);
    return { doc_count_error_upper_bound: 0, sum_other_doc_count: other, buckets };
  }
  throw new Error(`fake _search: unsupported aggregation ${JSON.stringify(Object.keys(spec))}`);
}
