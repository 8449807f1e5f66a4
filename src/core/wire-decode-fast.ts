/**
 * Fast path of the decoder for the message almost every process sends: a
 * whole record in one message (part 1 of 1), every value plain ASCII with no
 * RFC 5424 escapes, no `~` flags, only OGRT SD elements, list indexes
 * ascending. It goes from bytes straight to the OgrtRecord, without the
 * generic parser's SD objects, the WirePart and assemble(): about half the
 * CPU and garbage of decodeMessage + assemble on the benchmark's records.
 *
 * It validates what the slow path validates for such messages and returns
 * null for anything else, valid or not; the caller then runs the slow path
 * (decodeMessage), which builds the same record or throws the precise
 * error. So it can only ever be faster, never differently right: the
 * differential tests (test/core/wire-decode-fast.test.ts) compare both paths
 * on every vector, the benchmark's stream and fuzzed messages.
 */
import type { EnvironmentVariable, LoadedModule, OgrtRecord, SharedObject } from './record.ts';
import { parseHeader, sdName } from './rfc5424-parse.ts';
import { LBRACKET, QUOTE, RBRACKET, SP, VALUE_STOP } from './rfc5424-scan.ts';
import { FIELD_INDEX, FIELD_IS_STRING, KINDS, decodeNumber, decodeTime, type WireHeader } from './wire-decode.ts';
import { APP_NAME, PROTOCOL_VERSION, RECORD_FIELDS, SD_ENV, SD_MOD, SD_RECORD, SD_SIG, SD_SO, UUID_RE } from './wire-schema.ts';

export interface FastDecoded {
  record: OgrtRecord;
  header: WireHeader;
}

const F = Object.fromEntries(RECORD_FIELDS.map(([name], i) => [name, i])) as Record<(typeof RECORD_FIELDS)[number][0], number>;

const ELEMENT_RECORD = 1, ELEMENT_SO = 2, ELEMENT_SIG = 4, ELEMENT_MOD = 8, ELEMENT_ENV = 16;
const ELEMENTS = new Map<string, number>([[SD_RECORD, ELEMENT_RECORD], [SD_SO, ELEMENT_SO], [SD_SIG, ELEMENT_SIG], [SD_MOD, ELEMENT_MOD], [SD_ENV, ELEMENT_ENV]]);


// Reused between calls (the decoder is synchronous): list values before the
// record's objects are built, so signatures can be attached in any element order.
let soIndex: Int32Array = new Int32Array(64), sigIndex: Int32Array = new Int32Array(64);
const soPath: string[] = [], sigValue: string[] = [], listValue: string[] = [];
const fieldValue: (string | number | undefined)[] = new Array(RECORD_FIELDS.length);

/**
 * The record in buf[start, end) (one message, no framing) when it is a
 * simple message as above, else null. Never throws for any input.
 */
export function decodeSimpleRecord(buf: Buffer, start: number, end: number): FastDecoded | null {
  try {
    return decode(buf, start, end);
  } catch {
    // Errors of the shared scanners and value checks: the slow path reports them precisely.
    return null;
  }
}

function decode(b: Buffer, start: number, end: number): FastDecoded | null {
  const text = b.toString('latin1', start, end);
  const h = parseHeader(b, text, start, end);
  if (h.appName !== APP_NAME || h.msgId === null) return null;
  const kind = KINDS[h.msgId];
  if (kind === undefined) return null;

  let pos = h.sdStart;
  if (pos >= end || b[pos] !== LBRACKET) return null;
  let seen = 0;
  let soCount = 0, sigCount = 0, modCount = 0, envCount = 0;
  let v: string | undefined, uuid: string | undefined, part: string | undefined, parts: string | undefined;
  fieldValue.fill(undefined);
  let modStart = 0, envStart = 0;
  listValue.length = 0;
  soPath.length = 0;
  sigValue.length = 0;

  while (true) {
    pos++;
    const idStart = pos;
    pos = sdName(b, pos, end, start);
    if (pos >= end || (b[pos] !== SP && b[pos] !== RBRACKET)) return null;
    const element = ELEMENTS.get(text.slice(idStart - start, pos - start));
    if (element === undefined || (seen & element) !== 0) return null;
    seen |= element;
    if (element === ELEMENT_MOD) modStart = listValue.length;
    else if (element === ELEMENT_ENV) envStart = listValue.length;
    let prev = -1;

    while (b[pos] === SP) {
      pos++;
      const nameStart = pos;
      let index = -1;
      if (element === ELEMENT_RECORD) {
        pos = sdName(b, pos, end, start);
      } else {
        // A list index: 1-9 decimal digits, no leading zero, no flags.
        index = 0;
        while (pos < end && b[pos] >= 0x30 && b[pos] <= 0x39) index = index * 10 + (b[pos++] - 0x30);
        const digits = pos - nameStart;
        if (digits === 0 || digits > 9 || (digits > 1 && b[nameStart] === 0x30) || index <= prev) return null;
        prev = index;
      }
      if (pos + 1 >= end || b[pos] !== 0x3d || b[pos + 1] !== QUOTE) return null;
      const nameEnd = pos;
      pos += 2;
      const valueStart = pos;
      while (pos < end && VALUE_STOP[b[pos]] === 0) pos++;
      if (pos >= end || b[pos] !== QUOTE) return null;
      const value = text.slice(valueStart - start, pos - start);
      pos++;
      if (pos >= end || (b[pos] !== SP && b[pos] !== RBRACKET)) return null;

      if (element === ELEMENT_RECORD) {
        const name = text.slice(nameStart - start, nameEnd - start);
        if (name === 'v') { if (v !== undefined) return null; v = value; }
        else if (name === 'uuid') { if (uuid !== undefined) return null; uuid = value; }
        else if (name === 'part') { if (part !== undefined) return null; part = value; }
        else if (name === 'parts') { if (parts !== undefined) return null; parts = value; }
        else {
          const k = FIELD_INDEX.get(name);
          if (k === undefined) {
            if (name.indexOf('~') !== -1) return null;
            continue; // a later minor version's field
          }
          if (fieldValue[k] !== undefined) return null;
          fieldValue[k] = FIELD_IS_STRING[k] ? value : k === F.time ? decodeTime(value) : decodeNumber(name, value, k === F.exit_status);
        }
      } else if (element === ELEMENT_SO) {
        if (soCount === soIndex.length) soIndex = grow(soIndex);
        soIndex[soCount] = index;
        soPath[soCount++] = value;
      } else if (element === ELEMENT_SIG) {
        if (sigCount === sigIndex.length) sigIndex = grow(sigIndex);
        sigIndex[sigCount] = index;
        sigValue[sigCount++] = value;
      } else {
        listValue.push(value);
        if (element === ELEMENT_MOD) modCount++;
        else envCount++;
      }
    }
    pos++; // "]"
    if (pos >= end) break;
    if (b[pos] !== LBRACKET) return null; // MSG or an error: the slow path reads it
  }

  if ((seen & ELEMENT_RECORD) === 0 || v !== PROTOCOL_VERSION || uuid === undefined || !UUID_RE.test(uuid)) return null;
  if (part !== '1' || parts !== '1') return null;
  const time = fieldValue[F.time], hostname = fieldValue[F.hostname], pid = fieldValue[F.pid];
  if (time === undefined || hostname === undefined || pid === undefined) return null;

  // Signatures and shared objects are both ascending: walk them together.
  const shared_objects: SharedObject[] = new Array(soCount);
  let s = 0;
  for (let i = 0; i < soCount; i++) {
    if (s < sigCount && sigIndex[s] === soIndex[i]) shared_objects[i] = { path: soPath[i], signature: sigValue[s++] };
    else shared_objects[i] = { path: soPath[i] };
  }
  if (s !== sigCount) return null; // a signature without its shared object
  const loaded_modules: LoadedModule[] = new Array(modCount);
  for (let i = 0; i < modCount; i++) loaded_modules[i] = { name: listValue[modStart + i] };
  const environment_variables: EnvironmentVariable[] = new Array(envCount);
  for (let i = 0; i < envCount; i++) {
    const whole = listValue[envStart + i];
    const eq = whole.indexOf('=');
    environment_variables[i] = eq === -1 ? { name: whole, value: '' } : { name: whole.slice(0, eq), value: whole.slice(eq + 1) };
  }

  // Keys in the order assemble() gives them (record.ts order).
  const r = { uuid, kind } as OgrtRecord;
  const f = fieldValue;
  if (f[F.process_uuid] !== undefined) r.process_uuid = f[F.process_uuid] as string;
  r.time = time as string;
  r.hostname = hostname as string;
  if (f[F.job_id] !== undefined) r.job_id = f[F.job_id] as string;
  r.pid = pid as number;
  if (f[F.parent_pid] !== undefined) r.parent_pid = f[F.parent_pid] as number;
  if (f[F.uid] !== undefined) r.uid = f[F.uid] as number;
  if (f[F.username] !== undefined) r.username = f[F.username] as string;
  if (f[F.binpath] !== undefined) r.binpath = f[F.binpath] as string;
  if (f[F.signature] !== undefined) r.signature = f[F.signature] as string;
  if (f[F.cmdline] !== undefined) r.cmdline = f[F.cmdline] as string;
  r.shared_objects = shared_objects;
  r.loaded_modules = loaded_modules;
  r.environment_variables = environment_variables;
  if (f[F.exit_status] !== undefined) r.exit_status = f[F.exit_status] as number;
  if (f[F.wall_time_us] !== undefined) r.wall_time_us = f[F.wall_time_us] as number;
  if (f[F.max_rss_kb] !== undefined) r.max_rss_kb = f[F.max_rss_kb] as number;
  return { record: r, header: { timestamp: h.timestamp, hostname: h.hostname, procId: h.procId, appName: h.appName } };
}

function grow(a: Int32Array): Int32Array {
  const bigger = new Int32Array(a.length * 2);
  bigger.set(a);
  return bigger;
}
