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

const stringify = fastJson(RecordSchema as Parameters<typeof fastJson>[0]);

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
  // Lines are encoded one by one into a buffer of the exact size: joining them
  // into one string first and encoding that cost more than serializing
  // (17.5 vs 0.3 us per record, bench/stages.ts).
  const lines: string[] = [];
  let bytes = 0;
  const rejected: { index: number; reason: string }[] = [];
  for (let i = 0; i < records.length; i++) {
    let line: string;
    try {
      line = serializeRecord(records[i]);
    } catch (err) {
      rejected.push({ index: i, reason: `record ${records[i]?.uuid ?? '?'} cannot be written as JSON: ${(err as Error).message}` });
      continue;
    }
    lines.push(line);
    bytes += Buffer.byteLength(line, 'utf8') + 1;
  }
  const data = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (let i = 0; i < lines.length; i++) {
    at += data.write(lines[i], at, 'utf8');
    data[at++] = 0x0a;
  }
  return { data, lines: lines.length, rejected };
}

/** String.prototype.isWellFormed (ES2024, Node >= 20) is not in the ES2022 lib. */
interface WellFormedCheck {
  isWellFormed(): boolean;
}
