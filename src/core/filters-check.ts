/**
 * What came back from a filter's process(), checked: an array of records,
 * each valid against the record schema (src/core/record-schema.ts). Outputs
 * serialize records with that schema, so a field a filter adds outside it
 * would be dropped silently by one output and refused by another; refusing
 * it here, loudly and naming the filter, is better. The validator is
 * compiled once.
 */
import { Ajv } from 'ajv';
import type { OgrtRecord } from './record.ts';
import { OgrtRecordSchema } from './record-schema.ts';

const ajv = new Ajv({ allErrors: false, coerceTypes: false, useDefaults: false, strict: false, logger: false });
const validateRecord = ajv.compile(OgrtRecordSchema);

export type FilterResult = { readonly ok: true; readonly records: readonly OgrtRecord[] } | { readonly ok: false; readonly reason: string };

/** `value` as returned (or resolved) by process(). */
export function checkFilterResult(value: unknown): FilterResult {
  if (!Array.isArray(value)) return { ok: false, reason: `process() returned ${describe(value)}, not an array of records` };
  const problem = firstInvalidRecord(value);
  if (problem !== undefined) return { ok: false, reason: `process() returned an invalid record: ${problem}` };
  return { ok: true, records: value as readonly OgrtRecord[] };
}

/** `records[i]<path>: <what>` for the first record that is not a valid OgrtRecord, or undefined. */
export function firstInvalidRecord(records: readonly unknown[]): string | undefined {
  for (let i = 0; i < records.length; i++) {
    if (validateRecord(records[i])) continue;
    const e = validateRecord.errors?.[0];
    if (e === undefined) return `records[${i}] is invalid`;
    const extra = e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: unknown }).additionalProperty)})` : '';
    return `records[${i}]${e.instancePath.replace(/\//g, '.')}: ${e.message ?? 'is invalid'}${extra}`;
  }
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'object') return `an object (${Object.keys(value).slice(0, 3).join(', ') || 'no keys'})`;
  return `a ${typeof value}`;
}
