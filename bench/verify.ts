/**
 * A fast wrong answer does not count: every line a receiver wrote is mapped
 * back to a record and compared, field by field, with the record the
 * workload generator made (recordAt), which is the ground truth the stream
 * was encoded from. Reports lost records, duplicates and differing values.
 *
 * Output formats:
 *  - ogrt: one OgrtRecord as JSON per line (output-file); `receive` is the
 *    server's own metadata and is not compared;
 *  - rsyslog: {"msgid", "procid", "sd": {SD-ID: {name: value}}} from
 *    mmpstrucdata ($!rfc5424-sd);
 *  - syslog-ng: {"msgid", "procid", "_SDATA": ...} from format-json --scope
 *    sdata, where a key is either nested (`{"ogrt@32473": {"v": ...}}`) or
 *    flat (`"ogrt-so@32473.7"`).
 * The relays' JSON is turned back into the RFC 5424 message it stands for
 * (values re-escaped, parameters in protocol order) and decoded with the
 * project's decoder (src/core/wire.ts), so percent form and `~` flags are
 * read exactly as ogrt-server reads them. A relay that changed a value, lost
 * an escape or a parameter produces a different record, or none.
 *
 *   node --import tsx bench/verify.ts FILE ogrt|rsyslog|syslog-ng STREAM_FILE
 */
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OgrtRecord } from '../src/core/record.ts';
import { assemble, decodeMessage } from '../src/core/wire.ts';
import { RECORD_FIELDS, SD_ENV, SD_MOD, SD_RECORD, SD_SIG, SD_SO } from '../src/core/wire-schema.ts';
import { readMeta, recordAt, type StreamMeta } from './workload.ts';

export type OutputFormat = 'ogrt' | 'rsyslog' | 'syslog-ng';

export interface VerifyResult {
  readonly lines: number;
  /** Distinct expected records found with identical values. */
  readonly matched: number;
  readonly missing: number;
  readonly duplicates: number;
  readonly mismatched: number;
  /** Lines that are not JSON, not a record, or a record of no known uuid. */
  readonly unreadable: number;
  /** A few explanations, for the report. */
  readonly examples: readonly string[];
  readonly ok: boolean;
}

// ---- canonical form ----

const RECORD_KEYS = [
  'uuid', 'kind', 'process_uuid', 'time', 'hostname', 'job_id', 'pid', 'parent_pid', 'uid', 'username', 'binpath', 'signature', 'cmdline',
  'shared_objects', 'loaded_modules', 'environment_variables', 'exit_status', 'wall_time_us', 'max_rss_kb', 'truncated', 'incomplete', 'missing_parts',
];
const KNOWN = new Set([...RECORD_KEYS, 'receive']);

/** JSON with the record's keys in one fixed order (and any unknown key last), `receive` left out. */
export function canonical(r: Record<string, unknown>): string {
  const out: Record<string, unknown> = {};
  for (const k of RECORD_KEYS) if (r[k] !== undefined) out[k] = r[k];
  if (Array.isArray(out.shared_objects)) {
    out.shared_objects = (out.shared_objects as Record<string, unknown>[]).map((s) =>
      s !== null && typeof s === 'object' ? { path: s.path, signature: s.signature, ...s } : s,
    );
  }
  for (const k of Object.keys(r).sort()) if (!KNOWN.has(k)) out[`unexpected:${k}`] = r[k];
  return JSON.stringify(out);
}

// ---- relay JSON -> RFC 5424 message -> record ----

type SdParams = Map<string, string>;

const ELEMENT_ORDER = [SD_RECORD, SD_SO, SD_SIG, SD_MOD, SD_ENV];
const RECORD_PARAM_ORDER = new Map<string, number>(['v', 'uuid', 'part', 'parts', ...RECORD_FIELDS.map((f) => f[0])].map((n, i) => [n, i]));

function escapeValue(v: string): string {
  return v.replace(/[\\"\]]/g, (c) => '\\' + c);
}

function baseName(name: string): string {
  const t = name.indexOf('~');
  return t === -1 ? name : name.slice(0, t);
}

function paramRank(sdId: string, name: string): number {
  const base = baseName(name);
  if (sdId === SD_RECORD) return RECORD_PARAM_ORDER.get(base) ?? 1000;
  const index = Number(base);
  return Number.isInteger(index) ? index : 1e12;
}

/** The RFC 5424 message that SD elements (as relays parsed them), MSGID and PROCID stand for. */
export function messageFromSd(elements: Map<string, SdParams>, msgid: string, procid: string): Buffer {
  let sd = '';
  const ids = [...elements.keys()].sort((a, b) => rank(a) - rank(b));
  for (const id of ids) {
    const params = [...elements.get(id)!].sort((a, b) => paramRank(id, a[0]) - paramRank(id, b[0]));
    sd += '[' + id;
    for (const [name, value] of params) sd += ' ' + name + '="' + escapeValue(value) + '"';
    sd += ']';
  }
  return Buffer.from(`<14>1 - - ogrt ${procid || '-'} ${msgid || '-'} ${sd === '' ? '-' : sd}`, 'utf8');
}

function rank(id: string): number {
  const i = ELEMENT_ORDER.indexOf(id);
  return i === -1 ? ELEMENT_ORDER.length : i;
}

function fromRsyslog(obj: Record<string, unknown>): OgrtRecord {
  const elements = new Map<string, SdParams>();
  for (const [id, params] of Object.entries((obj.sd ?? {}) as Record<string, Record<string, string>>)) {
    elements.set(id, new Map(Object.entries(params)));
  }
  return assemble([decodeMessage(messageFromSd(elements, String(obj.msgid ?? ''), String(obj.procid ?? '')))]);
}

function fromSyslogNg(obj: Record<string, unknown>): OgrtRecord {
  const elements = new Map<string, SdParams>();
  const add = (key: string, value: unknown): void => {
    if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) add(key === '' ? k : `${key}.${k}`, v);
      return;
    }
    // SD-IDs and parameter names contain no '.': the last one separates them.
    const dot = key.lastIndexOf('.');
    const id = key.slice(0, dot);
    let params = elements.get(id);
    if (params === undefined) elements.set(id, (params = new Map()));
    params.set(key.slice(dot + 1), String(value));
  };
  add('', obj._SDATA ?? {});
  return assemble([decodeMessage(messageFromSd(elements, String(obj.msgid ?? ''), String(obj.procid ?? '')))]);
}

function toRecord(line: string, format: OutputFormat): Record<string, unknown> {
  const obj = JSON.parse(line) as Record<string, unknown>;
  if (format === 'ogrt') return obj;
  return (format === 'rsyslog' ? fromRsyslog(obj) : fromSyslogNg(obj)) as unknown as Record<string, unknown>;
}

// ---- the check ----

const uuidIndexes = new Map<string, Map<string, number>>();

function indexByUuid(meta: StreamMeta): Map<string, number> {
  const key = `${meta.seed}:${meta.n}`;
  let map = uuidIndexes.get(key);
  if (map === undefined) {
    map = new Map();
    for (let i = 0; i < meta.n; i++) map.set(recordAt(meta.seed, i).uuid, i);
    uuidIndexes.set(key, map);
  }
  return map;
}

/** Calls `onLine` for every complete line of `file`, reading it in chunks. */
export function forEachLine(file: string, onLine: (line: string) => void): number {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(16 << 20);
  let carry = Buffer.alloc(0);
  let lines = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const data = carry.length === 0 ? buf.subarray(0, n) : Buffer.concat([carry, buf.subarray(0, n)]);
      let start = 0;
      for (let lf = data.indexOf(0x0a, start); lf !== -1; lf = data.indexOf(0x0a, start)) {
        onLine(data.toString('utf8', start, lf));
        lines++;
        start = lf + 1;
      }
      carry = Buffer.from(data.subarray(start));
    }
  } finally {
    closeSync(fd);
  }
  if (carry.length > 0) {
    onLine(carry.toString('utf8'));
    lines++;
  }
  return lines;
}

export function verifyOutput(file: string, format: OutputFormat, meta: StreamMeta): VerifyResult {
  const byUuid = indexByUuid(meta);
  const seen = new Uint8Array(meta.n);
  const examples: string[] = [];
  const note = (s: string): void => {
    if (examples.length < 5) examples.push(s.length > 600 ? `${s.slice(0, 600)}…` : s);
  };
  let matched = 0, duplicates = 0, mismatched = 0, unreadable = 0;
  const lines = forEachLine(file, (line) => {
    let got: Record<string, unknown>;
    try {
      got = toRecord(line, format);
    } catch (err) {
      unreadable++;
      note(`unreadable line (${(err as Error).message}): ${line}`);
      return;
    }
    const i = byUuid.get(got.uuid as string);
    if (i === undefined) {
      unreadable++;
      note(`record with unknown uuid ${String(got.uuid)}`);
      return;
    }
    if (seen[i] !== 0) {
      duplicates++;
      if (duplicates <= 2) note(`duplicate of record ${i} (${got.uuid})`);
      return;
    }
    seen[i] = 1;
    const want = canonical(recordAt(meta.seed, i) as unknown as Record<string, unknown>);
    const have = canonical(got);
    if (have === want) matched++;
    else {
      mismatched++;
      note(`record ${i} differs:\n  want ${want}\n  got  ${have}`);
    }
  });
  let missing = 0;
  for (let i = 0; i < meta.n; i++) if (seen[i] === 0) missing++;
  if (missing > 0) note(`${missing} record(s) missing, e.g. record ${seen.indexOf(0)}`);
  return { lines, matched, missing, duplicates, mismatched, unreadable, examples, ok: matched === meta.n && lines === meta.n };
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [file, format, stream] = process.argv.slice(2);
  if (stream === undefined) {
    console.error('usage: verify.ts OUTPUT_FILE ogrt|rsyslog|syslog-ng STREAM_FILE');
    process.exit(2);
  }
  const result = verifyOutput(file, format as OutputFormat, readMeta(stream));
  console.log(JSON.stringify(result, null, 2));
  process.exit(result.ok ? 0 : 1);
}
