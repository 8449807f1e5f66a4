/**
 * Index names from the record's own time (UTC), so a retry or a replay days
 * later lands in the same index as the first try and its `_id` dedupes there.
 */

export interface IndexNamer {
  /** Index name for an ISO time `YYYY-MM-DDTHH:MM:SS.ffffffZ`; undefined if the time is not in that form. */
  nameFor(time: string): string | undefined;
  /** The pattern with every date field as `*`, for the template's index_patterns. */
  readonly wildcard: string;
}

type Part = string | 'Y' | 'm' | 'd' | 'H' | 'j';

/** Compiles `ogrt-%Y.%m.%d`; throws on an unknown `%` field. */
export function compileIndexPattern(pattern: string): IndexNamer {
  const parts: { literal: boolean; value: Part }[] = [];
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
    if (f !== 'Y' && f !== 'm' && f !== 'd' && f !== 'H' && f !== 'j') {
      throw new Error(`unsupported field %${f ?? ''} in "${pattern}" (supported: %Y %m %d %H %j %%)`);
    }
    if (literal) parts.push({ literal: true, value: literal });
    literal = '';
    parts.push({ literal: false, value: f });
  }
  if (literal) parts.push({ literal: true, value: literal });

  const fields = parts.filter((p) => !p.literal).map((p) => p.value);
  const wildcard = parts.map((p) => (p.literal ? p.value : '*')).join('').replace(/\*+/g, '*');
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
      let name = '';
      for (const p of parts) {
        if (p.literal) name += p.value;
        else if (p.value === 'Y') name += time.slice(0, 4);
        else if (p.value === 'm') name += time.slice(5, 7);
        else if (p.value === 'd') name += time.slice(8, 10);
        else if (p.value === 'H') name += time.slice(11, 13);
        else name += dayOfYear(time);
      }
      lastKey = time.slice(0, keyLength);
      lastName = name;
      return name;
    },
  };
}

function dayOfYear(time: string): string {
  const y = Number(time.slice(0, 4));
  const start = Date.UTC(y, 0, 1);
  const day = Date.UTC(y, Number(time.slice(5, 7)) - 1, Number(time.slice(8, 10)));
  return String((day - start) / 86_400_000 + 1).padStart(3, '0');
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export function isIsoTime(time: string): boolean {
  return typeof time === 'string' && ISO.test(time);
}
