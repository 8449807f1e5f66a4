/**
 * Index names from the record's own time (UTC), so a retry or a replay days
 * later lands in the same index as the first try and its `_id` dedupes there.
 */
import { formatUtcPattern, parseUtcPattern } from '../../src/core/plugin-api.ts';

export interface IndexNamer {
  /** Index name for an ISO time `YYYY-MM-DDTHH:MM:SS.ffffffZ`; undefined if the time is not in that form. */
  nameFor(time: string): string | undefined;
  /** The pattern with every date field as `*`, for the template's index_patterns. */
  readonly wildcard: string;
}

/** Compiles `ogrt-%Y.%m.%d`; throws on an unknown `%` field. */
export function compileIndexPattern(pattern: string): IndexNamer {
  const parts = parseUtcPattern(pattern);
  const fields = parts.filter((p) => typeof p !== 'string').map((p) => p.field);
  const wildcard = parts.map((p) => (typeof p === 'string' ? p : '*')).join('').replace(/\*+/g, '*');
  if (fields.length === 0) return { nameFor: (time) => (isIsoTime(time) ? pattern.replace(/%%/g, '%') : undefined), wildcard };

  // The name depends on the date (and hour): cache it per key, batches are mostly one day.
  const keyLength = fields.includes('H') ? 13 : 10;
  let lastKey = '';
  let lastName = '';
  return {
    wildcard,
    nameFor(time: string): string | undefined {
      if (!isIsoTime(time)) return undefined;
      if (time.startsWith(lastKey) && lastKey !== '') return lastName;
      const name = formatUtcPattern(parts, time);
      lastKey = time.slice(0, keyLength);
      lastName = name;
      return name;
    },
  };
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export function isIsoTime(time: string): boolean {
  return typeof time === 'string' && ISO.test(time);
}
