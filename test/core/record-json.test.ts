// recordToJson takes a plain path (concatenation, no escaping) for records
// that need no escaping and the schema's fast-json-stringify serializer for
// all others. Both must give the very same line for every record; the plain
// path must be taken for the records that make up nearly all traffic.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadVectors } from '../../scripts/make-vectors.ts';
import { plainRecordJson, recordToJson, schemaRecordToJson } from '../../src/core/record-json.ts';
import type { OgrtRecord } from '../../src/core/record.ts';
import { recordAt } from '../../bench/workload.ts';
import { hostileRecord, plainRecord } from '../plugins/output-file/records.ts';
import { prng } from '../helpers/random.ts';

function outcome(f: () => string): string {
  try {
    return f();
  } catch (err) {
    return `throws ${(err as Error).name}`;
  }
}

function same(r: OgrtRecord, label: string): void {
  assert.is(outcome(() => recordToJson(r)), outcome(() => schemaRecordToJson(r)), label);
}

const receive = { input: 'direct', peer: '10.1.2.3:40312', time: '2026-11-25T01:02:03.000004Z' };
const relayed = { ...receive, relay_hostname: 'node042', relay_time: '2026-11-25T01:02:03.5+01:00' };
const base: OgrtRecord[] = [
  ...[...loadVectors().values()].map((v) => v.record),
  ...Array.from({ length: 300 }, (_, i) => recordAt(3, i)),
  plainRecord(),
  hostileRecord(),
  plainRecord({ kind: 'exit', process_uuid: '0b9c5e21-7d4a-4f6e-8b3c-2a1d0e9f8c7b', exit_status: -1, wall_time_us: 123456789, max_rss_kb: 4096 }),
  plainRecord({ kind: 'dlopen', shared_objects: [], loaded_modules: [], environment_variables: [] }),
  plainRecord({ truncated: ['cmdline'] }),
  plainRecord({ incomplete: true, missing_parts: [2] }),
];
const records = base.flatMap((r) => [r, { ...r, receive }, { ...r, receive: relayed }]);

test('every kind of record: the same line from both serializers', () => {
  records.forEach((r, i) => same(r, `record ${i} (${r.uuid})`));
});

test('the plain path is taken for clean records and left for the others', () => {
  const workload = Array.from({ length: 300 }, (_, i) => ({ ...recordAt(3, i), receive }));
  const plain = workload.filter((r) => plainRecordJson(r) !== undefined).length;
  assert.ok(plain / workload.length > 0.9, `${plain} of ${workload.length}`);
  assert.is(plainRecordJson(hostileRecord()), undefined, 'escapes and lone surrogates go through the schema');
  assert.is(plainRecordJson(plainRecord({ truncated: ['cmdline'] })), undefined);
  assert.is(plainRecordJson(plainRecord({ pid: 1.5 })), undefined);
});

const ODD_TEXT = ['"', '\\', '\n', '\t', '\u0000', '\u001f', '\u007f', '\u00e9', '\u6f22', '\ud83d\ude00', '\udce9', '\ud800', ']', '%', ' '];
const ODD_VALUES: unknown[] = [undefined, null, 0, -0, 1.5, Number.NaN, Infinity, 2 ** 53, -7, '12', true, {}, [], 'x'];

function mutate(r: OgrtRecord, rnd: () => number): OgrtRecord {
  const c = structuredClone(r) as unknown as Record<string, any>;
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) {
    const what = rnd();
    if (what < 0.5) {
      // Put an odd character into a string somewhere (a field, a list item, receive).
      const targets: [Record<string, any>, string][] = [];
      for (const k of ['uuid', 'kind', 'time', 'hostname', 'job_id', 'username', 'binpath', 'signature', 'cmdline', 'process_uuid']) if (typeof c[k] === 'string') targets.push([c, k]);
      const list = (k: string): any[] => (Array.isArray(c[k]) ? c[k] : []);
      for (const o of list('shared_objects')) for (const k of ['path', 'signature']) if (typeof o?.[k] === 'string') targets.push([o, k]);
      for (const o of list('loaded_modules')) if (typeof o?.name === 'string') targets.push([o, 'name']);
      for (const o of list('environment_variables')) for (const k of ['name', 'value']) if (typeof o?.[k] === 'string') targets.push([o, k]);
      if (typeof c.receive === 'object' && c.receive !== null) for (const k of ['input', 'peer', 'time']) if (typeof c.receive[k] === 'string') targets.push([c.receive, k]);
      if (targets.length === 0) continue;
      const [obj, key] = pick(targets);
      const s: string = obj[key];
      const at = Math.floor(rnd() * (s.length + 1));
      obj[key] = s.slice(0, at) + pick(ODD_TEXT) + s.slice(at);
    } else if (what < 0.8) {
      // An odd value of any type in any field.
      const key = pick(['uuid', 'kind', 'time', 'hostname', 'pid', 'job_id', 'parent_pid', 'uid', 'exit_status', 'max_rss_kb', 'shared_objects', 'receive', 'extra']);
      c[key] = pick(ODD_VALUES);
    } else if (Array.isArray(c.shared_objects) && c.shared_objects.length > 0) {
      const o = c.shared_objects[Math.floor(rnd() * c.shared_objects.length)];
      if (typeof o !== 'object' || o === null) continue;
      if (rnd() < 0.5) o.signature = pick(ODD_VALUES);
      else o.extra = 'x';
    }
  }
  return c as unknown as OgrtRecord;
}

test('fuzz: 20,000 seeded mutations (odd characters, odd types, missing fields): the same line, or both throw', () => {
  const rnd = prng(20261125);
  let plainTaken = 0;
  for (let n = 0; n < 20_000; n++) {
    const r = mutate(records[Math.floor(rnd() * records.length)], rnd);
    if (plainRecordJson(r) !== undefined) plainTaken++;
    same(r, `mutation ${n}: ${JSON.stringify(r).slice(0, 300)}`);
  }
  assert.ok(plainTaken > 1000 && plainTaken < 19_000, `plain path on ${plainTaken} of 20,000: both paths must be exercised`);
});

test.run();
