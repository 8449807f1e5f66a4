/**
 * The built-in queries: what they take and what they answer, independent of
 * the store that answers them (sqlite-backend.ts, elasticsearch-backend.ts).
 * The JSON API (docs/api.md) returns these shapes as they are, and the CLI
 * prints them as tables or as the same JSON.
 *
 * Times in answers are ISO 8601 UTC strings with six fractional digits, like
 * record times; `job_id` is null for processes that ran outside a batch job.
 */

/** Microseconds since the epoch; bounds are inclusive `from`, exclusive `to`. */
export interface TimeRange {
  readonly fromUs?: number;
  readonly toUs?: number;
}

export interface AffectedJobsQuery extends TimeRange {
  /** A signature uuid (lower case): executables and libraries stamped with it. */
  readonly signature?: string;
  /** A path glob (see glob.ts): libraries whose path matches. */
  readonly library?: string;
  readonly limit: number;
}

export interface AffectedJob {
  readonly job_id: string | null;
  /** Distinct users (see userLabel), sorted. */
  readonly users: string[];
  readonly hosts: string[];
  readonly first_seen: string;
  readonly last_seen: string;
  /** Processes of this job that ran a matching executable or loaded a matching library. */
  readonly processes: number;
}

/** An executable or library that matched, with how many processes used it. */
export interface MatchedObject {
  readonly kind: 'executable' | 'library';
  readonly path: string;
  readonly signature: string | null;
  readonly processes: number;
}

export interface AffectedJobsResult {
  readonly query: { readonly signature?: string; readonly library?: string; readonly from?: string; readonly to?: string };
  /** Ordered by first_seen. */
  readonly jobs: AffectedJob[];
  /** Matching executables and libraries, most used first (at most `limit`). */
  readonly matched: MatchedObject[];
  /** More jobs matched than `limit`. */
  readonly truncated: boolean;
}

/** What the census lists are ordered by (most first; ties: more runs, then path). */
export const CENSUS_SORTS = ['runs', 'users', 'jobs'] as const;
export type CensusSort = (typeof CENSUS_SORTS)[number];

export interface CensusQuery extends TimeRange {
  /** Entries per list. */
  readonly limit: number;
  /** Default: runs. */
  readonly sort?: CensusSort;
}

export interface CensusEntry {
  readonly path: string;
  /** Processes that ran the executable / loaded the library. */
  readonly runs: number;
  /** Distinct users (by name; by uid where the record has no name, see userLabel). */
  readonly users: number;
  readonly jobs: number;
  readonly hosts: number;
  /**
   * Distinct signatures seen for this path (builds of it). null where the
   * store cannot tell: Elasticsearch flattens shared objects, so a library's
   * path and signature are not paired in its index.
   */
  readonly signatures: number | null;
  readonly first_seen: string;
  readonly last_seen: string;
  /**
   * An executable at an absolute path outside every configured system
   * prefix. Always false for libraries (the census calls out programs, not
   * the vDSO or a preload library) and for paths that are not absolute.
   */
  readonly user_built: boolean;
}

export interface CensusResult {
  readonly query: { readonly from?: string; readonly to?: string; readonly limit: number; readonly sort: CensusSort };
  readonly totals: {
    readonly processes: number;
    readonly users: number;
    readonly jobs: number;
    readonly hosts: number;
    readonly executables: number;
    readonly libraries: number;
    readonly user_built_executables: number;
  };
  /** Ordered by `query.sort`. */
  readonly executables: CensusEntry[];
  readonly libraries: CensusEntry[];
  /** Executables outside the system prefixes: programs users built or brought. */
  readonly user_built: CensusEntry[];
  readonly system_prefixes: readonly string[];
}

export interface JobStoryQuery {
  readonly jobId: string;
  readonly limit: number;
}

export interface StoryLibrary {
  readonly path: string;
  readonly signature: string | null;
  /** Set when a dlopen added it later; null when loaded at start. */
  readonly dlopen_time: string | null;
}

export interface StoryProcess {
  readonly uuid: string;
  readonly time: string;
  readonly hostname: string;
  readonly pid: number;
  readonly parent_pid: number | null;
  readonly uid: number | null;
  readonly username: string | null;
  readonly binpath: string | null;
  readonly signature: string | null;
  readonly cmdline: string | null;
  readonly modules: string[];
  readonly environment: { readonly name: string; readonly value: string }[];
  readonly exit: { readonly time: string; readonly status: number | null; readonly wall_time_us: number | null; readonly max_rss_kb: number | null } | null;
  /** False when only dlopen/exit records of the process arrived. */
  readonly complete: boolean;
  readonly incomplete: boolean;
  readonly libraries: StoryLibrary[];
}

export interface JobStoryResult {
  readonly job_id: string;
  /** Processes in start order (at most `limit`). */
  readonly processes: StoryProcess[];
  /** All processes of the job. */
  readonly total: number;
  readonly truncated: boolean;
  readonly users: string[];
  readonly hosts: string[];
  readonly first_seen: string | null;
  readonly last_seen: string | null;
}

/**
 * How answers name a user: the user name, else `uid:N` — libogrt takes the
 * name from $USER by default, which batch scripts and cron jobs may not
 * set; the uid is always there. null when the record has neither.
 */
export function userLabel(username: string | null | undefined, uid: number | string | null | undefined): string | null {
  if (username !== null && username !== undefined) return username;
  return uid === null || uid === undefined ? null : `uid:${uid}`;
}

/** A store that answers the built-in queries. */
export interface QueryBackend {
  /** For logs and errors: `sqlite /path/ogrt.db`, `elasticsearch http://…`. */
  readonly description: string;
  /** For the dashboard (/api/info): like description, without local paths the viewer has no use for. */
  readonly label: string;
  affectedJobs(q: AffectedJobsQuery): Promise<AffectedJobsResult>;
  census(q: CensusQuery): Promise<CensusResult>;
  jobStory(q: JobStoryQuery): Promise<JobStoryResult>;
  close(): Promise<void>;
}
