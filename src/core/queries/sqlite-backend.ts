/**
 * The queries answered from the database of plugins/output-sqlite (its
 * tables are described in plugins/output-sqlite/schema.ts), through a
 * read-only connection: a query can never change the store, and in WAL mode
 * it neither blocks nor is blocked by the writer.
 *
 * The connection opens on the first query (the output creates the file when
 * it starts) and is reopened after an error.
 */
import Database from 'better-sqlite3';
import { OgrtError } from '../errors.ts';
import { parseGlob, toSqliteGlob } from './glob.ts';
import { microsToIso } from './params.ts';
import type {
  AffectedJob, AffectedJobsQuery, AffectedJobsResult, CensusEntry, CensusQuery, CensusResult, JobStoryQuery,
  JobStoryResult, MatchedObject, QueryBackend, StoryLibrary, StoryProcess, TimeRange,
} from './types.ts';

/** The store schema this reader understands (plugins/output-sqlite/schema.ts SCHEMA_VERSION). */
const SCHEMA_VERSION = 1;
const MIN_US = -8.64e18;
const MAX_US = 8.64e18;

export interface SqliteBackendOptions {
  readonly file: string;
  /** Executables and libraries under these are not user-built. */
  readonly systemPrefixes: readonly string[];
}

/** Aggregation shared by both affected-jobs queries; `hit` is the CTE of matching process ids. */
const JOBS_OF_HITS = `
  SELECT p.job_id AS job_id,
         json_group_array(DISTINCT p.username) FILTER (WHERE p.username IS NOT NULL) AS users,
         json_group_array(DISTINCT p.hostname) AS hosts,
         min(p.time_us) AS first_us, max(p.time_us) AS last_us, count(*) AS processes
  FROM hit JOIN process p ON p.id = hit.process_id
  WHERE p.time_us >= @from AND p.time_us < @to
  GROUP BY p.job_id
  ORDER BY first_us, p.job_id
  LIMIT @limit`;

const SIGNATURE_HITS = `
  WITH hit(process_id) AS (
    SELECT id FROM process WHERE signature = @signature
    UNION
    SELECT po.process_id FROM object o JOIN process_object po ON po.object_id = o.id
    WHERE o.signature = @signature AND o.signature <> ''
  )`;

const LIBRARY_HITS = `
  WITH obj AS (SELECT id FROM object WHERE path GLOB @glob),
       hit(process_id) AS (SELECT DISTINCT po.process_id FROM obj JOIN process_object po ON po.object_id = obj.id)`;

const LIBRARY_HITS_EXACT = `
  WITH obj AS (SELECT id FROM object WHERE path = @glob),
       hit(process_id) AS (SELECT DISTINCT po.process_id FROM obj JOIN process_object po ON po.object_id = obj.id)`;

const MATCHED_BY_SIGNATURE = `
  SELECT 'executable' AS kind, binpath AS path, signature, count(*) AS processes
  FROM process WHERE signature = @signature AND binpath IS NOT NULL AND time_us >= @from AND time_us < @to
  GROUP BY binpath
  UNION ALL
  SELECT 'library', o.path, o.signature, count(*)
  FROM object o JOIN process_object po ON po.object_id = o.id JOIN process p ON p.id = po.process_id
  WHERE o.signature = @signature AND o.signature <> '' AND p.time_us >= @from AND p.time_us < @to
  GROUP BY o.path
  ORDER BY 4 DESC, 2
  LIMIT @limit`;

const MATCHED_BY_LIBRARY = (exact: boolean) => `
  SELECT 'library' AS kind, o.path, o.signature, count(*) AS processes
  FROM object o JOIN process_object po ON po.object_id = o.id JOIN process p ON p.id = po.process_id
  WHERE o.path ${exact ? '=' : 'GLOB'} @glob AND p.time_us >= @from AND p.time_us < @to
  GROUP BY o.id
  ORDER BY processes DESC, o.path, o.signature
  LIMIT @limit`;

const ENTRY_COLUMNS = `count(*) AS runs, count(DISTINCT p.username) AS users, count(DISTINCT p.job_id) AS jobs,
  count(DISTINCT p.hostname) AS hosts, min(p.time_us) AS first_us, max(p.time_us) AS last_us,
  count(*) OVER () AS total`;

interface EntryRow {
  path: string;
  runs: number;
  users: number;
  jobs: number;
  hosts: number;
  signatures: number;
  first_us: number;
  last_us: number;
  total: number;
}

interface ProcessRow {
  id: number;
  uuid: string;
  complete: number;
  time: string;
  hostname: string;
  pid: number;
  parent_pid: number | null;
  uid: number | null;
  username: string | null;
  binpath: string | null;
  signature: string | null;
  cmdline: string | null;
  modules: string | null;
  environment: string | null;
  incomplete: number;
  exit_time_us: number | null;
  exit_status: number | null;
  wall_time_us: number | null;
  max_rss_kb: number | null;
}

interface Statements {
  bySignature: Database.Statement;
  byLibrary: Database.Statement;
  byLibraryExact: Database.Statement;
  matchedBySignature: Database.Statement;
  matchedByLibrary: Database.Statement;
  matchedByLibraryExact: Database.Statement;
  totals: Database.Statement;
  executables: Database.Statement;
  userBuilt: Database.Statement;
  libraries: Database.Statement;
  jobProcesses: Database.Statement;
  jobCount: Database.Statement;
  jobLibraries: Database.Statement;
}

export class SqliteQueryBackend implements QueryBackend {
  readonly description: string;
  private db: Database.Database | undefined;
  private stmts: Statements | undefined;
  private readonly prefixes: readonly string[];

  constructor(private readonly options: SqliteBackendOptions) {
    this.description = `sqlite ${options.file}`;
    this.prefixes = Object.freeze([...options.systemPrefixes]);
  }

  async affectedJobs(q: AffectedJobsQuery): Promise<AffectedJobsResult> {
    return this.run((s) => {
      const range = bounds(q);
      let jobs: AffectedJobRow[];
      let matched: MatchedObject[];
      if (q.signature !== undefined) {
        const params = { signature: q.signature, ...range, limit: q.limit + 1 };
        jobs = s.bySignature.all(params) as AffectedJobRow[];
        matched = s.matchedBySignature.all({ ...params, limit: q.limit }) as MatchedObject[];
      } else {
        const glob = parseGlob(q.library!);
        const exact = glob.exact !== undefined;
        const params = { glob: exact ? glob.exact : toSqliteGlob(glob), ...range, limit: q.limit + 1 };
        jobs = (exact ? s.byLibraryExact : s.byLibrary).all(params) as AffectedJobRow[];
        matched = (exact ? s.matchedByLibraryExact : s.matchedByLibrary).all({ ...params, limit: q.limit }) as MatchedObject[];
      }
      const truncated = jobs.length > q.limit;
      if (truncated) jobs.length = q.limit;
      return {
        query: queryEcho(q),
        jobs: jobs.map(toAffectedJob),
        matched: matched.map((m) => ({ kind: m.kind, path: m.path, signature: m.signature === '' ? null : m.signature, processes: m.processes })),
        truncated,
      };
    });
  }

  async census(q: CensusQuery): Promise<CensusResult> {
    return this.run((s) => {
      const params = { ...bounds(q), limit: q.limit, ...prefixParams(this.prefixes) };
      const totals = s.totals.get(params) as { processes: number; users: number; jobs: number; hosts: number };
      const executables = s.executables.all(params) as EntryRow[];
      const libraries = s.libraries.all(params) as EntryRow[];
      const userBuilt = s.userBuilt.all(params) as EntryRow[];
      return {
        query: { from: iso(q.fromUs), to: iso(q.toUs), limit: q.limit },
        totals: {
          processes: totals.processes,
          users: totals.users,
          jobs: totals.jobs,
          hosts: totals.hosts,
          executables: executables[0]?.total ?? 0,
          libraries: libraries[0]?.total ?? 0,
          user_built_executables: userBuilt[0]?.total ?? 0,
        },
        executables: executables.map((r) => this.entry(r)),
        libraries: libraries.map((r) => this.entry(r)),
        user_built: userBuilt.map((r) => this.entry(r)),
        system_prefixes: this.prefixes,
      };
    });
  }

  async jobStory(q: JobStoryQuery): Promise<JobStoryResult> {
    return this.run((s) => {
      const params = { job: q.jobId, limit: q.limit };
      const rows = s.jobProcesses.all(params) as ProcessRow[];
      const total = s.jobCount.get(params) as number;
      const libs = new Map<number, StoryLibrary[]>();
      if (rows.length > 0) {
        for (const l of s.jobLibraries.all(params) as { process_id: number; path: string; signature: string; dlopen_time_us: number | null }[]) {
          let list = libs.get(l.process_id);
          if (list === undefined) libs.set(l.process_id, (list = []));
          list.push({ path: l.path, signature: l.signature === '' ? null : l.signature, dlopen_time: l.dlopen_time_us === null ? null : microsToIso(l.dlopen_time_us) });
        }
      }
      const processes = rows.map((r) => toStoryProcess(r, libs.get(r.id) ?? []));
      return {
        job_id: q.jobId,
        processes,
        total,
        truncated: total > rows.length,
        users: distinct(processes.map((p) => p.username)),
        hosts: distinct(processes.map((p) => p.hostname)),
        first_seen: processes[0]?.time ?? null,
        last_seen: processes.at(-1)?.time ?? null,
      };
    });
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = this.stmts = undefined;
  }

  private entry(r: EntryRow): CensusEntry {
    return {
      path: r.path,
      runs: r.runs,
      users: r.users,
      jobs: r.jobs,
      hosts: r.hosts,
      signatures: r.signatures,
      first_seen: microsToIso(r.first_us),
      last_seen: microsToIso(r.last_us),
      user_built: !this.prefixes.some((p) => r.path.startsWith(p)),
    };
  }

  private run<T>(query: (s: Statements) => T): T {
    const s = this.open();
    try {
      return query(s);
    } catch (err) {
      if (err instanceof OgrtError) throw err;
      // A broken connection is reopened by the next query.
      void this.close();
      throw new OgrtError('OGRT_ERR_QUERY_STORE', [this.description, (err as Error).message], { cause: err });
    }
  }

  private open(): Statements {
    if (this.stmts !== undefined) return this.stmts;
    const file = this.options.file;
    let db: Database.Database;
    try {
      db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5_000 });
    } catch (err) {
      throw new OgrtError('OGRT_ERR_QUERY_NO_STORE', [`cannot open ${file} (${(err as Error).message}); the sqlite output creates it when the server first starts`], { cause: err });
    }
    try {
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version !== SCHEMA_VERSION) {
        throw new OgrtError('OGRT_ERR_QUERY_NO_STORE', [`${file} has store schema version ${version}, this server reads version ${SCHEMA_VERSION}`]);
      }
      this.stmts = prepare(db, this.prefixes.length);
    } catch (err) {
      db.close();
      if (err instanceof OgrtError) throw err;
      throw new OgrtError('OGRT_ERR_QUERY_STORE', [this.description, (err as Error).message], { cause: err });
    }
    this.db = db;
    return this.stmts;
  }
}

function prepare(db: Database.Database, prefixCount: number): Statements {
  // substr() comparisons: prefixes are plain text, never patterns.
  const system = prefixCount === 0
    ? '0'
    : Array.from({ length: prefixCount }, (_, i) => `substr(p.binpath, 1, length(@prefix${i})) = @prefix${i}`).join(' OR ');
  const inRange = 'p.time_us >= @from AND p.time_us < @to';
  return {
    bySignature: db.prepare(SIGNATURE_HITS + JOBS_OF_HITS),
    byLibrary: db.prepare(LIBRARY_HITS + JOBS_OF_HITS),
    byLibraryExact: db.prepare(LIBRARY_HITS_EXACT + JOBS_OF_HITS),
    matchedBySignature: db.prepare(MATCHED_BY_SIGNATURE),
    matchedByLibrary: db.prepare(MATCHED_BY_LIBRARY(false)),
    matchedByLibraryExact: db.prepare(MATCHED_BY_LIBRARY(true)),
    totals: db.prepare(`
      SELECT count(*) AS processes, count(DISTINCT p.username) AS users, count(DISTINCT p.job_id) AS jobs,
             count(DISTINCT p.hostname) AS hosts
      FROM process p WHERE ${inRange}`),
    executables: db.prepare(`
      SELECT p.binpath AS path, ${ENTRY_COLUMNS}, count(DISTINCT p.signature) AS signatures
      FROM process p WHERE p.binpath IS NOT NULL AND ${inRange}
      GROUP BY p.binpath ORDER BY runs DESC, path LIMIT @limit`),
    userBuilt: db.prepare(`
      SELECT p.binpath AS path, ${ENTRY_COLUMNS}, count(DISTINCT p.signature) AS signatures
      FROM process p WHERE p.binpath IS NOT NULL AND NOT (${system}) AND ${inRange}
      GROUP BY p.binpath ORDER BY runs DESC, path LIMIT @limit`),
    libraries: db.prepare(`
      SELECT o.path AS path, ${ENTRY_COLUMNS}, count(DISTINCT nullif(o.signature, '')) AS signatures
      FROM process_object po JOIN object o ON o.id = po.object_id JOIN process p ON p.id = po.process_id
      WHERE ${inRange}
      GROUP BY o.path ORDER BY runs DESC, path LIMIT @limit`),
    jobProcesses: db.prepare('SELECT * FROM process WHERE job_id = @job ORDER BY time_us, id LIMIT @limit'),
    jobCount: db.prepare('SELECT count(*) FROM process WHERE job_id = @job').pluck(),
    jobLibraries: db.prepare(`
      SELECT po.process_id, o.path, o.signature, po.dlopen_time_us
      FROM process_object po JOIN object o ON o.id = po.object_id
      WHERE po.process_id IN (SELECT id FROM process WHERE job_id = @job ORDER BY time_us, id LIMIT @limit)
      ORDER BY po.process_id, po.dlopen_time_us IS NOT NULL, po.dlopen_time_us, po.seq`),
  };
}

interface AffectedJobRow {
  job_id: string | null;
  users: string;
  hosts: string;
  first_us: number;
  last_us: number;
  processes: number;
}

function toAffectedJob(r: AffectedJobRow): AffectedJob {
  return {
    job_id: r.job_id,
    users: (JSON.parse(r.users) as string[]).sort(),
    hosts: (JSON.parse(r.hosts) as string[]).sort(),
    first_seen: microsToIso(r.first_us),
    last_seen: microsToIso(r.last_us),
    processes: r.processes,
  };
}

function toStoryProcess(r: ProcessRow, libraries: StoryLibrary[]): StoryProcess {
  return {
    uuid: r.uuid,
    time: r.time,
    hostname: r.hostname,
    pid: r.pid,
    parent_pid: r.parent_pid,
    uid: r.uid,
    username: r.username,
    binpath: r.binpath,
    signature: r.signature,
    cmdline: r.cmdline,
    modules: r.modules === null ? [] : (JSON.parse(r.modules) as string[]),
    environment: r.environment === null ? [] : (JSON.parse(r.environment) as [string, string][]).map(([name, value]) => ({ name, value })),
    exit: r.exit_time_us === null
      ? null
      : { time: microsToIso(r.exit_time_us), status: r.exit_status, wall_time_us: r.wall_time_us, max_rss_kb: r.max_rss_kb },
    complete: r.complete === 1,
    incomplete: r.incomplete === 1,
    libraries,
  };
}

function bounds(r: TimeRange): { from: number; to: number } {
  return { from: r.fromUs ?? MIN_US, to: r.toUs ?? MAX_US };
}

function prefixParams(prefixes: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  prefixes.forEach((p, i) => (out[`prefix${i}`] = p));
  return out;
}

function iso(us: number | undefined): string | undefined {
  return us === undefined ? undefined : microsToIso(us);
}

export function queryEcho(q: AffectedJobsQuery): AffectedJobsResult['query'] {
  return { signature: q.signature, library: q.library, from: iso(q.fromUs), to: iso(q.toUs) };
}

function distinct(values: (string | null)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== null))].sort();
}
