/**
 * The queries answered from Elasticsearch or OpenSearch, on the indexes and
 * the template output-elasticsearch installs (keyword fields, `date_nanos`
 * time; plugins/output-elasticsearch/template.ts). One search with
 * aggregations per question, plus one small search to count the matching
 * libraries.
 *
 * What differs from the SQLite store, because the template flattens the
 * shared_objects array (`shared_objects.path` and `.signature` are two
 * unpaired lists in the index):
 *  - a dlopen record is its own document, so a process that dlopen'ed a
 *    matching library counts once per matching record;
 *  - library entries of the census have `signatures: null`;
 *  - `matched` libraries are found in up to SAMPLE matching documents, then
 *    counted exactly.
 * Distinct counts (users, jobs, hosts in the census) are Elasticsearch's
 * cardinality estimates, exact up to 40 000 values. Users are counted by
 * name, plus by uid for records without a name (`uid:N`, like SQLite);
 * `sort=users` orders by the named users only (one terms order cannot add
 * two metrics).
 */
import type { OutputConfig } from '../config.ts';
import { OgrtError } from '../errors.ts';
import { ConfigProblem, resolveConfig, type EsOptions, type ResolvedConfig } from '../../../plugins/output-elasticsearch/config.ts';
import { createSearchClient, type SearchClient } from './es-client.ts';
import { ECS_FIELDS, OGRT_FIELDS, fromSource, normalizeTime, type DocRecord, type EsFields } from './es-fields.ts';
import { parseGlob, toEsWildcard, toRegExp } from './glob.ts';
import { microsToIso } from './params.ts';
import { isUserBuilt, queryEcho } from './sqlite-backend.ts';
import {
  userLabel,
  type AffectedJob, type AffectedJobsQuery, type AffectedJobsResult, type CensusEntry, type CensusQuery, type CensusResult,
  type JobStoryQuery, type JobStoryResult, type MatchedObject, type QueryBackend, type StoryProcess, type TimeRange,
} from './types.ts';

/** Documents read to find which library paths matched. */
const SAMPLE = 200;
/** Largest page Elasticsearch serves by default (index.max_result_window). */
const MAX_WINDOW = 10_000;
const PRECISION = 40_000;
/** Bucket key for documents without job_id (job ids are never empty). */
const NO_JOB = '';

export function elasticsearchBackendFromOutput(output: OutputConfig, configDir: string, systemPrefixes: readonly string[]): QueryBackend {
  let cfg: ResolvedConfig;
  try {
    cfg = resolveConfig(output.options as EsOptions, configDir);
  } catch (err) {
    const why = err instanceof ConfigProblem ? err.message : (err as Error).message;
    throw new OgrtError('OGRT_ERR_QUERY_NO_STORE', [`output ${output.id}: ${why}`], { cause: err });
  }
  const index = cfg.target.kind === 'data_stream' ? cfg.target.name : cfg.target.namer.wildcard;
  return new ElasticsearchQueryBackend(createSearchClient(cfg), {
    index,
    schema: cfg.schema,
    systemPrefixes,
    description: `${cfg.flavor} ${cfg.displayNodes} ${index}`,
  });
}

export interface EsBackendOptions {
  /** Index, pattern or data stream to search. */
  readonly index: string;
  readonly schema: 'ogrt' | 'ecs';
  readonly systemPrefixes: readonly string[];
  readonly description: string;
}

export class ElasticsearchQueryBackend implements QueryBackend {
  readonly description: string;
  readonly label: string;
  private readonly f: EsFields;

  constructor(private readonly client: SearchClient, private readonly o: EsBackendOptions) {
    this.description = o.description;
    this.label = o.description;
    this.f = o.schema === 'ecs' ? ECS_FIELDS : OGRT_FIELDS;
  }

  async affectedJobs(q: AffectedJobsQuery): Promise<AffectedJobsResult> {
    const f = this.f;
    let match: object;
    let isMatch: (so: { path: string; signature?: string }) => boolean;
    if (q.signature !== undefined) {
      const sig = q.signature;
      match = {
        bool: {
          should: [{ bool: { filter: [{ term: { [f.signature]: sig } }, { term: { [f.kind]: 'process' } }] } }, { term: { [f.soSignature]: sig } }],
          minimum_should_match: 1,
        },
      };
      isMatch = (so) => so.signature === sig;
    } else {
      const glob = parseGlob(q.library!);
      match = glob.exact !== undefined ? { term: { [f.soPath]: glob.exact } } : { wildcard: { [f.soPath]: { value: toEsWildcard(glob) } } };
      const re = toRegExp(glob);
      isMatch = (so) => re.test(so.path);
    }
    const body = {
      size: SAMPLE,
      track_total_hits: true,
      query: { bool: { filter: [match, ...this.range(q)] } },
      sort: [{ [f.time]: 'desc' }],
      aggs: {
        jobs: {
          terms: { field: f.jobId, size: q.limit + 1, missing: NO_JOB, order: { first: 'asc' } },
          aggs: {
            users: { terms: { field: f.username, size: 1000 } },
            ...this.unnamedUsers({ terms: { field: f.uid, size: 1000 } }),
            hosts: { terms: { field: f.hostname, size: 1000 } },
            first: { min: { field: f.time } },
            last: { max: { field: f.time } },
          },
        },
        executables: {
          filter: { bool: { filter: [{ term: { [f.kind]: 'process' } }, ...(q.signature === undefined ? [{ match_none: {} }] : [{ term: { [f.signature]: q.signature } }])] } },
          aggs: { paths: { terms: { field: f.binpath, size: q.limit } } },
        },
      },
    };
    const res = await this.search(body);
    const buckets: any[] = res.aggregations?.jobs?.buckets ?? [];
    const truncated = buckets.length > q.limit || (res.aggregations?.jobs?.sum_other_doc_count ?? 0) > 0;
    const jobs: AffectedJob[] = buckets.slice(0, q.limit).map((b) => ({
      job_id: b.key === NO_JOB ? null : String(b.key),
      users: [...keys(b.users), ...keys(b.unnamed?.uids).map((uid) => `uid:${uid}`)].sort(),
      hosts: keys(b.hosts).sort(),
      first_seen: normalizeTime(b.first.value_as_string ?? b.first.value),
      last_seen: normalizeTime(b.last.value_as_string ?? b.last.value),
      processes: b.doc_count,
    }));
    const matched: MatchedObject[] = (res.aggregations?.executables?.paths?.buckets ?? []).map((b: any) => ({
      kind: 'executable' as const,
      path: String(b.key),
      signature: q.signature ?? null,
      processes: b.doc_count,
    }));
    matched.push(...(await this.countLibraries(res.hits?.hits ?? [], isMatch, q)));
    matched.sort((a, b) => b.processes - a.processes || a.path.localeCompare(b.path));
    return { query: queryEcho(q), jobs, matched: matched.slice(0, q.limit), truncated };
  }

  async census(q: CensusQuery): Promise<CensusResult> {
    const f = this.f;
    const users = { cardinality: { field: f.username, precision_threshold: PRECISION } };
    const unnamed = this.unnamedUsers({ cardinality: { field: f.uid, precision_threshold: PRECISION } });
    const sort = q.sort ?? 'runs';
    const order = sort === 'runs' ? undefined : { [sort]: 'desc' };
    const entryAggs = (signatureField: string | undefined) => ({
      users,
      ...unnamed,
      jobs: { cardinality: { field: f.jobId, precision_threshold: PRECISION } },
      hosts: { cardinality: { field: f.hostname, precision_threshold: PRECISION } },
      ...(signatureField === undefined ? {} : { signatures: { cardinality: { field: signatureField, precision_threshold: PRECISION } } }),
      first: { min: { field: f.time } },
      last: { max: { field: f.time } },
    });
    const prefixes = this.o.systemPrefixes;
    const body = {
      size: 0,
      query: { bool: { filter: this.range(q) } },
      aggs: {
        processes: {
          filter: { term: { [f.kind]: 'process' } },
          aggs: {
            users,
            ...unnamed,
            jobs: { cardinality: { field: f.jobId, precision_threshold: PRECISION } },
            hosts: { cardinality: { field: f.hostname, precision_threshold: PRECISION } },
            executable_count: { cardinality: { field: f.binpath, precision_threshold: PRECISION } },
            executables: { terms: { field: f.binpath, size: q.limit, order }, aggs: entryAggs(f.signature) },
            user_built: {
              filter: { bool: { filter: [{ prefix: { [f.binpath]: '/' } }], must_not: prefixes.map((p) => ({ prefix: { [f.binpath]: p } })) } },
              aggs: {
                count: { cardinality: { field: f.binpath, precision_threshold: PRECISION } },
                top: { terms: { field: f.binpath, size: q.limit, order }, aggs: entryAggs(f.signature) },
              },
            },
          },
        },
        loads: {
          filter: { terms: { [f.kind]: ['process', 'dlopen'] } },
          aggs: {
            library_count: { cardinality: { field: f.soPath, precision_threshold: PRECISION } },
            libraries: { terms: { field: f.soPath, size: q.limit, order }, aggs: entryAggs(undefined) },
          },
        },
      },
    };
    const res = await this.search(body);
    const p = res.aggregations?.processes ?? {};
    const l = res.aggregations?.loads ?? {};
    const entries = (agg: any, executables: boolean): CensusEntry[] =>
      (agg?.buckets ?? []).map((b: any) => ({
        path: String(b.key),
        runs: b.doc_count,
        users: b.users.value + (b.unnamed?.uids?.value ?? 0),
        jobs: b.jobs.value,
        hosts: b.hosts.value,
        signatures: executables ? b.signatures.value : null,
        first_seen: normalizeTime(b.first.value_as_string ?? b.first.value),
        last_seen: normalizeTime(b.last.value_as_string ?? b.last.value),
        user_built: executables && isUserBuilt(String(b.key), prefixes),
      }));
    return {
      query: { from: iso(q.fromUs), to: iso(q.toUs), limit: q.limit, sort },
      totals: {
        processes: p.doc_count ?? 0,
        users: (p.users?.value ?? 0) + (p.unnamed?.uids?.value ?? 0),
        jobs: p.jobs?.value ?? 0,
        hosts: p.hosts?.value ?? 0,
        executables: p.executable_count?.value ?? 0,
        libraries: l.library_count?.value ?? 0,
        user_built_executables: p.user_built?.count?.value ?? 0,
      },
      executables: entries(p.executables, true),
      libraries: entries(l.libraries, false),
      user_built: entries(p.user_built?.top, true),
      system_prefixes: prefixes,
    };
  }

  async jobStory(q: JobStoryQuery): Promise<JobStoryResult> {
    const f = this.f;
    const res = await this.search({
      size: MAX_WINDOW,
      track_total_hits: true,
      query: { bool: { filter: [{ term: { [f.jobId]: q.jobId } }] } },
      sort: [{ [f.time]: 'asc' }, { [f.uuid]: 'asc' }],
      aggs: { processes: { filter: { term: { [f.kind]: 'process' } } } },
    });
    const docs: DocRecord[] = (res.hits?.hits ?? []).map((h: any) => fromSource(h._source, this.o.schema));
    const byUuid = new Map<string, StoryProcess>();
    const order: StoryProcess[] = [];
    const processOf = (d: DocRecord, uuid: string, complete: boolean): StoryProcess => {
      let p = byUuid.get(uuid);
      if (p === undefined || (complete && !p.complete)) {
        const fresh = storyProcess(d, uuid, complete, p);
        if (p === undefined) order.push(fresh);
        else order[order.indexOf(p)] = fresh;
        byUuid.set(uuid, fresh);
        p = fresh;
      }
      return p;
    };
    for (const d of docs) {
      if (d.kind === 'process') {
        processOf(d, d.uuid, true);
        continue;
      }
      const p = processOf(d, d.process_uuid ?? d.uuid, false);
      if (d.kind === 'dlopen') {
        for (const so of d.shared_objects) p.libraries.push({ path: so.path, signature: so.signature ?? null, dlopen_time: normalizeTime(d.time) });
      } else if (d.kind === 'exit') {
        (p as { exit: StoryProcess['exit'] }).exit = { time: normalizeTime(d.time), status: d.exit_status ?? null, wall_time_us: d.wall_time_us ?? null, max_rss_kb: d.max_rss_kb ?? null };
      }
    }
    order.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    const total = Math.max(res.aggregations?.processes?.doc_count ?? 0, order.length);
    const processes = order.slice(0, q.limit);
    const hitsTotal = typeof res.hits?.total === 'number' ? res.hits.total : (res.hits?.total?.value ?? docs.length);
    return {
      job_id: q.jobId,
      processes,
      total,
      truncated: processes.length < total || hitsTotal > docs.length,
      users: distinct(processes.map((p) => userLabel(p.username, p.uid))),
      hosts: distinct(processes.map((p) => p.hostname)),
      first_seen: processes[0]?.time ?? null,
      last_seen: processes.at(-1)?.time ?? null,
    };
  }

  close(): Promise<void> {
    return this.client.close();
  }

  /** Sub-aggregation `unnamed.uids`: `uids` over the documents without a user name. */
  private unnamedUsers(uids: object): { unnamed: object } {
    return { unnamed: { filter: { bool: { must_not: [{ exists: { field: this.f.username } }] } }, aggs: { uids } } };
  }

  private range(r: TimeRange): object[] {
    if (r.fromUs === undefined && r.toUs === undefined) return [];
    const range: Record<string, string> = {};
    if (r.fromUs !== undefined) range.gte = microsToIso(r.fromUs);
    if (r.toUs !== undefined) range.lt = microsToIso(r.toUs);
    return [{ range: { [this.f.time]: range } }];
  }

  private async search(body: object): Promise<any> {
    try {
      return await this.client.search(this.o.index, body);
    } catch (err) {
      throw new OgrtError('OGRT_ERR_QUERY_STORE', [this.description, (err as Error).message], { cause: err });
    }
  }

  /** Library (path, signature) pairs seen in the sample, counted exactly with one `filters` aggregation. */
  private async countLibraries(hits: any[], isMatch: (so: { path: string; signature?: string }) => boolean, q: AffectedJobsQuery): Promise<MatchedObject[]> {
    const pairs = new Map<string, { path: string; signature: string | null }>();
    for (const h of hits) {
      for (const so of fromSource(h._source, this.o.schema).shared_objects) {
        if (!isMatch(so) || pairs.size >= q.limit) continue;
        pairs.set(`${so.path}\u0000${so.signature ?? ''}`, { path: so.path, signature: so.signature ?? null });
      }
    }
    if (pairs.size === 0) return [];
    const f = this.f;
    const list = [...pairs.values()];
    const filters: Record<string, object> = {};
    list.forEach((p, i) => {
      const terms: object[] = [{ term: { [f.soPath]: p.path } }];
      if (p.signature !== null) terms.push({ term: { [f.soSignature]: p.signature } });
      filters[String(i)] = { bool: { filter: terms } };
    });
    const res = await this.search({
      size: 0,
      query: { bool: { filter: [{ terms: { [f.kind]: ['process', 'dlopen'] } }, ...this.range(q)] } },
      aggs: { libraries: { filters: { filters } } },
    });
    const buckets = res.aggregations?.libraries?.buckets ?? {};
    return list.map((p, i) => ({ kind: 'library' as const, path: p.path, signature: p.signature, processes: buckets[String(i)]?.doc_count ?? 0 }));
  }
}

function storyProcess(d: DocRecord, uuid: string, complete: boolean, before: StoryProcess | undefined): StoryProcess {
  return {
    uuid,
    time: normalizeTime(d.time),
    hostname: d.hostname,
    pid: d.pid,
    parent_pid: d.parent_pid ?? null,
    uid: d.uid ?? null,
    username: d.username ?? null,
    binpath: d.binpath ?? null,
    signature: d.signature ?? null,
    cmdline: complete ? (d.cmdline ?? null) : null,
    modules: complete ? d.loaded_modules.map((m) => m.name) : [],
    environment: complete ? d.environment_variables.map((e) => ({ name: e.name, value: e.value })) : [],
    exit: before?.exit ?? null,
    complete,
    incomplete: d.incomplete === true,
    libraries: [
      ...(complete ? d.shared_objects.map((so) => ({ path: so.path, signature: so.signature ?? null, dlopen_time: null })) : []),
      ...(before?.libraries ?? []),
    ],
  };
}

function keys(agg: any): string[] {
  return (agg?.buckets ?? []).map((b: any) => String(b.key));
}

function iso(us: number | undefined): string | undefined {
  return us === undefined ? undefined : microsToIso(us);
}

function distinct(values: (string | null)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== null))].sort();
}
