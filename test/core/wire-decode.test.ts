// decodeMessage and assemble beyond the vectors: what relays do to messages,
// forward compatibility, value decoding, time, and assembling partial records.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OgrtError } from '../../src/core/errors.ts';
import { assemble, decodeMessage, encodeRecord, type WirePart } from '../../src/core/wire.ts';
import { microsToIso } from '../../src/core/wire-time.ts';

const UUID = '3e4f5a6b-0c1d-4e2f-8a9b-0123456789ab';
const HEAD = '<14>1 2026-11-24T21:40:08.123456Z node042 ogrt 12345 process ';
const REC = `[ogrt@32473 v="1" uuid="${UUID}" part="1" parts="1" time="1795556408123456" hostname="node042" pid="12345"`;

const decode = (s: string | Buffer): WirePart => decodeMessage(typeof s === 'string' ? Buffer.from(s, 'utf8') : s);
const record = (s: string) => assemble([decode(s)]);

test('a relay\'s header rewrite and appended MSG change nothing in the record', () => {
  const plain = record(`${HEAD}${REC}]`);
  const relayed = decode(`<13>1 2026-11-24T22:40:09.5+01:00 relay01 ogrt 12345 process ${REC}] `);
  assert.equal(assemble([relayed]), plain);
  assert.equal(relayed.header, { timestamp: '2026-11-24T22:40:09.5+01:00', hostname: 'relay01', procId: '12345', appName: 'ogrt' });
  assert.equal(record(`${HEAD}${REC}] some text a relay added`), plain);
  assert.equal(record(`<14>1 - - ogrt - process ${REC}]`), plain);
});

test('unknown parameters and SD elements are ignored; element order does not matter', () => {
  const plain = record(`${HEAD}${REC}]`);
  assert.equal(record(`${HEAD}${REC} future_field="x" future~zz="y"][origin@6876 ip="10.0.0.1"][meta sequenceId="7"]`), plain);
  assert.equal(record(`${HEAD}[meta sequenceId="7"]${REC}]`), plain);
  const r = record(`${HEAD}[ogrt-env@32473 0="A=1"]${REC}][ogrt-so@32473 0="/a.so"]`);
  assert.equal(r.environment_variables, [{ name: 'A', value: '1' }]);
  assert.equal(r.shared_objects, [{ path: '/a.so' }]);
});

test('names that exist on Object.prototype are not mistaken for fields or kinds', () => {
  const plain = record(`${HEAD}${REC}]`);
  assert.equal(record(`${HEAD}${REC} constructor="1" __proto__="2" toString="3" hasOwnProperty~p="%"]`), plain);
  try {
    decode(`<14>1 - - ogrt 1 constructor ${REC}]`);
    assert.unreachable();
  } catch (err) {
    assert.is((err as OgrtError).context.reason, 'bad_kind');
  }
});

test('record fields are read from part 1 only', () => {
  const p2 = decode(`${HEAD}[ogrt@32473 v="1" uuid="${UUID}" part="2" parts="2" pid="x" cmdline~zz="y"][ogrt-mod@32473 3="m"]`);
  assert.is(p2.fields, null);
  assert.equal(p2.truncatedFields, []);
  assert.equal(p2.modules, [{ index: 3, name: 'm', truncated: false }]);
});

test('percent form: %HH (either case) to bytes, non-UTF-8 bytes to U+DC80-U+DCFF; plain % is literal', () => {
  const r = record(`${HEAD}${REC} binpath~p="/a%25b%e9%C3%A9%0A%22" cmdline="%E9 100%"]`);
  assert.is(r.binpath, '/a%b\udce9é\n"');
  assert.is(r.cmdline, '%E9 100%');
});

test('flags: t marks the field truncated, p and t together', () => {
  const r = record(`${HEAD}${REC} binpath~pt="/x%FF" cmdline~t="abc"][ogrt-so@32473 0~t="/a" 1="/b"][ogrt-sig@32473 1~pt="s%09"][ogrt-mod@32473 0~p="m"][ogrt-env@32473 0~t="LONGNAME"]`);
  assert.is(r.binpath, '/x\udcff');
  assert.equal(r.shared_objects, [{ path: '/a' }, { path: '/b', signature: 's\t' }]);
  assert.equal(r.environment_variables, [{ name: 'LONGNAME', value: '' }]);
  assert.equal(r.truncated, ['binpath', 'cmdline', 'shared_objects[0].path', 'shared_objects[1].signature', 'environment_variables[0]']);
});

test('time: integer microseconds to ISO with exactly six digits, no rounding', () => {
  assert.is(microsToIso('0'), '1970-01-01T00:00:00.000000Z');
  assert.is(microsToIso('1'), '1970-01-01T00:00:00.000001Z');
  assert.is(microsToIso('0001000000'), '1970-01-01T00:00:01.000000Z');
  assert.is(microsToIso('1795556408123456'), '2026-11-24T21:40:08.123456Z');
  // beyond 2^53: a float would round the last digits
  assert.is(microsToIso('9007199254740993'), '2255-06-05T23:47:34.740993Z');
  assert.is(microsToIso('253402300799999999'), '9999-12-31T23:59:59.999999Z');
  assert.is(microsToIso('253402300800000000'), null);
  assert.is(microsToIso('99999999999999999999'), null);
});

test('part size and bounds inside a larger buffer', () => {
  const msg = `${HEAD}${REC}]`;
  const buf = Buffer.from(`197 ${msg}197 ${msg}`);
  const p = decodeMessage(buf, 201 + 4, 201 + 4 + 197);
  assert.is(p.size, 197);
  assert.is(p.uuid, UUID);
});

test('RFC 5424 errors come through as OGRT_ERR_SYSLOG_PARSE with the offset', () => {
  try {
    decode('<14>1 bad');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, OgrtError);
    assert.is((err as OgrtError).code, 'OGRT_ERR_SYSLOG_PARSE');
    assert.type((err as OgrtError).context.offset, 'number');
  }
});

function parts(n: number): WirePart[] {
  const r = {
    uuid: UUID, kind: 'process' as const, time: '2026-11-24T21:40:08.123456Z', hostname: 'node042', pid: 12345, cmdline: 'run',
    shared_objects: Array.from({ length: 400 }, (_, i) => ({ path: `/cluster/lib/libx${i}.so`, ...(i % 50 === 0 ? { signature: `s${i}` } : {}) })),
    loaded_modules: [{ name: 'gcc' }],
    environment_variables: Array.from({ length: 100 }, (_, i) => ({ name: `E${i}`, value: `${i}` })),
  };
  const out = encodeRecord(r, { maxMessageSize: 4096 }).map((m) => decodeMessage(m));
  assert.is(out.length, n);
  return out;
}

test('assemble: any order, repeated parts ignored, computed missing parts', () => {
  const ps = parts(4);
  const whole = assemble(ps);
  assert.is(whole.incomplete, undefined);
  assert.is(whole.shared_objects.length, 400);
  assert.equal(assemble([ps[2], ps[0], ps[3], ps[1], ps[2]]), whole);
  const partial = assemble([ps[0], ps[2]]);
  assert.is(partial.incomplete, true);
  assert.equal(partial.missing_parts, [2, 4]);
  assert.is(partial.cmdline, 'run');
  const explicit = assemble([ps[0]], [2, 3, 4]);
  assert.equal(explicit.missing_parts, [2, 3, 4]);
});

test('assemble without part 1: header TIMESTAMP, HOSTNAME, PROCID stand in', () => {
  const ps = parts(4);
  const r = assemble([ps[3], ps[1]]);
  assert.equal(r.missing_parts, [1, 3]);
  assert.is(r.time, '2026-11-24T21:40:08.123456Z');
  assert.is(r.hostname, 'node042');
  assert.is(r.pid, 12345);
  assert.is(r.cmdline, undefined);
  // indexes of the parts present, compacted into arrays
  assert.ok(r.shared_objects.length > 0 && r.environment_variables.length > 0);
  const relayed = decode(`<14>1 2026-11-24T23:40:08.1+02:00 relay ogrt abc process [ogrt@32473 v="1" uuid="${UUID}" part="2" parts="2"][ogrt-so@32473 7~t="/x"]`);
  const r2 = assemble([relayed]);
  assert.equal([r2.time, r2.hostname, r2.pid], ['2026-11-24T21:40:08.100000Z', 'relay', 0]);
  assert.equal(r2.truncated, ['shared_objects[0].path']);
  const nil = assemble([decode(`<14>1 - - ogrt - process [ogrt@32473 v="1" uuid="${UUID}" part="2" parts="2"]`)]);
  assert.equal([nil.time, nil.hostname, nil.pid], ['1970-01-01T00:00:00.000000Z', '', 0]);
});

test('assemble refuses no parts and parts of different records', () => {
  assert.throws(() => assemble([]), (e: unknown) => e instanceof OgrtError && e.code === 'OGRT_ERR_WIRE_INVALID');
  const other = decode(`${HEAD}[ogrt@32473 v="1" uuid="${UUID.replace('3e4f', '0000')}" part="2" parts="4"]`);
  assert.throws(() => assemble([parts(4)[0], other]), (e: unknown) => e instanceof OgrtError && e.code === 'OGRT_ERR_WIRE_INVALID');
});

test.run();
