/**
 * File names from the wall clock (UTC): `data/ogrt-%Y-%m-%d.jsonl`.
 *
 * Fields: %Y year, %m month, %d day of month, %H hour (00-23), %j day of the
 * year (001-366), %% a literal "%". The clock, not the record time, picks the
 * file: a file is only ever appended to while it is the current one, so a
 * late or replayed record lands in today's file rather than reopening an old
 * (possibly already compressed and shipped) one.
 */

export const PATH_FIELDS = ['Y', 'm', 'd', 'H', 'j'] as const;
type Field = (typeof PATH_FIELDS)[number];

/** A schema `pattern` that accepts exactly the strings compilePathPattern() accepts. */
export const PATH_PATTERN_REGEX = '^(?:[^%]|%[YmdHj%])*$';

export interface PathPattern {
  /** The path for a time in epoch milliseconds. */
  format(ms: number): string;
  /** True when the pattern has no time field (the path never changes). */
  readonly constant: boolean;
}

/** Throws on an unknown field (`%x`) or a lone `%` at the end. */
export function compilePathPattern(pattern: string): PathPattern {
  const parts: (string | { field: Field })[] = [];
  let literal = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c !== '%') {
      literal += c;
      continue;
    }
    const f = pattern[++i];
    if (f === '%') {
      literal += '%';
      continue;
    }
    if (!(PATH_FIELDS as readonly string[]).includes(f)) {
      throw new Error(`unsupported field %${f ?? ''} in "${pattern}" (supported: %Y %m %d %H %j %%)`);
    }
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push({ field: f as Field });
  }
  if (literal !== '') parts.push(literal);

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
      const iso = new Date(hour * 3_600_000).toISOString();
      let out = '';
      for (const p of parts) {
        if (typeof p === 'string') out += p;
        else if (p.field === 'Y') out += iso.slice(0, 4);
        else if (p.field === 'm') out += iso.slice(5, 7);
        else if (p.field === 'd') out += iso.slice(8, 10);
        else if (p.field === 'H') out += iso.slice(11, 13);
        else out += dayOfYear(ms);
      }
      lastHour = hour;
      lastPath = out;
      return out;
    },
  };
}

function dayOfYear(ms: number): string {
  const d = new Date(ms);
  const day = Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
  return String(day).padStart(3, '0');
}
