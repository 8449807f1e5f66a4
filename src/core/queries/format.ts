/**
 * Query results as plain-text tables for the terminal (`ogrt-server query`).
 * Values from user processes may hold control characters (an escape
 * sequence in a command line could repaint the admin's terminal): they are
 * shown as \xHH, never written raw.
 */
import { userLabel, type AffectedJobsResult, type CensusEntry, type CensusResult, type JobStoryResult } from './types.ts';

/** C0, DEL and C1 controls → `\xHH`; a backslash stays itself. */
export function safeText(value: unknown): string {
  if (value === null || value === undefined) return '-';
  return String(value).replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Columns padded to their widest cell; numbers right-aligned. */
export function renderTable(headers: readonly string[], rows: readonly (readonly unknown[])[], numeric: readonly boolean[] = []): string {
  const cells = rows.map((r) => r.map(safeText));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: readonly string[]): string =>
    r.map((c, i) => (i === r.length - 1 && !numeric[i] ? c : numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
}

const shortTime = (iso: string | null): string => (iso === null ? '-' : `${iso.slice(0, 10)} ${iso.slice(11, 19)}`);

export function formatAffectedJobs(r: AffectedJobsResult): string {
  const what = r.query.signature !== undefined ? `signature ${r.query.signature}` : `library ${safeText(r.query.library)}`;
  if (r.jobs.length === 0) return `No jobs found for ${what}.\n`;
  let out = `${r.jobs.length}${r.truncated ? '+' : ''} job(s) for ${what}:\n\n`;
  out += renderTable(
    ['JOB', 'PROCESSES', 'FIRST SEEN (UTC)', 'LAST SEEN (UTC)', 'USERS', 'HOSTS'],
    r.jobs.map((j) => [j.job_id ?? '(no job)', j.processes, shortTime(j.first_seen), shortTime(j.last_seen), j.users.join(','), j.hosts.join(',')]),
    [false, true],
  );
  if (r.truncated) out += '(more jobs matched; narrow the time range or raise --limit)\n';
  if (r.matched.length > 0) {
    out += '\nMatched:\n\n';
    out += renderTable(['KIND', 'PROCESSES', 'SIGNATURE', 'PATH'], r.matched.map((m) => [m.kind, m.processes, m.signature ?? '-', m.path]), [false, true]);
  }
  return out;
}

function censusRows(entries: readonly CensusEntry[]): unknown[][] {
  return entries.map((e) => [e.runs, e.users, e.jobs, e.hosts, e.signatures ?? '-', shortTime(e.last_seen), e.user_built ? `${e.path} [user-built]` : e.path]);
}

const CENSUS_HEADERS = ['RUNS', 'USERS', 'JOBS', 'HOSTS', 'BUILDS', 'LAST SEEN (UTC)', 'PATH'];
const CENSUS_NUMERIC = [true, true, true, true, true];

export function formatCensus(r: CensusResult): string {
  const t = r.totals;
  let out = `${t.processes} processes, ${t.users} users, ${t.jobs} jobs, ${t.hosts} hosts; ${t.executables} executables (${t.user_built_executables} user-built), ${t.libraries} libraries\n`;
  const by = `by ${r.query.sort}`;
  out += `\nTop executables ${by}:\n\n${renderTable(CENSUS_HEADERS, censusRows(r.executables), CENSUS_NUMERIC)}`;
  out += `\nUser-built programs ${by} (outside ${r.system_prefixes.join(' ')}):\n\n${renderTable(CENSUS_HEADERS, censusRows(r.user_built), CENSUS_NUMERIC)}`;
  out += `\nTop libraries ${by}:\n\n${renderTable(CENSUS_HEADERS, censusRows(r.libraries), CENSUS_NUMERIC)}`;
  return out;
}

export function formatJobStory(r: JobStoryResult): string {
  if (r.total === 0) return `No processes of job ${safeText(r.job_id)}.\n`;
  let out = `Job ${safeText(r.job_id)}: ${r.total} process(es) by ${r.users.map(safeText).join(',') || '-'} on ${r.hosts.map(safeText).join(',')}, ${shortTime(r.first_seen)} - ${shortTime(r.last_seen)} UTC\n`;
  for (const p of r.processes) {
    const exit = p.exit === null ? '' : `  exit ${p.exit.status ?? '?'}`;
    out += `\n${shortTime(p.time)}  ${safeText(p.hostname)}  pid ${p.pid}${p.parent_pid === null ? '' : ` (parent ${p.parent_pid})`}  ${safeText(userLabel(p.username, p.uid))}${exit}\n`;
    out += `  ${safeText(p.binpath ?? '(process record not received)')}${p.signature === null ? '' : `  [${p.signature}]`}\n`;
    if (p.cmdline !== null) out += `  $ ${safeText(p.cmdline)}\n`;
    for (const l of p.libraries) {
      out += `    ${safeText(l.path)}${l.signature === null ? '' : `  [${l.signature}]`}${l.dlopen_time === null ? '' : `  (dlopen ${shortTime(l.dlopen_time)})`}\n`;
    }
  }
  if (r.truncated) out += `\n(first ${r.processes.length} of ${r.total} processes; raise --limit)\n`;
  return out;
}
