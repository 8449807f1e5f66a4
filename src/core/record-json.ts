/**
 * A record's JSON, one way for the whole server: output-file's lines, the
 * memory buffers of outputs that take JSON (`batchFormat: 'json'`), and
 * their dead letters. Records whose strings need no escaping (nearly all)
 * are concatenated directly (plainRecordJson); all others go through the
 * serializer compiled once from the record schema (fast-json-stringify),
 * which gives the same line for the former.
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

// For the records that need escaping, or are not what they should be: the
// schema decides what is written (only its fields) and what throws.
const stringify = fastJson(OgrtRecordSchema as Parameters<typeof fastJson>[0]);

/** The record as one line of JSON (no newline). Throws for a record outside the schema. */
export function recordToJson(record: OgrtRecord): string {
  return plainRecordJson(record) ?? schemaRecordToJson(record);
}

/** The schema's serializer alone (fast-json-stringify); recordToJson gives the same line. */
export function schemaRecordToJson(record: OgrtRecord): string {
  const line = stringify(record);
  return (line as unknown as WellFormedCheck).isWellFormed() ? line : JSON.stringify(JSON.parse(line));
}

/**
 * The same line as schemaRecordToJson, for the record nearly every process
 * sends: every string free of characters JSON escapes, every number a safe
 * integer, no raw syslog part and no truncated/incomplete marks. Such a
 * record needs no escaping, so its line is concatenated directly: 5.2
 * instead of 8.7 µs per record (bench/stages.ts; about 5 % of the server's
 * CPU end to end, docs/benchmarks.md). Anything else, or anything of an
 * unexpected type, returns undefined and goes through the schema's
 * serializer, which decides (or throws). Keys in fast-json-stringify's order:
 * the required ones in schema order, then the optional ones present.
 * test/core/record-json.test.ts holds the two to the same bytes.
 */
export function plainRecordJson(r: OgrtRecord): string | undefined {
  const x = r as OgrtRecord & { syslog?: unknown };
  if (x.truncated !== undefined || x.incomplete !== undefined || x.missing_parts !== undefined || x.syslog !== undefined) return undefined;
  // The schema knows three kinds here (raw events carry `syslog`, handled above).
  if (r.kind !== 'process' && r.kind !== 'dlopen' && r.kind !== 'exit') return undefined;
  const so = r.shared_objects, mods = r.loaded_modules, env = r.environment_variables;
  if (!Array.isArray(so) || !Array.isArray(mods) || !Array.isArray(env) || !Number.isSafeInteger(r.pid)) return undefined;
  plain = true;
  let s = '{"uuid":"' + str(r.uuid) + '","kind":"' + str(r.kind) + '","time":"' + str(r.time) + '","hostname":"' + str(r.hostname) + '","pid":' + r.pid + ',"shared_objects":[';
  for (let i = 0; i < so.length; i++) {
    const o = so[i];
    if (typeof o !== 'object' || o === null) return undefined;
    s += (i === 0 ? '{"path":"' : ',{"path":"') + str(o.path) + (o.signature === undefined ? '"}' : '","signature":"' + str(o.signature) + '"}');
  }
  s += '],"loaded_modules":[';
  for (let i = 0; i < mods.length; i++) {
    const m = mods[i];
    if (typeof m !== 'object' || m === null) return undefined;
    s += (i === 0 ? '{"name":"' : ',{"name":"') + str(m.name) + '"}';
  }
  s += '],"environment_variables":[';
  for (let i = 0; i < env.length; i++) {
    const e = env[i];
    if (typeof e !== 'object' || e === null) return undefined;
    s += (i === 0 ? '{"name":"' : ',{"name":"') + str(e.name) + '","value":"' + str(e.value) + '"}';
  }
  s += ']';
  if (r.process_uuid !== undefined) s += ',"process_uuid":"' + str(r.process_uuid) + '"';
  if (r.job_id !== undefined) s += ',"job_id":"' + str(r.job_id) + '"';
  if (r.parent_pid !== undefined) s += ',"parent_pid":' + int(r.parent_pid);
  if (r.uid !== undefined) s += ',"uid":' + int(r.uid);
  if (r.username !== undefined) s += ',"username":"' + str(r.username) + '"';
  if (r.binpath !== undefined) s += ',"binpath":"' + str(r.binpath) + '"';
  if (r.signature !== undefined) s += ',"signature":"' + str(r.signature) + '"';
  if (r.cmdline !== undefined) s += ',"cmdline":"' + str(r.cmdline) + '"';
  if (r.exit_status !== undefined) s += ',"exit_status":' + int(r.exit_status);
  if (r.wall_time_us !== undefined) s += ',"wall_time_us":' + int(r.wall_time_us);
  if (r.max_rss_kb !== undefined) s += ',"max_rss_kb":' + int(r.max_rss_kb);
  const rc = r.receive;
  if (rc !== undefined) {
    if (typeof rc !== 'object' || rc === null) return undefined;
    s += ',"receive":{"input":"' + str(rc.input) + '","peer":"' + str(rc.peer) + '","time":"' + str(rc.time) + '"';
    if (rc.relay_hostname !== undefined) s += ',"relay_hostname":"' + str(rc.relay_hostname) + '"';
    if (rc.relay_time !== undefined) s += ',"relay_time":"' + str(rc.relay_time) + '"';
    s += '}';
  }
  return plain ? s + '}' : undefined;
}

/** Characters JSON writes escaped, and surrogates (a lone one is written as \udXXX). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
/** Cleared by str() and int() when a value cannot be written plainly (saves a branch per call site). */
let plain = true;

function str(v: unknown): string {
  if (typeof v !== 'string' || NEEDS_ESCAPE.test(v)) {
    plain = false;
    return '';
  }
  return v;
}

function int(v: unknown): string {
  if (!Number.isSafeInteger(v)) {
    plain = false;
    return '';
  }
  return String(v);
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
