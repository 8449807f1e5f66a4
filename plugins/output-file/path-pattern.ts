/**
 * File names from the wall clock (UTC): `data/ogrt-%Y-%m-%d.jsonl`.
 *
 * Fields: %Y year, %m month, %d day of month, %H hour (00-23), %j day of the
 * year (001-366), %% a literal "%". The clock, not the record time, picks the
 * file: a file is only ever appended to while it is the current one, so a
 * late or replayed record lands in today's file rather than reopening an old
 * (possibly already compressed and shipped) one.
 */

import { formatUtcPattern, parseUtcPattern, UTC_PATTERN_REGEX } from '../../src/core/plugin-api.ts';

/** A schema `pattern` that accepts exactly the strings compilePathPattern() accepts. */
export const PATH_PATTERN_REGEX = UTC_PATTERN_REGEX;

export interface PathPattern {
  /** The path for a time in epoch milliseconds. */
  format(ms: number): string;
  /** True when the pattern has no time field (the path never changes). */
  readonly constant: boolean;
}

/** Throws on an unknown field (`%x`) or a lone `%` at the end. */
export function compilePathPattern(pattern: string): PathPattern {
  const parts = parseUtcPattern(pattern);
  if (parts.every((p) => typeof p === 'string')) {
    const fixed = parts.join('');
    return { constant: true, format: () => fixed };
  }
  // Paths change at most hourly: cache per UTC hour.
  let lastHour = NaN;
  let lastPath = '';
  return {
    constant: false,
    format(ms: number): string {
      const hour = Math.floor(ms / 3_600_000);
      if (hour === lastHour) return lastPath;
      lastPath = formatUtcPattern(parts, new Date(hour * 3_600_000).toISOString());
      lastHour = hour;
      return lastPath;
    },
  };
}
