/**
 * Query parameters as users type them (URL query strings, CLI options) →
 * validated queries. Shared by the JSON API and the CLI so both accept and
 * refuse exactly the same input. Errors are OGRT_ERR_QUERY_INVALID with a
 * message naming the parameter (HTTP 400, CLI exit 2).
 */
import { OgrtError } from '../errors.ts';
import { parseGlob } from './glob.ts';
import { CENSUS_SORTS, type AffectedJobsQuery, type CensusQuery, type CensusSort, type JobStoryQuery, type TimeRange } from './types.ts';

export interface RawParams {
  readonly [name: string]: string | undefined;
}

export const LIMITS = Object.freeze({
  affectedJobs: { default: 1000, max: 100_000 },
  census: { default: 20, max: 1000 },
  jobStory: { default: 1000, max: 100_000 },
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RELATIVE = /^(\d{1,6})([smhdw])$/;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const ISO_DATE_TIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.(\d{1,9}))?)?)(Z|[+-]\d{2}:?\d{2})?)?$/;

export function invalid(message: string): OgrtError {
  return new OgrtError('OGRT_ERR_QUERY_INVALID', [message]);
}

export function parseAffectedJobs(p: RawParams, nowMs = Date.now()): AffectedJobsQuery {
  const signature = nonEmpty(p.signature);
  const library = nonEmpty(p.library);
  if ((signature === undefined) === (library === undefined)) throw invalid('give exactly one of signature or library');
  if (library !== undefined) {
    try {
      parseGlob(library);
    } catch (err) {
      throw invalid((err as Error).message);
    }
  }
  return {
    signature: signature === undefined ? undefined : parseSignature(signature),
    library,
    ...parseRange(p, nowMs),
    limit: parseLimit(p.limit, LIMITS.affectedJobs),
  };
}

export function parseCensus(p: RawParams, nowMs = Date.now()): CensusQuery {
  return { ...parseRange(p, nowMs), limit: parseLimit(p.limit, LIMITS.census), sort: parseSort(p.sort) };
}

function parseSort(value: string | undefined): CensusSort {
  const v = nonEmpty(value)?.trim().toLowerCase();
  if (v === undefined) return 'runs';
  if (!(CENSUS_SORTS as readonly string[]).includes(v)) throw invalid(`sort: must be one of ${CENSUS_SORTS.join(', ')} (got "${value}")`);
  return v as CensusSort;
}

export function parseJobStory(jobId: string | undefined, p: RawParams): JobStoryQuery {
  const id = nonEmpty(jobId);
  if (id === undefined) throw invalid('job id is empty');
  if (id.length > 255) throw invalid('job id is longer than 255 characters');
  return { jobId: id, limit: parseLimit(p.limit, LIMITS.jobStory) };
}

export function parseSignature(value: string): string {
  const s = value.trim().toLowerCase();
  if (!UUID.test(s)) throw invalid(`signature: "${value}" is not a uuid (8-4-4-4-12 hex digits)`);
  return s;
}

/**
 * `from` / `to`: an ISO 8601 date or date-time (UTC unless it has an
 * offset), or a time ago: `90m`, `24h`, `7d`, `2w` (also `s`).
 */
export function parseTime(value: string, name: string, nowMs = Date.now()): number {
  const v = value.trim();
  const rel = RELATIVE.exec(v);
  if (rel !== null) return (nowMs - Number(rel[1]) * UNIT_MS[rel[2]]) * 1000;
  const m = ISO_DATE_TIME.exec(v);
  if (m === null) throw invalid(`${name}: "${value}" is neither an ISO 8601 date/time (2026-11-24, 2026-11-24T21:40:08Z) nor a time ago (24h, 7d)`);
  const time = m[2] === undefined ? '00:00:00' : m[2].length === 5 ? `${m[2]}:00` : m[2].replace(/\.\d+$/, '');
  const zone = m[4] === undefined ? 'Z' : m[4];
  const ms = Date.parse(`${m[1]}T${time}${zone}`);
  if (Number.isNaN(ms)) throw invalid(`${name}: "${value}" is not a valid date/time`);
  const fraction = m[3] === undefined ? 0 : Number((m[3] + '00000').slice(0, 6));
  return ms * 1000 + fraction;
}

function parseRange(p: RawParams, nowMs: number): TimeRange {
  const from = nonEmpty(p.from);
  const to = nonEmpty(p.to);
  const fromUs = from === undefined ? undefined : parseTime(from, 'from', nowMs);
  const toUs = to === undefined ? undefined : parseTime(to, 'to', nowMs);
  if (fromUs !== undefined && toUs !== undefined && fromUs >= toUs) throw invalid('from must be before to');
  return { fromUs, toUs };
}

function parseLimit(value: string | undefined, bounds: { default: number; max: number }): number {
  const v = nonEmpty(value);
  if (v === undefined) return bounds.default;
  if (!/^\d{1,9}$/.test(v) || Number(v) < 1 || Number(v) > bounds.max) throw invalid(`limit: must be a whole number from 1 to ${bounds.max}`);
  return Number(v);
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

/** Microseconds since the epoch → `2026-11-24T21:40:08.123456Z`. */
export function microsToIso(us: number): string {
  const ms = Math.floor(us / 1000);
  const micros = us - ms * 1000;
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(((ms % 1000) + 1000) % 1000).padStart(3, '0')}${String(micros).padStart(3, '0')}Z`;
}
