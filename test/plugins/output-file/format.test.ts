import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { serializeBatch, serializeRecord } from '../../../plugins/output-file/format.ts';
import type { OgrtRecord } from '../../../src/core/plugin-api.ts';
import { hostileRecord, plainRecord } from './records.ts';

const REPLACEMENT_CHAR_UTF8 = Buffer.from([0xef, 0xbf, 0xbd]);

test('each record becomes one line that parses back to the same record', () => {
  const records = [plainRecord(), hostileRecord(), plainRecord({ kind: 'dlopen', shared_objects: [], loaded_modules: [], environment_variables: [] })];
  const { data, lines, rejected } = serializeBatch(records);
  assert.is(lines, 3);
  assert.equal(rejected, []);
  const text = data.toString('utf8');
  assert.ok(text.endsWith('\n'));
  const parsed = text.slice(0, -1).split('\n').map((l) => JSON.parse(l));
  assert.equal(parsed, records);
});

test('a batch whose UTF-8 is far longer than its characters is written whole (the buffer grows)', () => {
  // 200 lines of 1,000 CJK characters each: 3 bytes per character, about 400 KB more
  // than the character count the buffer is first sized for.
  const records = Array.from({ length: 200 }, (_, i) => plainRecord({ cmdline: `${i} ` + '\u6f22'.repeat(1000) }));
  const { data, lines } = serializeBatch(records);
  assert.is(lines, 200);
  const expected = Buffer.from(records.map((r) => serializeRecord(r) + '\n').join(''), 'utf8');
  assert.ok(data.length > 600_000);
  assert.ok(data.equals(expected));
});

test('lone surrogates (non-UTF-8 bytes) are written as \\udcXX escapes, never as U+FFFD', () => {
  const record = hostileRecord();
  const { data } = serializeBatch([record]);
  assert.not.ok(data.includes(REPLACEMENT_CHAR_UTF8), 'no EF BF BD in the file bytes');
  const text = data.toString('utf8');
  for (const esc of ['\\udce9', '\\udcff', '\\udc80', '\\udcc3']) assert.ok(text.includes(esc), `has ${esc}`);
  // Decoding the file bytes gives back the exact surrogates, for short and long (> 5000 chars) strings.
  const back = JSON.parse(text) as OgrtRecord;
  assert.is(back.hostname, 'caf\udce9-node');
  assert.is(back.shared_objects[1].path, record.shared_objects[1].path);
  // A proper pair (an emoji) stays a real character.
  assert.ok(text.includes('😀'));
});

test('control characters are escaped: the only raw control byte in a line is its final LF', () => {
  const { data } = serializeBatch([hostileRecord()]);
  const body = data.subarray(0, data.length - 1);
  for (const byte of body) assert.ok(byte >= 0x20 || byte === undefined, `raw control byte 0x${byte.toString(16)}`);
  assert.is(data[data.length - 1], 0x0a);
  assert.ok(data.toString().includes('\\n \\n\\r\\t\\u0000\\u0001\\u001f'));
});

test('fields not in the record schema are left out', () => {
  const record = { ...plainRecord(), extra: 'x', password: 'secret' } as OgrtRecord;
  const line = serializeRecord(record);
  assert.not.ok(line.includes('secret'));
  assert.not.ok('extra' in JSON.parse(line));
});

test('a record that cannot be serialized is rejected by index; the others are written', () => {
  const broken = { ...plainRecord() } as Partial<OgrtRecord>;
  delete broken.hostname;
  const nan = plainRecord({ pid: Number.NaN });
  const good = [plainRecord(), plainRecord()];
  const { data, lines, rejected } = serializeBatch([good[0], broken as OgrtRecord, nan, good[1]]);
  assert.is(lines, 2);
  assert.equal(rejected.map((r) => r.index), [1, 2]);
  assert.match(rejected[0].reason, /hostname/);
  assert.match(rejected[0].reason, broken.uuid!);
  assert.equal(data.toString().trim().split('\n').map((l) => JSON.parse(l)), good);
});

test('raw events (input-syslog non_ogrt = "pass") are written with their syslog part; unknown kinds are refused', () => {
  const raw = {
    ...plainRecord({ shared_objects: [], loaded_modules: [], environment_variables: [] }),
    kind: 'raw',
    syslog: { facility: 1, severity: 5, timestamp: '2026-11-24T21:40:08.25Z', hostname: 'web01', app_name: 'nginx', proc_id: '811', msg_id: 'access', message: '<13>1 … GET / "q" \udcff' },
  } as unknown as OgrtRecord;
  const { data, rejected } = serializeBatch([raw, { ...plainRecord(), kind: 'bogus' } as unknown as OgrtRecord]);
  assert.equal(JSON.parse(data.toString()), raw);
  assert.equal(rejected.map((r) => r.index), [1]);
});

test.run();
