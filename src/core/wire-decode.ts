/**
 * One RFC 5424 message -> one WirePart (docs/protocol.md §1–§3), on top of the
 * generic parser in rfc5424.ts. Fields come from structured data only; the
 * header is kept as relay metadata. Validation follows §2: unknown parameters
 * of `ogrt@32473` and unknown SD elements are ignored, known ones are checked.
 */
import { OgrtError, type ErrorCode } from './errors.ts';
import type { OgrtRecord, RecordKind } from './record.ts';
import { parseRfc5424, type SdElement, type SdParam } from './rfc5424.ts';
import { decodeValue } from './wire-value.ts';
import { microsToIso } from './wire-time.ts';
import { APP_NAME, MAX_PARTS, PROTOCOL_VERSION, RECORD_FIELDS, SD_ENV, SD_MOD, SD_RECORD, SD_SIG, SD_SO, UUID_RE } from './wire-schema.ts';

/** Machine-friendly reasons of OGRT_ERR_WIRE_* errors (context.reason). */
export const WIRE_REASONS = {
  not_ogrt_app_name: 'APP-NAME is not "ogrt"',
  no_record_element: 'no ogrt@32473 SD element',
  unsupported_version: 'v is not a protocol version this receiver knows',
  missing_param: 'a required parameter is missing',
  duplicate_param: 'a parameter occurs twice',
  bad_uuid: 'uuid is not lower-case 8-4-4-4-12 hex',
  bad_part: 'part/parts are not 1-99999 with part <= parts',
  bad_kind: 'MSGID is not process, dlopen or exit',
  bad_number: 'a number is not 1-20 decimal digits (a leading "-" only for exit_status)',
  number_out_of_range: 'a number is above 2^53-1 or a time after the year 9999',
  bad_flags: 'parameter flags are not ~p, ~t or ~pt, or are on a parameter that takes none',
  bad_index: 'a list parameter name is not a decimal index (no leading zeros, at most 9 digits)',
  duplicate_index: 'a list index occurs twice',
  orphan_signature: 'an ogrt-sig index has no ogrt-so path in the same message',
  bad_percent_escape: '"%" in a percent-form value is not followed by two hex digits',
} as const;

export type WireReason = keyof typeof WIRE_REASONS;

export interface WireHeader {
  timestamp: string | null;
  hostname: string | null;
  procId: string | null;
  appName: string | null;
}

/** Record fields of `ogrt@32473`, decoded (part 1 only): the record's own scalar fields. */
export type WireFields = Pick<
  OgrtRecord,
  | 'process_uuid' | 'time' | 'hostname' | 'job_id' | 'pid' | 'parent_pid' | 'uid' | 'username'
  | 'binpath' | 'signature' | 'cmdline' | 'exit_status' | 'wall_time_us' | 'max_rss_kb'
>;

export interface WireSharedObject { index: number; path: string; signature?: string; pathTruncated: boolean; signatureTruncated: boolean }
export interface WireModule { index: number; name: string; truncated: boolean }
export interface WireEnv { index: number; name: string; value: string; truncated: boolean }

export interface WirePart {
  uuid: string;
  part: number;
  parts: number;
  kind: RecordKind;
  header: WireHeader;
  /** Part 1 only, else null. */
  fields: WireFields | null;
  /** Record fields that carried the `t` flag, in wire order (part 1 only). */
  truncatedFields: string[];
  sharedObjects: WireSharedObject[];
  modules: WireModule[];
  environment: WireEnv[];
  /** Bytes of the message, for byte accounting. */
  size: number;
}

export function wireError(code: ErrorCode, reason: WireReason, what: string): OgrtError {
  return new OgrtError(code, [code === 'OGRT_ERR_WIRE_VERSION' ? what : `${reason}: ${what}`], { context: { reason } });
}

function invalid(reason: WireReason, what: string): never {
  throw wireError('OGRT_ERR_WIRE_INVALID', reason, what);
}

// Null-prototype lookup tables: a name like `constructor` on the wire must not hit Object.prototype.
export const KINDS: Record<string, RecordKind | undefined> = Object.assign(Object.create(null), { process: 'process', dlopen: 'dlopen', exit: 'exit' });
const PART_NUMBER = /^[1-9][0-9]{0,4}$/;
const NO_ITEMS: readonly { index: number }[] = [];
const UNSIGNED = /^[0-9]{1,20}$/;
const SIGNED = /^-?[0-9]{1,20}$/;

/** Splits `name~flags`; returns 0 none, 1 `p`, 2 `t`, 3 `pt`, or -1 for bad flags. */
function flagsOf(name: string, tilde: number): number {
  if (tilde === -1) return 0;
  const f = name.slice(tilde + 1);
  return f === 'p' ? 1 : f === 't' ? 2 : f === 'pt' ? 3 : -1;
}

/**
 * Decodes the message in buf[start, end) (no framing). Throws OgrtError:
 * OGRT_ERR_SYSLOG_PARSE (from the parser, with context.offset),
 * OGRT_ERR_WIRE_NOT_OGRT, OGRT_ERR_WIRE_VERSION or OGRT_ERR_WIRE_INVALID
 * (context.reason from WIRE_REASONS).
 */
export function decodeMessage(buf: Uint8Array, start = 0, end = buf.length): WirePart {
  const msg = parseRfc5424(buf, start, end);
  if (msg.appName !== APP_NAME) throw wireError('OGRT_ERR_WIRE_NOT_OGRT', 'not_ogrt_app_name', `APP-NAME is ${msg.appName === null ? '-' : JSON.stringify(msg.appName)}`);
  let rec: SdElement | undefined;
  for (const el of msg.structuredData) if (el.id === SD_RECORD) rec = el;
  if (rec === undefined) throw wireError('OGRT_ERR_WIRE_NOT_OGRT', 'no_record_element', 'no ogrt@32473 element');

  let v: string | undefined, uuid: string | undefined, partText: string | undefined, partsText: string | undefined;
  // Record fields are kept raw until we know this is part 1.
  let raw: SdParam[] | null = null;
  for (const p of rec.params) {
    const name = p.name;
    if (name === 'v' || name === 'uuid' || name === 'part' || name === 'parts') {
      if ((name === 'v' ? v : name === 'uuid' ? uuid : name === 'part' ? partText : partsText) !== undefined) invalid('duplicate_param', `${name} occurs twice`);
      if (name === 'v') v = p.value;
      else if (name === 'uuid') uuid = p.value;
      else if (name === 'part') partText = p.value;
      else partsText = p.value;
    } else {
      (raw ??= []).push(p);
    }
  }
  if (v === undefined) invalid('missing_param', 'ogrt@32473 has no v');
  if (v !== PROTOCOL_VERSION) throw wireError('OGRT_ERR_WIRE_VERSION', 'unsupported_version', JSON.stringify(v));
  if (uuid === undefined) invalid('missing_param', 'ogrt@32473 has no uuid');
  if (!UUID_RE.test(uuid)) invalid('bad_uuid', `uuid ${JSON.stringify(uuid)}`);
  if (partText === undefined || partsText === undefined) invalid('missing_param', `ogrt@32473 has no ${partText === undefined ? 'part' : 'parts'}`);
  if (!PART_NUMBER.test(partText) || !PART_NUMBER.test(partsText)) invalid('bad_part', `part=${JSON.stringify(partText)} parts=${JSON.stringify(partsText)}`);
  const part = Number(partText), parts = Number(partsText);
  if (part > parts || parts > MAX_PARTS) invalid('bad_part', `part ${part} of ${parts}`);
  const kind = msg.msgId === null ? undefined : KINDS[msg.msgId];
  if (kind === undefined) invalid('bad_kind', `MSGID ${JSON.stringify(msg.msgId)}`);

  const truncatedFields: string[] = [];
  const fields = part === 1 ? decodeFields(raw, truncatedFields) : null;
  const out: WirePart = {
    uuid, part, parts, kind,
    header: { timestamp: msg.timestamp, hostname: msg.hostname, procId: msg.procId, appName: msg.appName },
    fields, truncatedFields, sharedObjects: [], modules: [], environment: [], size: end - start,
  };
  let sigs: SdParam[] | null = null;
  for (const el of msg.structuredData) {
    if (el.id === SD_SO) decodeSharedObjects(el.params, out.sharedObjects);
    else if (el.id === SD_SIG) sigs = el.params;
    else if (el.id === SD_MOD) decodeModules(el.params, out.modules);
    else if (el.id === SD_ENV) decodeEnvironment(el.params, out.environment);
  }
  if (sigs !== null) attachSignatures(sigs, out.sharedObjects);
  return out;
}

/** Position of each known record field in RECORD_FIELDS (a Map: wire names never reach Object.prototype). */
export const FIELD_INDEX = new Map<string, number>(RECORD_FIELDS.map(([name], i) => [name, i]));
export const FIELD_IS_STRING = RECORD_FIELDS.map(([, cls]) => cls !== 'number');
const TIME = FIELD_INDEX.get('time')!, HOSTNAME = FIELD_INDEX.get('hostname')!, PID = FIELD_INDEX.get('pid')!;
const EXIT_STATUS = FIELD_INDEX.get('exit_status')!;

function decodeFields(raw: SdParam[] | null, truncated: string[]): WireFields {
  const values: (string | number | undefined)[] = new Array(RECORD_FIELDS.length);
  let cut = 0;
  if (raw !== null) {
    for (const p of raw) {
      const tilde = p.name.indexOf('~');
      const base = tilde === -1 ? p.name : p.name.slice(0, tilde);
      const k = FIELD_INDEX.get(base);
      if (k === undefined) continue; // unknown: a later minor version's field
      if (values[k] !== undefined) invalid('duplicate_param', `${base} occurs twice`);
      const flags = flagsOf(p.name, tilde);
      if (flags < 0 || (flags !== 0 && !FIELD_IS_STRING[k])) invalid('bad_flags', `parameter ${p.name}`);
      if (FIELD_IS_STRING[k]) {
        values[k] = decodeValue(p.value, (flags & 1) !== 0, base);
        if (flags & 2) cut |= 1 << k;
      } else {
        values[k] = k === TIME ? decodeTime(p.value) : decodeNumber(base, p.value, k === EXIT_STATUS);
      }
    }
  }
  for (const k of [TIME, HOSTNAME, PID]) if (values[k] === undefined) invalid('missing_param', `part 1 has no ${RECORD_FIELDS[k][0]}`);
  const f = { time: values[TIME], hostname: values[HOSTNAME], pid: values[PID] } as WireFields;
  const o = f as unknown as Record<string, unknown>;
  for (let k = 0; k < values.length; k++) {
    if (values[k] !== undefined && k !== TIME && k !== HOSTNAME && k !== PID) o[RECORD_FIELDS[k][0]] = values[k];
    if (cut & (1 << k)) truncated.push(RECORD_FIELDS[k][0]);
  }
  return f;
}

export function decodeNumber(name: string, text: string, signed: boolean): number {
  if (!(signed ? SIGNED : UNSIGNED).test(text)) invalid('bad_number', `${name}=${JSON.stringify(text)}`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) invalid('number_out_of_range', `${name}=${text}`);
  return n;
}

export function decodeTime(text: string): string {
  if (!UNSIGNED.test(text)) invalid('bad_number', `time=${JSON.stringify(text)}`);
  const iso = microsToIso(text);
  if (iso === null) invalid('number_out_of_range', `time=${text}`);
  return iso;
}

/**
 * Index of a list parameter name `INDEX[~flags]`; its flags go to the
 * module-level `lastFlags` (no object per parameter on this hot path).
 * Indexes are ascending on the wire, so a duplicate is only searched for
 * when one is not greater than the one before (`prev`).
 */
let lastFlags = 0;
function listIndex(name: string, prev: number, items: readonly { index: number }[], element: string): number {
  const len = name.length;
  let index = 0;
  let i = 0;
  for (; i < len; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    index = index * 10 + (c - 0x30);
  }
  if (i === 0 || i > 9 || (i > 1 && name.charCodeAt(0) === 0x30) || (i < len && name.charCodeAt(i) !== 0x7e)) {
    invalid('bad_index', `${element} parameter ${JSON.stringify(name)}`);
  }
  lastFlags = i === len ? 0 : flagsOf(name, i);
  if (lastFlags < 0) invalid('bad_flags', `${element} parameter ${name}`);
  if (index <= prev) {
    for (const x of items) if (x.index === index) invalid('duplicate_index', `${element} index ${index}`);
  }
  return index;
}

function decodeSharedObjects(params: SdParam[], out: WireSharedObject[]): void {
  let prev = -1;
  for (const p of params) {
    const index = listIndex(p.name, prev, out, SD_SO);
    if (index > prev) prev = index;
    out.push({ index, path: decodeValue(p.value, (lastFlags & 1) !== 0, SD_SO), pathTruncated: (lastFlags & 2) !== 0, signatureTruncated: false });
  }
}

function attachSignatures(params: SdParam[], sos: WireSharedObject[]): void {
  let prev = -1;
  for (const p of params) {
    const index = listIndex(p.name, prev, NO_ITEMS, SD_SIG);
    const so = findIndex(sos, index);
    if (so === undefined) invalid('orphan_signature', `ogrt-sig index ${index}`);
    if (so.signature !== undefined) invalid('duplicate_index', `${SD_SIG} index ${index}`);
    if (index > prev) prev = index;
    so.signature = decodeValue(p.value, (lastFlags & 1) !== 0, SD_SIG);
    so.signatureTruncated = (lastFlags & 2) !== 0;
  }
}

function findIndex(sos: WireSharedObject[], index: number): WireSharedObject | undefined {
  // Ascending on the wire, so a binary search; fall back to a scan if a sender did not sort.
  let lo = 0, hi = sos.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const x = sos[mid].index;
    if (x === index) return sos[mid];
    if (x < index) lo = mid + 1;
    else hi = mid - 1;
  }
  for (const so of sos) if (so.index === index) return so;
  return undefined;
}

function decodeModules(params: SdParam[], out: WireModule[]): void {
  let prev = -1;
  for (const p of params) {
    const index = listIndex(p.name, prev, out, SD_MOD);
    if (index > prev) prev = index;
    out.push({ index, name: decodeValue(p.value, (lastFlags & 1) !== 0, SD_MOD), truncated: (lastFlags & 2) !== 0 });
  }
}

function decodeEnvironment(params: SdParam[], out: WireEnv[]): void {
  let prev = -1;
  for (const p of params) {
    const index = listIndex(p.name, prev, out, SD_ENV);
    if (index > prev) prev = index;
    const truncated = (lastFlags & 2) !== 0;
    const whole = decodeValue(p.value, (lastFlags & 1) !== 0, SD_ENV);
    // Split at the first "="; a value without one (only when cut inside the name) is all name.
    const eq = whole.indexOf('=');
    if (eq === -1) out.push({ index, name: whole, value: '', truncated });
    else out.push({ index, name: whole.slice(0, eq), value: whole.slice(eq + 1), truncated });
  }
}
