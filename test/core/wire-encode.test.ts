// encodeRecord / frameOctetCounted beyond the vectors: options, refusals,
// value forms and caps on small hand-made cases (expected bytes written from
// docs/protocol.md §3-§4, not from the encoder).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OgrtError } from '../../src/core/errors.ts';
import type { OgrtRecord } from '../../src/core/record.ts';
import { DEFAULT_MAX_MESSAGE_SIZE, encodeRecord, frameOctetCounted } from '../../src/core/wire.ts';

const UUID = '3e4f5a6b-0c1d-4e2f-8a9b-0123456789ab';
const HEAD = '<14>1 2026-11-24T21:40:08.123456Z node042 ogrt 12345 process ';
const SD1 = `[ogrt@32473 v="1" uuid="${UUID}" part="1" parts="1" time="1795556408123456" hostname="node042" pid="12345"`;

function rec(extra: Partial<OgrtRecord> = {}): OgrtRecord {
  return {
    uuid: UUID, kind: 'process', time: '2026-11-24T21:40:08.123456Z', hostname: 'node042', pid: 12345,
    shared_objects: [], loaded_modules: [], environment_variables: [], ...extra,
  };
}

const one = (r: OgrtRecord, maxMessageSize?: number): string => {
  const m = encodeRecord(r, { maxMessageSize });
  assert.is(m.length, 1);
  return m[0].toString('latin1');
};

/** The encoded cmdline parameter of a record with this cmdline. */
function cmdlineParam(cmdline: string, maxMessageSize?: number): string {
  const s = Buffer.from(one(rec({ cmdline }), maxMessageSize), 'latin1').toString('utf8');
  return s.slice(s.indexOf(' cmdline'), -1);
}

function refuses(fn: () => unknown, reason: string): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, OgrtError);
    assert.is((err as OgrtError).code, 'OGRT_ERR_WIRE_ENCODE');
    assert.is((err as OgrtError).context.reason, reason, (err as Error).message);
    return;
  }
  assert.unreachable(`accepted, expected ${reason}`);
}

test('default M is 8096 and the message is header + SD, no MSG', () => {
  assert.is(DEFAULT_MAX_MESSAGE_SIZE, 8096);
  assert.is(one(rec()), `${HEAD}${SD1}]`);
});

test('facility sets PRI = facility * 8 + 6', () => {
  assert.ok(encodeRecord(rec(), { facility: 16 })[0].toString('latin1').startsWith('<134>1 '));
  assert.ok(encodeRecord(rec(), { facility: 0 })[0].toString('latin1').startsWith('<6>1 '));
  refuses(() => encodeRecord(rec(), { facility: 24 }), 'bad_option');
  refuses(() => encodeRecord(rec(), { maxMessageSize: 4095 }), 'bad_option');
});

test('refuses records the wire cannot carry', () => {
  refuses(() => encodeRecord(rec({ uuid: UUID.toUpperCase() })), 'bad_uuid');
  refuses(() => encodeRecord(rec({ kind: 'start' as never })), 'bad_kind');
  refuses(() => encodeRecord(rec({ time: '2026-11-24 21:40:08' })), 'bad_time');
  refuses(() => encodeRecord(rec({ time: '2026-02-30T00:00:00.000000Z' })), 'bad_time');
  refuses(() => encodeRecord(rec({ time: '1969-12-31T23:59:59.999999Z' })), 'bad_time');
  refuses(() => encodeRecord(rec({ pid: -1 })), 'bad_number');
  refuses(() => encodeRecord(rec({ pid: 1.5 })), 'bad_number');
  refuses(() => encodeRecord(rec({ uid: 2 ** 53 })), 'bad_number');
  refuses(() => encodeRecord(rec({ cmdline: 'x\ud800y' })), 'lone_surrogate');
  refuses(() => encodeRecord(rec({ cmdline: 'x\udc7fy' })), 'lone_surrogate');
});

test('time: other RFC 3339 forms are normalised to UTC with six digits', () => {
  const m = one(rec({ time: '2026-11-24T22:40:08.5+01:00' }));
  assert.ok(m.startsWith('<14>1 2026-11-24T21:40:08.500000Z '));
  assert.ok(m.includes(' time="1795556408500000"'));
  assert.ok(one(rec({ time: '1970-01-01T00:00:00Z' })).includes(' time="0"'));
  assert.ok(one(rec({ time: '9999-12-31T23:59:59.999999Z' })).includes(' time="253402300799999999"'));
});

test('exit_status may be negative; numbers are written in decimal', () => {
  const m = one(rec({ kind: 'exit', exit_status: -3, wall_time_us: 0, max_rss_kb: 12 }));
  assert.ok(m.endsWith(' pid="12345" exit_status="-3" wall_time_us="0" max_rss_kb="12"]'));
});

test('plain form: RFC escapes only; percent form: %HH for %, controls, DEL, invalid bytes', () => {
  assert.is(cmdlineParam('a"b\\c]d%e'), ' cmdline="a\\"b\\\\c\\]d%e"');
  assert.is(cmdlineParam('é 日本 🙂 \u0085'), ' cmdline="é 日本 🙂 \u0085"');
  assert.is(cmdlineParam('a\tb%c"\u007f'), ' cmdline~p="a%09b%25c\\"%7F"');
  assert.is(cmdlineParam('caf\udce9 é'), ' cmdline~p="caf%E9 é"');
  // bytes C3 A9 written as two escaped bytes are valid UTF-8 again: plain é
  assert.is(cmdlineParam('\udcc3\udca9'), ' cmdline="é"');
});

test('cap: a long value is cut at L bytes between units and flagged t (M = 4096, L = 1024)', () => {
  assert.is(cmdlineParam('a'.repeat(1024), 4096), ` cmdline="${'a'.repeat(1024)}"`);
  assert.is(cmdlineParam('a'.repeat(1025), 4096), ` cmdline~t="${'a'.repeat(1024)}"`);
  assert.is(cmdlineParam('a'.repeat(1022) + '日', 4096), ` cmdline~t="${'a'.repeat(1022)}"`);
  assert.is(cmdlineParam('a'.repeat(1023) + '\\', 4096), ` cmdline~t="${'a'.repeat(1023)}"`);
  assert.is(cmdlineParam('a'.repeat(1022) + '\\', 4096), ` cmdline="${'a'.repeat(1022)}\\\\"`);
  assert.is(cmdlineParam('a'.repeat(1022) + '\udcff', 4096), ` cmdline~pt="${'a'.repeat(1022)}"`);
  assert.is(cmdlineParam('a'.repeat(1021) + '\udcff', 4096), ` cmdline~p="${'a'.repeat(1021)}%FF"`);
});

test('cap: short values at 255 encoded bytes', () => {
  const m = one(rec({ username: 'u'.repeat(255), job_id: 'j'.repeat(254) + ']' }));
  assert.ok(m.includes(` username="${'u'.repeat(255)}"`));
  assert.ok(m.includes(` job_id~t="${'j'.repeat(254)}"`));
});

test('record.truncated flags the collector\'s cuts without cutting again', () => {
  const m = one(rec({
    cmdline: 'abc', binpath: '/x\udce9',
    shared_objects: [{ path: '/a.so', signature: 'sig' }, { path: '/b.so' }],
    loaded_modules: [{ name: 'm' }],
    environment_variables: [{ name: 'A', value: '1' }],
    truncated: ['cmdline', 'binpath', 'shared_objects[0].signature', 'loaded_modules[0]', 'environment_variables[0]', 'job_id'],
  }));
  assert.ok(m.includes(' binpath~pt="/x%E9" cmdline~t="abc"]'));
  assert.ok(m.endsWith('[ogrt-so@32473 0="/a.so" 1="/b.so"][ogrt-sig@32473 0~t="sig"][ogrt-mod@32473 0~t="m"][ogrt-env@32473 0~t="A=1"]'));
});

test('an empty shared-object signature is no signature', () => {
  assert.is(one(rec({ shared_objects: [{ path: '/a.so', signature: '' }] })), `${HEAD}${SD1}][ogrt-so@32473 0="/a.so"]`);
});

test('header HOSTNAME is the host name only when 1-255 PRINTUSASCII bytes', () => {
  const host = (hostname: string) => one(rec({ hostname })).split(' ')[2];
  assert.is(host('a.b-c_d'), 'a.b-c_d');
  assert.is(host('"q]'), '"q]');
  assert.is(host('x'.repeat(255)), 'x'.repeat(255));
  assert.is(host('x'.repeat(256)), '-');
  assert.is(host('with space'), '-');
  assert.is(host('nöde'), '-');
  assert.is(host(''), '-');
});

test('splitting: no part exceeds M, every part repeats header and uuid, indexes are global', () => {
  const r = rec({
    shared_objects: Array.from({ length: 300 }, (_, i) => ({ path: `/lib/lib${i}.so` })),
    environment_variables: Array.from({ length: 300 }, (_, i) => ({ name: `V${i}`, value: 'x'.repeat(20) })),
  });
  const parts = encodeRecord(r, { maxMessageSize: 4096 }).map((b) => b.toString('latin1'));
  assert.ok(parts.length >= 3);
  parts.forEach((p, k) => {
    assert.ok(p.length <= 4096);
    assert.ok(p.startsWith(`${HEAD}[ogrt@32473 v="1" uuid="${UUID}" part="${k + 1}" parts="${parts.length}"`));
    assert.is(p.includes(' time="'), k === 0);
  });
  const all = parts.join('');
  for (let i = 0; i < 300; i++) {
    assert.ok(all.includes(` ${i}="/lib/lib${i}.so"`));
    assert.ok(all.includes(` ${i}="V${i}=`));
  }
});

test('frameOctetCounted: LEN SP MSG for each message, no separator', () => {
  const framed = frameOctetCounted([Buffer.from('abc'), Buffer.from('é'), Buffer.alloc(0)]);
  assert.is(framed.toString('latin1'), '3 abc2 ' + Buffer.from('é').toString('latin1') + '0 ');
});

test.run();
