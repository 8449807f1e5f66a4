/**
 * strftime-like UTC patterns for names that follow the calendar: index names
 * (output-elasticsearch, from the record time) and file paths (output-file,
 * from the wall clock). Fields: %Y year, %m month, %d day of month, %H hour
 * (00-23), %j day of the year (001-366), %% a literal "%".
 *
 * Parse once at configuration (parseUtcPattern), expand per name
 * (formatUtcPattern); callers cache the result per day or hour.
 */

export const UTC_PATTERN_FIELDS = ['Y', 'm', 'd', 'H', 'j'] as const;
export type UtcPatternField = (typeof UTC_PATTERN_FIELDS)[number];

/** Literal text (adjacent literals merged, `%%` already `%`) or a field. */
export type UtcPatternPart = string | { readonly field: UtcPatternField };

/** A schema `pattern` that accepts exactly the strings parseUtcPattern() accepts. */
export const UTC_PATTERN_REGEX = '^(?:[^%]|%[YmdHj%])*$';

/** Splits `ogrt-%Y.%m.%d` into parts; throws on an unknown field (`%x`) or a lone `%` at the end. */
export function parseUtcPattern(pattern: string): UtcPatternPart[] {
  const parts: UtcPatternPart[] = [];
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
    if (!(UTC_PATTERN_FIELDS as readonly string[]).includes(f)) {
      throw new Error(`unsupported field %${f ?? ''} in "${pattern}" (supported: %Y %m %d %H %j %%)`);
    }
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push({ field: f as UtcPatternField });
  }
  if (literal !== '') parts.push(literal);
  return parts;
}

/** The parts expanded for an ISO UTC time `YYYY-MM-DDTHH:...`; the caller has checked its form. */
export function formatUtcPattern(parts: readonly UtcPatternPart[], iso: string): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else if (p.field === 'Y') out += iso.slice(0, 4);
    else if (p.field === 'm') out += iso.slice(5, 7);
    else if (p.field === 'd') out += iso.slice(8, 10);
    else if (p.field === 'H') out += iso.slice(11, 13);
    else out += dayOfYear(iso);
  }
  return out;
}

function dayOfYear(iso: string): string {
  const y = Number(iso.slice(0, 4));
  const start = Date.UTC(y, 0, 1);
  const day = Date.UTC(y, Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10)));
  return String((day - start) / 86_400_000 + 1).padStart(3, '0');
}
