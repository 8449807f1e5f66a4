/**
 * Records -> JSON Lines: one line per record, `\n`-terminated, each line
 * the record's JSON as the core writes it (src/core/record-json.ts:
 * fast-json-stringify from the record schema; bytes that were not UTF-8 as
 * `\udcXX` escapes).
 */
import { recordToJson, type OgrtRecord } from '../../src/core/plugin-api.ts';

export interface SerializedBatch {
  /** The lines of every record that could be serialized, joined. */
  readonly data: Buffer;
  readonly lines: number;
  /** Records that can never be serialized (missing required field, NaN...). */
  readonly rejected: { index: number; reason: string }[];
}

export const serializeRecord = recordToJson;

/** Lines from JSON the core already encoded (`batch.json`): copied, a newline after each. */
export function joinJsonLines(json: readonly Uint8Array[]): Buffer {
  let bytes = 0;
  for (const j of json) bytes += j.length + 1;
  const data = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (const j of json) {
    data.set(j, at);
    at += j.length;
    data[at++] = 0x0a;
  }
  return data;
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
