/**
 * A slow reference encoder written straight from docs/protocol.md, sharing no
 * code with src/core/wire-*.ts: bytes are number arrays, UTF-8 is checked by
 * code point ranges, and parts are split by building each candidate message
 * and measuring it. Tests hold the fast encoder to it, and use `expectedDecoded`
 * to know what a decoder must return for a record whose values get cut.
 */
import type { OgrtRecord } from '../../src/core/record.ts';

/** surrogateescape, by code point (UTF-8 by the RFC 3629 bit layout). */
export function oracleBytes(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp >= 0xdc80 && cp <= 0xdcff) out.push(cp - 0xdc00);
    else if (cp >= 0xd800 && cp <= 0xdfff) throw new Error('lone surrogate');
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return out;
}

function inRange(b: number[], i: number, lo = 0x80, hi = 0xbf): boolean {
  return i < b.length && b[i] >= lo && b[i] <= hi;
}

/** Length of the well-formed sequence at i (Unicode table 3-7), else 0. */
function unitLength(b: number[], i: number): number {
  const x = b[i];
  if (x <= 0x7f) return 1;
  if (x >= 0xc2 && x <= 0xdf) return inRange(b, i + 1) ? 2 : 0;
  if (x === 0xe0) return inRange(b, i + 1, 0xa0) && inRange(b, i + 2) ? 3 : 0;
  if ((x >= 0xe1 && x <= 0xec) || x === 0xee || x === 0xef) return inRange(b, i + 1) && inRange(b, i + 2) ? 3 : 0;
  if (x === 0xed) return inRange(b, i + 1, 0x80, 0x9f) && inRange(b, i + 2) ? 3 : 0;
  if (x === 0xf0) return inRange(b, i + 1, 0x90) && inRange(b, i + 2) && inRange(b, i + 3) ? 4 : 0;
  if (x >= 0xf1 && x <= 0xf3) return inRange(b, i + 1) && inRange(b, i + 2) && inRange(b, i + 3) ? 4 : 0;
  if (x === 0xf4) return inRange(b, i + 1, 0x80, 0x8f) && inRange(b, i + 2) && inRange(b, i + 3) ? 4 : 0;
  return 0;
}

/** The value split into units: [source bytes, valid UTF-8?]. */
function units(b: number[]): Array<[number[], boolean]> {
  const out: Array<[number[], boolean]> = [];
  for (let i = 0; i < b.length; ) {
    const n = unitLength(b, i);
    if (n === 0) {
      out.push([[b[i]], false]);
      i++;
    } else {
      out.push([b.slice(i, i + n), true]);
      i += n;
    }
  }
  return out;
}

function bytesOfText(s: string): number[] {
  return [...Buffer.from(s, 'latin1')];
}

function encodeUnit([src, valid]: [number[], boolean], percent: boolean): number[] {
  const hex = (x: number) => bytesOfText('%' + x.toString(16).toUpperCase().padStart(2, '0'));
  if (!valid) return hex(src[0]);
  if (src.length === 1) {
    const c = src[0];
    if (percent && (c === 0x25 || c < 0x20 || c === 0x7f)) return hex(c);
    if (c === 0x22 || c === 0x5c || c === 0x5d) return [0x5c, c];
  }
  return src;
}

export interface OracleValue {
  encoded: number[];
  percent: boolean;
  cut: boolean;
  /** The bytes that survived the cut. */
  kept: number[];
}

export function oracleValue(s: string, cap: number): OracleValue {
  const us = units(oracleBytes(s));
  const percent = us.some(([src, valid]) => !valid || src.some((c) => c < 0x20 || c === 0x7f));
  const encoded: number[] = [];
  const kept: number[] = [];
  let cut = false;
  for (const u of us) {
    const e = encodeUnit(u, percent);
    if (encoded.length + e.length > cap) {
      cut = true;
      break;
    }
    encoded.push(...e);
    kept.push(...u[0]);
  }
  return { encoded, percent, cut, kept };
}

function param(name: string, s: string, cap: number, collectorCut: boolean): { bytes: number[]; value: OracleValue } {
  const v = oracleValue(s, cap);
  const flags = (v.percent ? 'p' : '') + (v.cut || collectorCut ? 't' : '');
  return { bytes: [...bytesOfText(' ' + name + (flags ? '~' + flags : '') + '="'), ...v.encoded, 0x22], value: v };
}

function isoToMicros(iso: string): string {
  const m = /^(.*)\.(\d{6})Z$/.exec(iso)!;
  const ms = Date.parse(m[1] + 'Z');
  return (BigInt(ms / 1000) * 1000000n + BigInt(m[2])).toString();
}

// Parameters are kept as latin1 strings (one char per byte) so that building
// a candidate message per item stays cheap for records with thousands of items.
interface Item { elements: Array<{ id: string; text: string }> }

const latin1 = (b: number[]): string => Buffer.from(b).toString('latin1');

export function oracleEncode(r: OgrtRecord, maxSize = 8096, facility = 1): Buffer[] {
  const L = Math.floor((maxSize - 2048) / 2);
  const cut = new Set(r.truncated ?? []);
  const host = /^[!-~]{1,255}$/.test(r.hostname) ? r.hostname : '-';
  const header = `<${facility * 8 + 6}>1 ${r.time} ${host} ogrt ${r.pid} ${r.kind} `;
  let fields = '';
  const str = (name: string, v: string | undefined, cap: number) => {
    if (v !== undefined) fields += latin1(param(name, v, cap, cut.has(name)).bytes);
  };
  const num = (name: string, v: number | undefined) => {
    if (v !== undefined) fields += ` ${name}="${v}"`;
  };
  str('process_uuid', r.process_uuid, 255);
  fields += ` time="${isoToMicros(r.time)}"`;
  str('hostname', r.hostname, 255);
  str('job_id', r.job_id, 255);
  num('pid', r.pid);
  num('parent_pid', r.parent_pid);
  num('uid', r.uid);
  str('username', r.username, 255);
  str('binpath', r.binpath, L);
  str('signature', r.signature, 255);
  str('cmdline', r.cmdline, L);
  num('exit_status', r.exit_status);
  num('wall_time_us', r.wall_time_us);
  num('max_rss_kb', r.max_rss_kb);

  const items: Item[] = [];
  const el = (id: string, name: string, value: string, ref: string) => ({ id, text: latin1(param(name, value, L, cut.has(ref)).bytes) });
  r.shared_objects.forEach((so, i) => {
    const elements = [el('ogrt-so@32473', String(i), so.path, `shared_objects[${i}].path`)];
    if (so.signature) elements.push(el('ogrt-sig@32473', String(i), so.signature, `shared_objects[${i}].signature`));
    items.push({ elements });
  });
  r.loaded_modules.forEach((m, i) => items.push({ elements: [el('ogrt-mod@32473', String(i), m.name, `loaded_modules[${i}]`)] }));
  r.environment_variables.forEach((e, i) =>
    items.push({ elements: [el('ogrt-env@32473', String(i), `${e.name}=${e.value}`, `environment_variables[${i}]`)] }));

  const build = (part: string, parts: string, withFields: boolean, its: Item[]): string => {
    let out = header + `[ogrt@32473 v="1" uuid="${r.uuid}" part="${part}" parts="${parts}"` + (withFields ? fields : '') + ']';
    for (const id of ['ogrt-so@32473', 'ogrt-sig@32473', 'ogrt-mod@32473', 'ogrt-env@32473']) {
      const ps = its.flatMap((it) => it.elements.filter((e) => e.id === id).map((e) => e.text));
      if (ps.length > 0) out += '[' + id + ps.join('') + ']';
    }
    return out;
  };
  // Size per §4: the message with empty part/parts digits, plus 10.
  const planned = (withFields: boolean, its: Item[]) => build('', '', withFields, its).length + 10;
  const groups: Item[][] = [[]];
  for (const it of items) {
    const current = groups[groups.length - 1];
    if (planned(groups.length === 1, [...current, it]) > maxSize) groups.push([it]);
    else current.push(it);
  }
  return groups.map((its, k) => Buffer.from(build(String(k + 1), String(groups.length), k === 0, its), 'latin1'));
}

/** bytes -> string with surrogateescape, by units. */
export function oracleString(b: number[]): string {
  let s = '';
  for (const [src, valid] of units(b)) s += valid ? Buffer.from(src).toString('utf8') : String.fromCharCode(0xdc00 + src[0]);
  return s;
}

/** What decoding the record's messages must give: cut values and `truncated` refs in wire order. */
export function expectedDecoded(r: OgrtRecord, maxSize = 8096): OgrtRecord {
  const L = Math.floor((maxSize - 2048) / 2);
  const collector = new Set(r.truncated ?? []);
  const refs: string[] = [];
  const out: OgrtRecord = structuredClone(r);
  delete out.truncated;
  const value = (s: string, cap: number, ref: string): string => {
    const v = oracleValue(s, cap);
    if (v.cut || collector.has(ref)) refs.push(ref);
    return v.cut ? oracleString(v.kept) : s;
  };
  const o = out as unknown as Record<string, unknown>;
  for (const [name, cap] of [['process_uuid', 255], ['hostname', 255], ['job_id', 255], ['username', 255], ['binpath', L], ['signature', 255], ['cmdline', L]] as const) {
    if (o[name] !== undefined) o[name] = value(o[name] as string, cap, name);
  }
  out.shared_objects = r.shared_objects.map((so, i) => {
    const x: { path: string; signature?: string } = { path: value(so.path, L, `shared_objects[${i}].path`) };
    if (so.signature) x.signature = value(so.signature, L, `shared_objects[${i}].signature`);
    return x;
  });
  out.loaded_modules = r.loaded_modules.map((m, i) => ({ name: value(m.name, L, `loaded_modules[${i}]`) }));
  out.environment_variables = r.environment_variables.map((e, i) => {
    const whole = value(`${e.name}=${e.value}`, L, `environment_variables[${i}]`);
    const eq = whole.indexOf('=');
    return eq < 0 ? { name: whole, value: '' } : { name: whole.slice(0, eq), value: whole.slice(eq + 1) };
  });
  if (refs.length > 0) out.truncated = refs;
  return out;
}
