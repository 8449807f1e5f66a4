/**
 * The SQL of the built-in queries on the store of plugins/output-sqlite
 * (tables and indexes: plugins/output-sqlite/schema.ts). Kept apart from
 * sqlite-backend.ts so test/plugins/output-sqlite/query-plans.test.ts can
 * check with EXPLAIN QUERY PLAN that the lookups use the indexes.
 *
 * In the lookups, the time range is written `+p.time_us`: the unary plus
 * keeps the planner from walking process_time instead of the signature or
 * path index (with statistics it may guess a range is selective; the
 * default range is all of time).
 *
 * Named parameters: @signature, @glob (a GLOB pattern, or the exact path),
 * @from/@to (microseconds, [from, to)), @limit, @job, @sort (census:
 * 'runs' | 'users' | 'jobs') and @prefix0..N (dashboard.system_prefixes).
 */

/**
 * Who ran a process: the user name, else `uid:N` (types.ts userLabel) —
 * libogrt takes the name from $USER, which batch scripts may not set.
 */
export const USER_OF_P = "coalesce(p.username, 'uid:' || p.uid)";

const LOOKUP_RANGE = '+p.time_us >= @from AND +p.time_us < @to';

/** Aggregation shared by both affected-jobs queries; `hit` is the CTE of matching process ids. */
const JOBS_OF_HITS = `
  SELECT p.job_id AS job_id,
         json_group_array(DISTINCT ${USER_OF_P}) FILTER (WHERE ${USER_OF_P} IS NOT NULL) AS users,
         json_group_array(DISTINCT p.hostname) AS hosts,
         min(p.time_us) AS first_us, max(p.time_us) AS last_us, count(*) AS processes
  FROM hit JOIN process p ON p.id = hit.process_id
  WHERE ${LOOKUP_RANGE}
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

// CROSS JOIN keeps object the outer loop: without it the planner may read
// all of process_object to find the links of a few libraries.
const LIBRARY_HITS = (exact: boolean) => `
  WITH hit(process_id) AS (
    SELECT DISTINCT po.process_id FROM object o CROSS JOIN process_object po ON po.object_id = o.id
    WHERE o.path ${exact ? '=' : 'GLOB'} @glob
  )`;

const MATCHED_BY_SIGNATURE = `
  SELECT 'executable' AS kind, binpath AS path, signature, count(*) AS processes
  FROM process p WHERE signature = @signature AND binpath IS NOT NULL AND ${LOOKUP_RANGE}
  GROUP BY binpath
  UNION ALL
  SELECT 'library', o.path, o.signature, count(*)
  FROM object o JOIN process_object po ON po.object_id = o.id JOIN process p ON p.id = po.process_id
  WHERE o.signature = @signature AND o.signature <> '' AND ${LOOKUP_RANGE}
  GROUP BY o.path
  ORDER BY 4 DESC, 2
  LIMIT @limit`;

// CROSS JOIN: object first, as in LIBRARY_HITS.
const MATCHED_BY_LIBRARY = (exact: boolean) => `
  SELECT 'library' AS kind, o.path, o.signature, count(*) AS processes
  FROM object o CROSS JOIN process_object po ON po.object_id = o.id CROSS JOIN process p ON p.id = po.process_id
  WHERE o.path ${exact ? '=' : 'GLOB'} @glob AND ${LOOKUP_RANGE}
  GROUP BY o.id
  ORDER BY processes DESC, o.path, o.signature
  LIMIT @limit`;

const ENTRY_COLUMNS = `count(*) AS runs, count(DISTINCT ${USER_OF_P}) AS users, count(DISTINCT p.job_id) AS jobs,
  count(DISTINCT p.hostname) AS hosts, min(p.time_us) AS first_us, max(p.time_us) AS last_us,
  count(*) OVER () AS total`;

/** Census order: the chosen count, then runs, then path. */
const ENTRY_ORDER = "ORDER BY CASE @sort WHEN 'users' THEN users WHEN 'jobs' THEN jobs ELSE runs END DESC, runs DESC, path";

/**
 * The census reads every process in its range. Without a range: the whole
 * table, no time predicate (a scan is the fastest). With one: through
 * process_time, always — the planner cannot tell a week from ten years.
 */
function censusSql(system: string, ranged: boolean) {
  const processes = ranged ? 'process p INDEXED BY process_time' : 'process p';
  const where = ranged ? 'p.time_us >= @from AND p.time_us < @to' : '1';
  return {
    totals: `
      SELECT count(*) AS processes, count(DISTINCT ${USER_OF_P}) AS users, count(DISTINCT p.job_id) AS jobs,
             count(DISTINCT p.hostname) AS hosts
      FROM ${processes} WHERE ${where}`,
    executables: `
      SELECT p.binpath AS path, ${ENTRY_COLUMNS}, count(DISTINCT p.signature) AS signatures
      FROM ${processes} WHERE p.binpath IS NOT NULL AND ${where}
      GROUP BY p.binpath ${ENTRY_ORDER} LIMIT @limit`,
    // User-built: an absolute path outside every system prefix.
    userBuilt: `
      SELECT p.binpath AS path, ${ENTRY_COLUMNS}, count(DISTINCT p.signature) AS signatures
      FROM ${processes} WHERE substr(p.binpath, 1, 1) = '/' AND NOT (${system}) AND ${where}
      GROUP BY p.binpath ${ENTRY_ORDER} LIMIT @limit`,
    libraries: `
      SELECT o.path AS path, ${ENTRY_COLUMNS}, count(DISTINCT nullif(o.signature, '')) AS signatures
      FROM ${processes} CROSS JOIN process_object po ON po.process_id = p.id JOIN object o ON o.id = po.object_id
      WHERE ${where}
      GROUP BY o.path ${ENTRY_ORDER} LIMIT @limit`,
  };
}

export interface QuerySql {
  bySignature: string;
  byLibrary: string;
  byLibraryExact: string;
  matchedBySignature: string;
  matchedByLibrary: string;
  matchedByLibraryExact: string;
  /** Census of all time. */
  totals: string;
  executables: string;
  userBuilt: string;
  libraries: string;
  /** Census of a time range (@from, @to). */
  totalsInRange: string;
  executablesInRange: string;
  userBuiltInRange: string;
  librariesInRange: string;
  jobProcesses: string;
  jobCount: string;
  jobLibraries: string;
}

/** Every statement, for `prefixCount` system prefixes (@prefix0..). */
export function querySql(prefixCount: number): QuerySql {
  // substr() comparisons: prefixes are plain text, never patterns.
  const system = prefixCount === 0
    ? '0'
    : Array.from({ length: prefixCount }, (_, i) => `substr(p.binpath, 1, length(@prefix${i})) = @prefix${i}`).join(' OR ');
  const all = censusSql(system, false);
  const ranged = censusSql(system, true);
  return {
    bySignature: SIGNATURE_HITS + JOBS_OF_HITS,
    byLibrary: LIBRARY_HITS(false) + JOBS_OF_HITS,
    byLibraryExact: LIBRARY_HITS(true) + JOBS_OF_HITS,
    matchedBySignature: MATCHED_BY_SIGNATURE,
    matchedByLibrary: MATCHED_BY_LIBRARY(false),
    matchedByLibraryExact: MATCHED_BY_LIBRARY(true),
    ...all,
    totalsInRange: ranged.totals,
    executablesInRange: ranged.executables,
    userBuiltInRange: ranged.userBuilt,
    librariesInRange: ranged.libraries,
    jobProcesses: 'SELECT * FROM process WHERE job_id = @job ORDER BY time_us, id LIMIT @limit',
    jobCount: 'SELECT count(*) FROM process WHERE job_id = @job',
    jobLibraries: `
      SELECT po.process_id, o.path, o.signature, po.dlopen_time_us
      FROM process_object po JOIN object o ON o.id = po.object_id
      WHERE po.process_id IN (SELECT id FROM process WHERE job_id = @job ORDER BY time_us, id LIMIT @limit)
      ORDER BY po.process_id, po.dlopen_time_us IS NOT NULL, po.dlopen_time_us, po.seq`,
  };
}
