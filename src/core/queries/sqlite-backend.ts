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
import { querySql, type QuerySql } from './sqlite-sql.ts';
import {
  userLabel,
  type AffectedJob, type AffectedJobsQuery, type AffectedJobsResult, type CensusEntry, type CensusQuery, type CensusResult,
  type JobStoryQuery, type JobStoryResult, type MatchedObject, type QueryBackend, type StoryLibrary, type StoryProcess, type TimeRange,
} from './types.ts';

/** The store schema this reader understands (plugins/output-sqlite/schema.ts SCHEMA_VERSION). */
const SCHEMA_VERSION = 1;
const MIN_US = -8.64e18;
const MAX_US = 8.64e18;

export interface SqliteBackendOptions {
  readonly file: string;
  /** How the dashboard shows the file (e.g. relative to ogrt.conf); default: file. */
  readonly shownFile?: string;
  /** Executables and libraries under these are not user-built. */
  readonly systemPrefixes: readonly string[];
}

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

type Statements = { readonly [K in keyof QuerySql]: Database.Statement };

export class SqliteQueryBackend implements QueryBackend {
  readonly description: string;
  readonly label: string;
  private db: Database.Database | undefined;
  private stmts: Statements | undefined;
  private readonly prefixes: readonly string[];

  constructor(private readonly options: SqliteBackendOptions) {
    this.description = `sqlite ${options.file}`;
    this.label = `sqlite ${options.shownFile ?? options.file}`;
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
      const sort = q.sort ?? 'runs';
      const params = { ...bounds(q), limit: q.limit, sort, ...prefixParams(this.prefixes) };
      const ranged = q.fromUs !== undefined || q.toUs !== undefined;
      const totals = (ranged ? s.totalsInRange : s.totals).get(params) as { processes: number; users: number; jobs: number; hosts: number };
      const executables = (ranged ? s.executablesInRange : s.executables).all(params) as EntryRow[];
      const libraries = (ranged ? s.librariesInRange : s.libraries).all(params) as EntryRow[];
      const userBuilt = (ranged ? s.userBuiltInRange : s.userBuilt).all(params) as EntryRow[];
      return {
        query: { from: iso(q.fromUs), to: iso(q.toUs), limit: q.limit, sort },
        totals: {
          processes: totals.processes,
          users: totals.users,
          jobs: totals.jobs,
          hosts: totals.hosts,
          executables: executables[0]?.total ?? 0,
          libraries: libraries[0]?.total ?? 0,
          user_built_executables: userBuilt[0]?.total ?? 0,
        },
        executables: executables.map((r) => this.entry(r, true)),
        libraries: libraries.map((r) => this.entry(r, false)),
        user_built: userBuilt.map((r) => this.entry(r, true)),
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
        users: distinct(processes.map((p) => userLabel(p.username, p.uid))),
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

  private entry(r: EntryRow, executable: boolean): CensusEntry {
    return {
      path: r.path,
      runs: r.runs,
      users: r.users,
      jobs: r.jobs,
      hosts: r.hosts,
      signatures: r.signatures,
      first_seen: microsToIso(r.first_us),
      last_seen: microsToIso(r.last_us),
      user_built: executable && isUserBuilt(r.path, this.prefixes),
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
  const sql = querySql(prefixCount);
  const out = {} as Record<keyof QuerySql, Database.Statement>;
  for (const key of Object.keys(sql) as (keyof QuerySql)[]) out[key] = db.prepare(sql[key]);
  out.jobCount.pluck();
  return out;
}

/** An executable at an absolute path outside every system prefix (types.ts CensusEntry.user_built). */
export function isUserBuilt(path: string, systemPrefixes: readonly string[]): boolean {
  return path.startsWith('/') && !systemPrefixes.some((p) => path.startsWith(p));
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
