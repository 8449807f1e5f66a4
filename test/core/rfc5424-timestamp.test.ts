// timestampToMicros: exact epoch microseconds, checked against Date.UTC.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { timestampToMicros } from '../../src/core/rfc5424.ts';

test('UTC timestamps keep all six fractional digits', () => {
  assert.is(timestampToMicros('1970-01-01T00:00:00Z'), 0);
  assert.is(timestampToMicros('1970-01-01T00:00:00.000001Z'), 1);
  assert.is(timestampToMicros('1969-12-31T23:59:59.999999Z'), -1);
  assert.is(timestampToMicros('2026-11-24T21:40:08.123456Z'), Date.UTC(2026, 10, 24, 21, 40, 8) * 1000 + 123456);
  assert.is(timestampToMicros('2026-11-24T21:40:08.1Z'), Date.UTC(2026, 10, 24, 21, 40, 8) * 1000 + 100000);
  assert.is(timestampToMicros('2026-11-24T21:40:08.000120Z'), Date.UTC(2026, 10, 24, 21, 40, 8) * 1000 + 120);
  assert.is(timestampToMicros('2026-11-24T21:40:08Z'), Date.UTC(2026, 10, 24, 21, 40, 8) * 1000);
});

test('offsets are applied', () => {
  const utc = timestampToMicros('2026-11-24T21:40:08.123456Z')!;
  assert.is(timestampToMicros('2026-11-24T23:40:08.123456+02:00'), utc);
  assert.is(timestampToMicros('2026-11-24T14:10:08.123456-07:30'), utc);
  assert.is(timestampToMicros('2026-11-25T01:10:08.123456+03:30'), utc);
  assert.is(timestampToMicros('2026-11-24T21:40:08.123456-00:00'), utc);
  assert.is(timestampToMicros('2003-08-24T05:14:15.000003-07:00'), Date.UTC(2003, 7, 24, 12, 14, 15) * 1000 + 3);
});

test('agrees with Date.UTC across leap years and centuries (seeded sample)', () => {
  let s = 0x9e3779b9;
  const next = (n: number) => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s % n;
  };
  const pad = (v: number, w = 2) => String(v).padStart(w, '0');
  for (let i = 0; i < 5000; i++) {
    const year = 1700 + next(550);
    const month = 1 + next(12);
    const day = 1 + next(new Date(Date.UTC(year, month, 0)).getUTCDate());
    const [h, mi, sec, us] = [next(24), next(60), next(60), next(1_000_000)];
    const offset = next(2) === 0 ? 0 : next(24 * 60) * (next(2) === 0 ? 1 : -1);
    const off = offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
    const ts = `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(h)}:${pad(mi)}:${pad(sec)}.${pad(us, 6)}${off}`;
    const expected = (Date.UTC(year, month - 1, day, h, mi, sec) - offset * 60_000) * 1000 + us;
    assert.is(timestampToMicros(ts), expected, ts);
  }
  assert.is(timestampToMicros('2000-02-29T00:00:00Z'), Date.UTC(2000, 1, 29) * 1000);
  assert.is(timestampToMicros('2024-03-01T00:00:00Z')! - timestampToMicros('2024-02-28T00:00:00Z')!, 2 * 86_400_000_000);
  assert.is(timestampToMicros('2100-03-01T00:00:00Z')! - timestampToMicros('2100-02-28T00:00:00Z')!, 86_400_000_000);
});

test('null for NILVALUE, invalid TIMESTAMPs and instants outside the exact range', () => {
  assert.is(timestampToMicros(null), null);
  assert.is(timestampToMicros('-'), null);
  assert.is(timestampToMicros(''), null);
  assert.is(timestampToMicros('2026-11-24T21:40:08'), null);
  assert.is(timestampToMicros('2026-11-24T21:40:08.1234567Z'), null);
  assert.is(timestampToMicros('2026-11-24t21:40:08Z'), null);
  assert.is(timestampToMicros('2025-02-29T00:00:00Z'), null);
  assert.is(timestampToMicros('2026-11-24T21:40:60Z'), null);
  assert.is(timestampToMicros('2026-11-24T21:40:08Z '), null);
  assert.is(timestampToMicros('２026-11-24T21:40:08Z'), null);
  assert.is(timestampToMicros('\u0132026-11-24T21:40:08Z'), null);
  assert.is(timestampToMicros('9999-12-31T23:59:59.999999Z'), null);
  assert.is(timestampToMicros('0000-01-01T00:00:00Z'), null);
  assert.is(timestampToMicros('2255-01-01T00:00:00Z'), Date.UTC(2255, 0, 1) * 1000);
});

test.run();
