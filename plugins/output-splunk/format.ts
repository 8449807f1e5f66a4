/**
 * HEC event JSON for one record:
 *   {"time":1764020408.123456,"host":"node042","source":"ogrt",
 *    "sourcetype":"ogrt:process","index":"hpc","event":{…record…}}
 * `time` is epoch seconds with the record's microseconds as decimals, written
 * from the ISO string's digits (no float arithmetic, nothing rounded).
 * The constant middle part is built once.
 */
import type { OgrtRecord } from '../../src/core/plugin-api.ts';

export interface HecMeta {
  readonly source: string;
  readonly sourcetype: string;
  readonly index: string;
}

export type EventFormatter = (r: OgrtRecord) => string;

export function createEventFormatter(meta: HecMeta): EventFormatter {
  const middle =
    `,"source":${JSON.stringify(meta.source)},"sourcetype":${JSON.stringify(meta.sourcetype)}` +
    (meta.index !== '' ? `,"index":${JSON.stringify(meta.index)}` : '') +
    ',"event":';
  return (r) => {
    const t = hecTime(r.time);
    // Without a valid time HEC stamps the event with its receive time: better than losing it.
    const head = t === undefined ? '{"host":' : `{"time":${t},"host":`;
    return head + JSON.stringify(r.hostname) + middle + JSON.stringify(r) + '}';
  };
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/** `2026-11-24T21:40:08.123456Z` → `1764020408.123456`; undefined if not that form. */
export function hecTime(iso: string): string | undefined {
  const m = ISO.exec(iso);
  if (m === null) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (Number.isNaN(ms) || ms < 0) return undefined;
  const seconds = String(ms / 1000);
  const frac = (m[7] ?? '').slice(0, 6).padEnd(6, '0');
  return `${seconds}.${frac}`;
}
