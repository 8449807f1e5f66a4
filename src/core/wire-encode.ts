/**
 * OgrtRecord -> RFC 5424 messages, byte for byte as docs/protocol.md §1–§4
 * prescribe (the C encoder in preload/ writes the same bytes; the vectors in
 * test/vectors/ hold both to it). Hot path of the workload generator: every
 * value is encoded once into a latin1 "binary" string, sizes are `.length`.
 */
import { Buffer } from 'node:buffer';
import { OgrtError } from './errors.ts';
import type { OgrtRecord } from './record.ts';
import { RECORD_KINDS } from './record.ts';
import { encodeParam } from './wire-value.ts';
import { parseIsoTime } from './wire-time.ts';
import {
  DEFAULT_MAX_MESSAGE_SIZE, MAX_PARTS, MIN_MAX_MESSAGE_SIZE, SHORT_CAP, UUID_RE, envRef, longCap, moduleRef,
  soPathRef, soSignatureRef,
} from './wire-schema.ts';

export { DEFAULT_MAX_MESSAGE_SIZE } from './wire-schema.ts';

export interface EncodeOptions {
  /** M of protocol.md §3: no message is longer (default 8096, at least 4096). */
  maxMessageSize?: number;
  /** Syslog facility 0–23; PRI = facility * 8 + 6 (info). Default 1 (user). */
  facility?: number;
}

const SO_WRAPPER = 15; // `[ogrt-so@32473]`
const OTHER_WRAPPER = 16; // `[ogrt-sig@32473]`, `[ogrt-mod@32473]`, `[ogrt-env@32473]`
/** Room for the digits of `part` and `parts` in every base size (§4 step 2). */
const PART_DIGITS_RESERVE = 10;
const PRINTUSASCII_HOST = /^[\x21-\x7e]{1,255}$/;
const NO_ITEMS: never[] = [];

function fail(reason: string, what: string): never {
  throw new OgrtError('OGRT_ERR_WIRE_ENCODE', [what], { context: { reason } });
}

function numberParam(name: string, v: number, allowNegative: boolean): string {
  if (!Number.isSafeInteger(v) || (v < 0 && !allowNegative)) fail('bad_number', `${name} must be a ${allowNegative ? '' : 'non-negative '}safe integer, got ${v}`);
  return ' ' + name + '="' + v + '"';
}

/** Encodes one record into its messages (unframed), splitting it per §4. */
export function encodeRecord(record: OgrtRecord, opts?: EncodeOptions): Buffer[] {
  const maxSize = opts?.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  const facility = opts?.facility ?? 1;
  if (!Number.isSafeInteger(maxSize) || maxSize < MIN_MAX_MESSAGE_SIZE) fail('bad_option', `maxMessageSize must be an integer >= ${MIN_MAX_MESSAGE_SIZE}, got ${maxSize}`);
  if (!Number.isInteger(facility) || facility < 0 || facility > 23) fail('bad_option', `facility must be 0-23, got ${facility}`);
  if (typeof record.uuid !== 'string' || !UUID_RE.test(record.uuid)) fail('bad_uuid', `uuid must be lower-case 8-4-4-4-12 hex, got ${JSON.stringify(record.uuid)}`);
  if (!RECORD_KINDS.includes(record.kind)) fail('bad_kind', `kind must be process, dlopen or exit, got ${JSON.stringify(record.kind)}`);
  const time = parseIsoTime(record.time);
  if (time === null) fail('bad_time', `time must be an RFC 3339 UTC time from 1970 to 9999, got ${JSON.stringify(record.time)}`);
  const cap = longCap(maxSize);
  const cut = record.truncated !== undefined && record.truncated.length > 0 ? new Set(record.truncated) : null;

  const pid = numberParam('pid', record.pid, false);
  const hostHeader = PRINTUSASCII_HOST.test(record.hostname) ? record.hostname : '-';
  const header = '<' + (facility * 8 + 6) + '>1 ' + time.iso + ' ' + hostHeader + ' ogrt ' + record.pid + ' ' + record.kind + ' ';

  let fields = '';
  if (record.process_uuid !== undefined) fields += encodeParam('process_uuid', record.process_uuid, SHORT_CAP, cut !== null && cut.has('process_uuid'));
  fields += ' time="' + time.micros + '"';
  fields += encodeParam('hostname', record.hostname, SHORT_CAP, cut !== null && cut.has('hostname'));
  if (record.job_id !== undefined) fields += encodeParam('job_id', record.job_id, SHORT_CAP, cut !== null && cut.has('job_id'));
  fields += pid;
  if (record.parent_pid !== undefined) fields += numberParam('parent_pid', record.parent_pid, false);
  if (record.uid !== undefined) fields += numberParam('uid', record.uid, false);
  if (record.username !== undefined) fields += encodeParam('username', record.username, SHORT_CAP, cut !== null && cut.has('username'));
  if (record.binpath !== undefined) fields += encodeParam('binpath', record.binpath, cap, cut !== null && cut.has('binpath'));
  if (record.signature !== undefined) fields += encodeParam('signature', record.signature, SHORT_CAP, cut !== null && cut.has('signature'));
  if (record.cmdline !== undefined) fields += encodeParam('cmdline', record.cmdline, cap, cut !== null && cut.has('cmdline'));
  if (record.exit_status !== undefined) fields += numberParam('exit_status', record.exit_status, true);
  if (record.wall_time_us !== undefined) fields += numberParam('wall_time_us', record.wall_time_us, false);
  if (record.max_rss_kb !== undefined) fields += numberParam('max_rss_kb', record.max_rss_kb, false);

  const sos = record.shared_objects ?? NO_ITEMS;
  const mods = record.loaded_modules ?? NO_ITEMS;
  const envs = record.environment_variables ?? NO_ITEMS;
  const soParams = new Array<string>(sos.length);
  const sigParams = new Array<string>(sos.length);
  for (let i = 0; i < sos.length; i++) {
    const so = sos[i];
    const name = String(i);
    soParams[i] = encodeParam(name, so.path, cap, cut !== null && cut.has(soPathRef(i)));
    // An empty signature is no signature (the `.fields` format cannot tell them apart).
    sigParams[i] = so.signature ? encodeParam(name, so.signature, cap, cut !== null && cut.has(soSignatureRef(i))) : '';
  }
  const modParams = new Array<string>(mods.length);
  for (let i = 0; i < mods.length; i++) modParams[i] = encodeParam(String(i), mods[i].name, cap, cut !== null && cut.has(moduleRef(i)));
  const envParams = new Array<string>(envs.length);
  for (let i = 0; i < envs.length; i++) {
    envParams[i] = encodeParam(String(i), envs[i].name + '=' + envs[i].value, cap, cut !== null && cut.has(envRef(i)));
  }

  // `[ogrt@32473 v="1" uuid="…" part="` + `" parts="` + `"` ... `]`
  const sdStart = '[ogrt@32473 v="1" uuid="' + record.uuid + '" part="';
  const baseN = header.length + sdStart.length + 9 + 1 + 1 + PART_DIGITS_RESERVE;
  const base1 = baseN + fields.length;
  if (base1 > maxSize) fail('too_large', `record fields need ${base1} bytes, more than maxMessageSize ${maxSize}`);
  const starts = splitItems(soParams, sigParams, modParams, envParams, base1, baseN, maxSize);

  const parts = starts.length;
  if (parts > MAX_PARTS) fail('too_large', `record needs ${parts} parts, more than ${MAX_PARTS}`);
  const out = new Array<Buffer>(parts);
  const nSo = sos.length, nMod = mods.length;
  const total = nSo + nMod + envs.length;
  for (let p = 0; p < parts; p++) {
    const a = starts[p];
    const b = p + 1 < parts ? starts[p + 1] : total;
    let msg = header + sdStart + (p + 1) + '" parts="' + parts + '"' + (p === 0 ? fields : '') + ']';
    const soEnd = b < nSo ? b : nSo;
    if (a < soEnd) {
      let so = '';
      let sig = '';
      for (let i = a; i < soEnd; i++) {
        so += soParams[i];
        sig += sigParams[i];
      }
      msg += '[ogrt-so@32473' + so + ']';
      if (sig !== '') msg += '[ogrt-sig@32473' + sig + ']';
    }
    msg += listElement('[ogrt-mod@32473', modParams, a - nSo, b - nSo);
    msg += listElement('[ogrt-env@32473', envParams, a - nSo - nMod, b - nSo - nMod);
    out[p] = Buffer.from(msg, 'latin1');
  }
  return out;
}

function listElement(open: string, params: string[], from: number, to: number): string {
  if (from < 0) from = 0;
  if (to > params.length) to = params.length;
  if (from >= to) return '';
  let s = open;
  for (let i = from; i < to; i++) s += params[i];
  return s + ']';
}

/**
 * §4 step 3: the index (into shared objects, then modules, then env) of the
 * first item of every part. Part 1 always starts at 0, even if empty.
 */
function splitItems(soParams: string[], sigParams: string[], modParams: string[], envParams: string[], base1: number, baseN: number, maxSize: number): number[] {
  const starts = [0];
  let size = base1;
  let soOpen = false, sigOpen = false, modOpen = false, envOpen = false;
  for (let i = 0; i < soParams.length; i++) {
    const sig = sigParams[i];
    let add = soParams[i].length + (soOpen ? 0 : SO_WRAPPER) + (sig === '' ? 0 : sig.length + (sigOpen ? 0 : OTHER_WRAPPER));
    if (size + add > maxSize) {
      starts.push(i);
      size = baseN;
      soOpen = sigOpen = modOpen = envOpen = false;
      add = soParams[i].length + SO_WRAPPER + (sig === '' ? 0 : sig.length + OTHER_WRAPPER);
      if (size + add > maxSize) fail('too_large', `shared object ${i} does not fit in an empty part`);
    }
    size += add;
    soOpen = true;
    if (sig !== '') sigOpen = true;
  }
  let offset = soParams.length;
  for (let i = 0; i < modParams.length; i++) {
    let add = modParams[i].length + (modOpen ? 0 : OTHER_WRAPPER);
    if (size + add > maxSize) {
      starts.push(offset + i);
      size = baseN;
      soOpen = sigOpen = envOpen = false;
      add = modParams[i].length + OTHER_WRAPPER;
      if (size + add > maxSize) fail('too_large', `module ${i} does not fit in an empty part`);
    }
    size += add;
    modOpen = true;
  }
  offset += modParams.length;
  for (let i = 0; i < envParams.length; i++) {
    let add = envParams[i].length + (envOpen ? 0 : OTHER_WRAPPER);
    if (size + add > maxSize) {
      starts.push(offset + i);
      size = baseN;
      add = envParams[i].length + OTHER_WRAPPER;
      if (size + add > maxSize) fail('too_large', `environment variable ${i} does not fit in an empty part`);
    }
    size += add;
    envOpen = true;
  }
  return starts;
}

/** RFC 6587 octet counting: `LEN SP MSG` for every message, no separator. */
export function frameOctetCounted(messages: readonly Uint8Array[]): Buffer {
  let total = 0;
  for (const m of messages) total += String(m.length).length + 1 + m.length;
  const out = Buffer.allocUnsafe(total);
  let n = 0;
  for (const m of messages) {
    n += out.write(m.length + ' ', n, 'latin1');
    out.set(m, n);
    n += m.length;
  }
  return out;
}
