/**
 * Record time <-> wire microseconds (docs/protocol.md §2, §7) with string and
 * integer math only: a float would round microseconds after the year 2255.
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})$/;
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
/** 9999-12-31T23:59:59Z: the last second an ISO string with a 4-digit year can hold. */
const MAX_SECONDS = 253402300799;

export interface WireTime {
  /** Decimal microseconds since the epoch, no leading zeros. */
  micros: string;
  /** `YYYY-MM-DDThh:mm:ss.ffffffZ`. */
  iso: string;
}

/**
 * Parses an RFC 3339 time (1–6 fractional digits, `Z` or an offset) at or
 * after the epoch; null when it is not one.
 */
export function parseIsoTime(s: string): WireTime | null {
  // Records come in bursts from the same second: reuse the last canonical second.
  if (s.length === 27 && s.startsWith(cachedPrefix) && s.charCodeAt(19) === 0x2e && s.charCodeAt(26) === 0x5a && digitsOnly(s, 20, 26)) {
    const frac6 = s.slice(20, 26);
    return { micros: cachedSeconds === 0 ? String(Number(frac6)) : cachedSeconds + frac6, iso: s };
  }
  const t = parseUncached(s);
  if (t !== null && t.iso === s) {
    cachedPrefix = s.slice(0, 19);
    cachedSeconds = t.micros.length > 6 ? Number(t.micros.slice(0, -6)) : 0;
  }
  return t;
}

/** `YYYY-MM-DDThh:mm:ss` of the last canonical time parsed, and its seconds since the epoch. */
let cachedPrefix = '\0';
let cachedSeconds = 0;

function digitsOnly(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function parseUncached(s: string): WireTime | null {
  const m = ISO.exec(s);
  if (m === null) return null;
  const [, ys, mos, ds, hs, mis, ss, frac, zone] = m;
  const y = Number(ys), mo = Number(mos), d = Number(ds), h = Number(hs), mi = Number(mis), sec = Number(ss);
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59) return null;
  const ms = Date.UTC(y, mo - 1, d, h, mi, sec);
  const date = new Date(ms);
  // Date.UTC rolls Feb 30 over into March and reads years 0–99 as 19xx.
  if (date.getUTCFullYear() !== y || date.getUTCDate() !== d) return null;
  let seconds = ms / 1000;
  if (zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const oh = Number(zone.slice(1, 3)), om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return null;
    seconds -= sign * (oh * 3600 + om * 60);
  }
  if (seconds < 0 || seconds > MAX_SECONDS) return null;
  const frac6 = frac === undefined ? '000000' : frac.padEnd(6, '0');
  const micros = seconds === 0 ? String(Number(frac6)) : `${seconds}${frac6}`;
  const iso = CANONICAL.test(s) ? s : `${new Date(seconds * 1000).toISOString().slice(0, 19)}.${frac6}Z`;
  return { micros, iso };
}

let lastSeconds = -1;
let lastPrefix = '';

/** ISO string of decimal microseconds (digits only); null beyond the year 9999. */
export function microsToIso(digits: string): string | null {
  let start = 0;
  while (start < digits.length - 1 && digits.charCodeAt(start) === 0x30) start++;
  const significant = digits.length - start;
  let seconds = 0;
  let frac: string;
  if (significant <= 6) {
    frac = digits.slice(start).padStart(6, '0');
  } else {
    if (significant > 18) return null;
    seconds = Number(digits.slice(start, digits.length - 6));
    frac = digits.slice(digits.length - 6);
  }
  if (seconds > MAX_SECONDS) return null;
  if (seconds !== lastSeconds) {
    lastPrefix = new Date(seconds * 1000).toISOString().slice(0, 19);
    lastSeconds = seconds;
  }
  return `${lastPrefix}.${frac}Z`;
}
