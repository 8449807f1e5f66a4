/**
 * Parts of one record -> the OgrtRecord (docs/protocol.md §5, §7): record
 * fields from part 1, list items merged by index, `truncated` refs named by
 * the final array positions. Pure; Reassembler decides when to call it.
 */
import { OgrtError } from './errors.ts';
import type { EnvironmentVariable, LoadedModule, OgrtRecord, SharedObject } from './record.ts';
import type { WirePart } from './wire-decode.ts';
import { envRef, moduleRef, soPathRef, soSignatureRef } from './wire-schema.ts';
import { parseIsoTime } from './wire-time.ts';

const EPOCH = '1970-01-01T00:00:00.000000Z';
const PID = /^[0-9]{1,15}$/;

interface Indexed { index: number }

/** Items of every part in index order; a repeated index keeps its first occurrence. */
function merged<T extends Indexed>(parts: readonly WirePart[], pick: (p: WirePart) => T[]): T[] {
  if (parts.length === 1) return pick(parts[0]);
  const all: T[] = [];
  for (const p of parts) for (const x of pick(p)) all.push(x);
  let sorted = true;
  for (let i = 1; i < all.length; i++) if (all[i].index <= all[i - 1].index) { sorted = false; break; }
  if (sorted) return all;
  all.sort((a, b) => a.index - b.index); // stable: first occurrence stays first
  return all.filter((x, i) => i === 0 || x.index !== all[i - 1].index);
}

const pickSo = (p: WirePart) => p.sharedObjects;
const pickMod = (p: WirePart) => p.modules;
const pickEnv = (p: WirePart) => p.environment;

/**
 * Builds the record from the parts received so far (any order). `missing`
 * defaults to the part numbers 1..parts that are not among them; a non-empty
 * `missing` makes the record `incomplete`.
 */
export function assemble(parts: readonly WirePart[], missing?: number[]): OgrtRecord {
  if (parts.length === 0) throw new OgrtError('OGRT_ERR_WIRE_INVALID', ['assemble() needs at least one part'], { context: { reason: 'no_parts' } });
  let ordered = parts;
  if (parts.length > 1) {
    ordered = [...parts].sort((a, b) => a.part - b.part).filter((p, i, a) => i === 0 || p.part !== a[i - 1].part);
    for (const p of ordered) {
      if (p.uuid !== ordered[0].uuid) {
        throw new OgrtError('OGRT_ERR_WIRE_INVALID', [`assemble() got parts of ${ordered[0].uuid} and ${p.uuid}`], { context: { reason: 'mixed_uuids' } });
      }
    }
  }
  const first = ordered[0];
  if (missing === undefined) {
    missing = [];
    if (ordered.length !== first.parts) {
      let k = 0;
      for (let n = 1; n <= first.parts; n++) {
        while (k < ordered.length && ordered[k].part < n) k++;
        if (k >= ordered.length || ordered[k].part !== n) missing.push(n);
      }
    }
  }

  const f = first.part === 1 ? first.fields : null;
  const truncated: string[] = f !== null ? first.truncatedFields.slice() : [];

  const sos = merged(ordered, pickSo);
  const soOut: SharedObject[] = new Array(sos.length);
  for (let i = 0; i < sos.length; i++) {
    const so = sos[i];
    soOut[i] = so.signature === undefined ? { path: so.path } : { path: so.path, signature: so.signature };
    if (so.pathTruncated) truncated.push(soPathRef(i));
    if (so.signatureTruncated) truncated.push(soSignatureRef(i));
  }
  const mods = merged(ordered, pickMod);
  const modOut: LoadedModule[] = new Array(mods.length);
  for (let i = 0; i < mods.length; i++) {
    modOut[i] = { name: mods[i].name };
    if (mods[i].truncated) truncated.push(moduleRef(i));
  }
  const envs = merged(ordered, pickEnv);
  const envOut: EnvironmentVariable[] = new Array(envs.length);
  for (let i = 0; i < envs.length; i++) {
    envOut[i] = { name: envs[i].name, value: envs[i].value };
    if (envs[i].truncated) truncated.push(envRef(i));
  }

  // Keys in the order of record.ts, so JSON output reads like the 2017 OGRT.
  const r = { uuid: first.uuid, kind: first.kind } as OgrtRecord;
  if (f !== null) {
    if (f.process_uuid !== undefined) r.process_uuid = f.process_uuid;
    r.time = f.time;
    r.hostname = f.hostname;
    if (f.job_id !== undefined) r.job_id = f.job_id;
    r.pid = f.pid;
    if (f.parent_pid !== undefined) r.parent_pid = f.parent_pid;
    if (f.uid !== undefined) r.uid = f.uid;
    if (f.username !== undefined) r.username = f.username;
    if (f.binpath !== undefined) r.binpath = f.binpath;
    if (f.signature !== undefined) r.signature = f.signature;
    if (f.cmdline !== undefined) r.cmdline = f.cmdline;
  } else {
    // §5: without part 1, the header stands in (as a relay may have left it).
    const h = first.header;
    r.time = (h.timestamp !== null ? parseIsoTime(h.timestamp)?.iso : undefined) ?? EPOCH;
    r.hostname = h.hostname ?? '';
    r.pid = h.procId !== null && PID.test(h.procId) ? Number(h.procId) : 0;
  }
  r.shared_objects = soOut;
  r.loaded_modules = modOut;
  r.environment_variables = envOut;
  if (f !== null) {
    if (f.exit_status !== undefined) r.exit_status = f.exit_status;
    if (f.wall_time_us !== undefined) r.wall_time_us = f.wall_time_us;
    if (f.max_rss_kb !== undefined) r.max_rss_kb = f.max_rss_kb;
  }
  if (truncated.length > 0) r.truncated = truncated;
  if (missing.length > 0) {
    r.incomplete = true;
    r.missing_parts = missing;
  }
  return r;
}
