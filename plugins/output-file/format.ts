/**
 * Records → JSON Lines, with a serializer compiled once from the record
 * schema (fast-json-stringify). One line per record, `\n`-terminated.
 *
 * Lone surrogates U+DC80–U+DCFF stand for bytes that were not UTF-8
 * (docs/protocol.md §7) and must reach the file as `\udcXX` escapes: written
 * raw, UTF-8 encoding would turn each into U+FFFD and lose the byte.
 * fast-json-stringify 6 hands strings with surrogates to JSON.stringify,
 * which escapes lone ones; `isWellFormed()` (native, cheap) guards that here
 * so a library change cannot silently corrupt data: a line that is not well
 * formed is re-serialized through JSON.parse/JSON.stringify.
 */
import fastJson from 'fast-json-stringify';
import { RecordSchema, type OgrtRecord } from '../../src/core/plugin-api.ts';

// The record's three lists (40+ small objects on a typical process record) go
// to the native JSON.stringify: fast-json-stringify escapes short strings in a
// JavaScript loop, which made it 1.7x slower than JSON.stringify on these
// records (bench/stages.ts). The list items come from the decoder or from
// inputs checked against the same schema, so they hold only schema fields.
const stringify = fastJson(RecordSchema as Parameters<typeof fastJson>[0], {
  largeArrayMechanism: 'json-stringify',
  largeArraySize: 1,
});

export interface SerializedBatch {
  /** The lines of every record that could be serialized, joined. */
  readonly data: Buffer;
  readonly lines: number;
  /** Records that can never be serialized (missing required field, NaN...). */
  readonly rejected: { index: number; reason: string }[];
}

export function serializeRecord(record: OgrtRecord): string {
  const line = stringify(record);
  return (line as unknown as WellFormedCheck).isWellFormed() ? line : JSON.stringify(JSON.parse(line));
}

export function serializeBatch(records: readonly OgrtRecord[]): SerializedBatch {
  // Lines are written one by one into one buffer: joining them into one string
  // first and encoding that cost more than serializing (bench/stages.ts).
  // The buffer is sized for ASCII plus slack and grows when a line might not
  // fit (UTF-8 needs at most 3 bytes per UTF-16 unit), so each line is
  // flattened and encoded once.
  const lines: string[] = new Array(records.length);
  let chars = 0;
  let count = 0;
  const rejected: { index: number; reason: string }[] = [];
  for (let i = 0; i < records.length; i++) {
    let line: string;
    try {
      line = serializeRecord(records[i]);
    } catch (err) {
      rejected.push({ index: i, reason: `record ${records[i]?.uuid ?? '?'} cannot be written as JSON: ${(err as Error).message}` });
      continue;
    }
    lines[count++] = line;
    chars += line.length + 1;
  }
  let data = Buffer.allocUnsafe(chars + SLACK);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const line = lines[i];
    if (data.length - at < line.length * 3 + 1) {
      const bigger = Buffer.allocUnsafe(Math.max(data.length * 2, at + line.length * 3 + 1));
      data.copy(bigger, 0, 0, at);
      data = bigger;
    }
    at += data.write(line, at, 'utf8');
    data[at++] = 0x0a;
  }
  return { data: data.subarray(0, at), lines: count, rejected };
}

const SLACK = 64 * 1024;

/** String.prototype.isWellFormed (ES2024, Node >= 20) is not in the ES2022 lib. */
interface WellFormedCheck {
  isWellFormed(): boolean;
}
