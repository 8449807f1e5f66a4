/**
 * Byte-level building blocks shared by the RFC 5424 parser and serializer:
 * character classes, RFC 3629 UTF-8 validation and the TIMESTAMP scanner.
 *
 * Scanners return the position after what they matched, or `~offset` (a
 * negative number) of the first byte that does not fit. An error offset equal
 * to `end` means the input ran out, which the parser reports as `truncated`.
 */

export const SP = 0x20;
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const RBRACKET = 0x5d;
export const LBRACKET = 0x5b;
export const DASH = 0x2d;

/** SD-NAME: PRINTUSASCII except '=', SP, ']', '"'. */
export const SD_NAME_CHAR = new Uint8Array(256);
/** Bytes that stop the fast scan of a PARAM-VALUE: '"', '\', ']' and every non-ASCII byte. */
export const VALUE_STOP = new Uint8Array(256);
for (let c = 33; c <= 126; c++) SD_NAME_CHAR[c] = c === 0x3d || c === RBRACKET || c === QUOTE ? 0 : 1;
for (let c = 0; c < 256; c++) VALUE_STOP[c] = c === QUOTE || c === BACKSLASH || c === RBRACKET || c >= 0x80 ? 1 : 0;

/**
 * Length of the valid UTF-8 sequence whose lead byte is at `i` (a byte >= 0x80),
 * `~i` if it is invalid (the sequence's first byte is reported), `~end` if the
 * input ends inside an otherwise valid sequence.
 */
export function utf8SequenceLength(b: Uint8Array, i: number, end: number): number {
  const c = b[i];
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c === 0xe0) lo = 0xa0; // overlong
    else if (c === 0xed) hi = 0x9f; // surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c === 0xf0) lo = 0x90; // overlong
    else if (c === 0xf4) hi = 0x8f; // above U+10FFFF
  } else return ~i;
  for (let k = 1; k < n; k++) {
    if (i + k >= end) return ~end;
    const t = b[i + k];
    if (t < lo || t > hi) return ~i;
    lo = 0x80;
    hi = 0xbf;
  }
  return n;
}

/** Position after a valid UTF-8 run [i, end), or ~offset as utf8SequenceLength reports it. */
export function scanUtf8(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    if (b[i] < 0x80) {
      i++;
      continue;
    }
    const n = utf8SequenceLength(b, i, end);
    if (n < 0) return n;
    i += n;
  }
  return i;
}

// "DDDD-DD-DDTDD:DD:DD", 0 = a digit.
const TIMESTAMP_SHAPE = new Uint8Array([0, 0, 0, 0, DASH, 0, 0, DASH, 0, 0, 0x54, 0, 0, 0x3a, 0, 0, 0x3a, 0, 0]);
const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Fields of the last TIMESTAMP scanned: year, month, day, hour, minute, second, microseconds, offset minutes. */
export const TIMESTAMP_FIELDS = new Int32Array(8);

function two(b: Uint8Array, i: number): number {
  return (b[i] - 48) * 10 + (b[i + 1] - 48);
}

/**
 * Scans FULL-DATE "T" FULL-TIME at `pos` (not NILVALUE) into TIMESTAMP_FIELDS.
 * Syntax is checked before ranges, so a prefix of a valid TIMESTAMP always
 * reports `~end`. Leap second 60 is refused: RFC 5424 §6.2.3 says "Leap
 * seconds MUST NOT be used".
 */
export function scanTimestamp(b: Uint8Array, pos: number, end: number): number {
  for (let k = 0; k < 19; k++) {
    const i = pos + k;
    if (i >= end) return ~end;
    const want = TIMESTAMP_SHAPE[k];
    const c = b[i];
    if (want === 0 ? c < 48 || c > 57 : c !== want) return ~i;
  }
  let i = pos + 19;
  let micros = 0;
  if (i < end && b[i] === 0x2e) {
    i++;
    let digits = 0;
    while (i < end && b[i] >= 48 && b[i] <= 57) {
      if (digits === 6) return ~i;
      micros = micros * 10 + (b[i] - 48);
      digits++;
      i++;
    }
    if (digits === 0) return i >= end ? ~end : ~i;
    for (; digits < 6; digits++) micros *= 10;
  }
  if (i >= end) return ~end;
  let offsetMinutes = 0;
  const z = b[i];
  if (z === 0x5a) i++;
  else if (z === 0x2b || z === DASH) {
    for (let k = 1; k <= 5; k++) {
      if (i + k >= end) return ~end;
      const c = b[i + k];
      if (k === 3 ? c !== 0x3a : c < 48 || c > 57) return ~(i + k);
    }
    const oh = two(b, i + 1);
    const om = two(b, i + 4);
    if (oh > 23) return ~(i + 1);
    if (om > 59) return ~(i + 4);
    offsetMinutes = (oh * 60 + om) * (z === DASH ? -1 : 1);
    i += 6;
  } else return ~i;

  const year = (b[pos] - 48) * 1000 + (b[pos + 1] - 48) * 100 + two(b, pos + 2);
  const month = two(b, pos + 5);
  const day = two(b, pos + 8);
  const hour = two(b, pos + 11);
  const minute = two(b, pos + 14);
  const second = two(b, pos + 17);
  if (month < 1 || month > 12) return ~(pos + 5);
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day < 1 || day > DAYS_IN_MONTH[month] + (leap ? 1 : 0)) return ~(pos + 8);
  if (hour > 23) return ~(pos + 11);
  if (minute > 59) return ~(pos + 14);
  if (second > 59) return ~(pos + 17);
  const f = TIMESTAMP_FIELDS;
  f[0] = year; f[1] = month; f[2] = day; f[3] = hour; f[4] = minute; f[5] = second; f[6] = micros; f[7] = offsetMinutes;
  return i;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** ASCII bytes of `s`, or null if it has any other character. */
function asciiBytes(s: string): Uint8Array | null {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return null;
    out[i] = c;
  }
  return out;
}

/** True when `s` is a complete RFC 5424 TIMESTAMP other than NILVALUE. */
export function isTimestamp(s: string): boolean {
  const b = asciiBytes(s);
  return b !== null && scanTimestamp(b, 0, b.length) === b.length;
}

/**
 * Epoch microseconds of an RFC 5424 TIMESTAMP, all six fractional digits kept
 * and the offset applied. null for NILVALUE/null, for anything that is not a
 * valid TIMESTAMP, and for instants whose microsecond count is not a safe
 * integer (before about 1685 or after about 2255).
 */
export function timestampToMicros(ts: string | null): number | null {
  if (ts === null) return null;
  const b = asciiBytes(ts);
  if (b === null || scanTimestamp(b, 0, b.length) !== b.length) return null;
  const f = TIMESTAMP_FIELDS;
  const seconds = daysFromCivil(f[0], f[1], f[2]) * 86400 + f[3] * 3600 + f[4] * 60 + f[5] - f[7] * 60;
  const micros = seconds * 1e6 + f[6];
  return Number.isSafeInteger(micros) ? micros : null;
}
