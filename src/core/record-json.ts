/**
 * A record's JSON, one way for the whole server: output-file's lines, the
 * memory buffers of outputs that take JSON (`batchFormat: 'json'`), and
 * their dead letters. Compiled once from the record schema
 * (fast-json-stringify); the three lists go to the native JSON.stringify,
 * which is 1.7x faster on their many short strings (bench/stages.ts).
 *
 * Lone surrogates U+DC80–U+DCFF stand for bytes that were not UTF-8
 * (docs/protocol.md §7) and must be written as `\udcXX` escapes: written
 * raw, UTF-8 encoding would turn each into U+FFFD and lose the byte.
 * fast-json-stringify 6 hands strings with surrogates to JSON.stringify,
 * which escapes lone ones; `isWellFormed()` (native, cheap) guards that so
 * a library change cannot silently corrupt data: a line that is not well
 * formed is re-serialized through JSON.parse/JSON.stringify.
 */
import fastJson from 'fast-json-stringify';
import type { OgrtRecord } from './record.ts';
import { OgrtRecordSchema } from './record-schema.ts';

// The list items come from the decoder or from inputs and filters checked
// against the same schema, so they hold only schema fields.
const stringify = fastJson(OgrtRecordSchema as Parameters<typeof fastJson>[0], {
  largeArrayMechanism: 'json-stringify',
  largeArraySize: 1,
});

/** The record as one line of JSON (no newline). Throws for a record outside the schema. */
export function recordToJson(record: OgrtRecord): string {
  const line = stringify(record);
  return (line as unknown as WellFormedCheck).isWellFormed() ? line : JSON.stringify(JSON.parse(line));
}

/** A record's JSON as bytes: what a memory buffer holds for an output that takes JSON. */
export type RecordEntry = OgrtRecord | Uint8Array;

export function isEncoded(entry: RecordEntry): entry is Uint8Array {
  return entry instanceof Uint8Array;
}

/**
 * Each record's JSON, all in one buffer (one allocation per chunk, no object
 * graph for the garbage collector to copy while the records wait). A record
 * that cannot be serialized stays the object it is: the output meets it in
 * batch.records and rejects it as it would have anyway.
 */
export function encodeRecords(records: readonly OgrtRecord[]): RecordEntry[] {
  const n = records.length;
  const lines: (string | undefined)[] = new Array(n);
  let chars = 0;
  for (let i = 0; i < n; i++) {
    try {
      const line = recordToJson(records[i]);
      lines[i] = line;
      chars += line.length;
    } catch {
      lines[i] = undefined;
    }
  }
  const out: RecordEntry[] = new Array(n);
  let data = Buffer.allocUnsafe(chars + SLACK);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const line = lines[i];
    if (line === undefined) {
      out[i] = records[i];
      continue;
    }
    // UTF-8 needs at most 3 bytes per UTF-16 unit.
    if (data.length - at < line.length * 3) {
      data = Buffer.allocUnsafe(Math.max(chars * 3, line.length * 3));
      at = 0;
    }
    const from = at;
    at += data.write(line, at, 'utf8');
    out[i] = data.subarray(from, at);
  }
  return out;
}

const SLACK = 16 * 1024;

/** The record back from its JSON (exact: lone surrogates come back from their escapes). */
export function recordFromJson(json: Uint8Array): OgrtRecord {
  return JSON.parse(Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8')) as OgrtRecord;
}

/** The records of entries, built from JSON where needed. */
export function recordsOf(entries: readonly RecordEntry[]): OgrtRecord[] {
  const out: OgrtRecord[] = new Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    out[i] = isEncoded(e) ? recordFromJson(e) : e;
  }
  return out;
}

/** Each entry's JSON, when every entry is encoded. */
export function jsonOf(entries: readonly RecordEntry[]): readonly Uint8Array[] | undefined {
  for (const e of entries) if (!isEncoded(e)) return undefined;
  return entries as readonly Uint8Array[];
}

/** String.prototype.isWellFormed (ES2024, Node >= 20) is not in the ES2022 lib. */
interface WellFormedCheck {
  isWellFormed(): boolean;
}
