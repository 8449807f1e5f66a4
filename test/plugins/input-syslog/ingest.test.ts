import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeRecord } from '../../../src/core/wire.ts';
import { LOG_BURST, type Pausable, type RecordIntake } from '../../../src/core/plugin-api.ts';
import { createIngest } from '../../../plugins/input-syslog/ingest.ts';
import { FakeContext, makeRecord, makeSplitRecord, withoutReceive } from './harness.ts';

function feed(ingest: RecordIntake, msg: Buffer | string, peer = '10.0.0.7:40000'): void {
  const buf = typeof msg === 'string' ? Buffer.from(msg) : msg;
  ingest.message(buf, 0, buf.length, peer, 'tcp');
  ingest.flush();
}

function setup(nonOgrt: 'drop' | 'pass' = 'drop', reassemblyMaxBytes = 67_108_864) {
  const ctx = new FakeContext('relay');
  return { ctx, ingest: createIngest(ctx, { nonOgrt, reassemblyTimeoutMs: 30_000, reassemblyMaxBytes }) };
}

test('a one-part record is delivered as encoded, with receive info', () => {
  const { ctx, ingest } = setup();
  const r = makeRecord();
  const [msg] = encodeRecord(r);
  feed(ingest, msg);
  assert.is(ctx.records.length, 1);
  assert.equal(withoutReceive(ctx.records[0]), r);
  const rec = ctx.records[0].receive!;
  assert.is(rec.input, 'relay');
  assert.is(rec.peer, '10.0.0.7:40000');
  assert.match(rec.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.is(rec.relay_hostname, 'node042');
  assert.is(rec.relay_time, '2026-11-24T21:40:08.123456Z');
  assert.equal(ctx.emits, [{ count: 1, bytes: msg.length }]);
  assert.is(ctx.counter('component_received_events_total'), 1);
});

test('relay-rewritten header: SD values win, the relay view goes to receive', () => {
  const { ctx, ingest } = setup();
  const r = makeRecord({ hostname: 'node042', pid: 4242 });
  const [msg] = encodeRecord(r);
  // What rsyslog's RSYSLOG_SyslogProtocol23Format makes of it: its receive time, another host, " \n" MSG.
  const relayed = msg
    .toString('latin1')
    .replace('2026-11-24T21:40:08.123456Z node042 ogrt 4242', '2026-11-24T22:00:00.000001+01:00 relay-7 ogrt 99');
  feed(ingest, Buffer.from(relayed + ' \n', 'latin1'));
  assert.is(ctx.records.length, 1);
  const got = ctx.records[0];
  assert.is(got.hostname, 'node042');
  assert.is(got.time, '2026-11-24T21:40:08.123456Z');
  assert.is(got.pid, 4242);
  assert.is(got.receive!.relay_hostname, 'relay-7');
  assert.is(got.receive!.relay_time, '2026-11-24T22:00:00.000001+01:00');
  assert.equal(withoutReceive(got), r);
});

test('reassembly_max_bytes bounds the parts held: the oldest waiting record goes out incomplete', () => {
  const cap = 65_536;
  const { ctx, ingest } = setup('drop', cap);
  const records = [makeSplitRecord(3), makeSplitRecord(3), makeSplitRecord(3), makeSplitRecord(3), makeSplitRecord(3)];
  let held = 0;
  for (const r of records) {
    const msgs = encodeRecord(r);
    // Everything but the last part: each record waits.
    for (const m of msgs.slice(0, -1)) {
      feed(ingest, m);
      held += m.length;
    }
  }
  assert.ok(held > cap, `the flood (${held} bytes) exceeds the cap`);
  assert.ok(ctx.records.length > 0, 'some waiting records were pushed out');
  for (const got of ctx.records) {
    assert.is(got.incomplete, true);
    assert.ok((got.missing_parts ?? []).length > 0);
  }
  assert.is(ctx.records[0].uuid, records[0].uuid, 'the oldest goes first');
});

test('split record: parts in any order, from different peers, make one record', () => {
  const { ctx, ingest } = setup();
  const r = makeSplitRecord(3);
  const msgs = encodeRecord(r);
  assert.ok(msgs.length >= 3, `expected >= 3 parts, got ${msgs.length}`);
  const order = msgs.map((_, i) => i).reverse();
  order.forEach((i, k) => {
    assert.is(ctx.records.length, 0, 'nothing before the last part');
    feed(ingest, msgs[i], `10.0.0.${k}:514`);
  });
  assert.is(ctx.records.length, 1);
  assert.equal(withoutReceive(ctx.records[0]), r);
  // Receive info is that of the first message that arrived.
  assert.is(ctx.records[0].receive!.peer, '10.0.0.0:514');
  assert.is(ctx.emits[0].bytes, msgs.reduce((n, m) => n + m.length, 0));
});

test('a repeated part is counted and ignored', () => {
  const { ctx, ingest } = setup();
  const msgs = encodeRecord(makeSplitRecord(2));
  feed(ingest, msgs[0]);
  feed(ingest, msgs[0]);
  for (const m of msgs.slice(1)) feed(ingest, m);
  assert.is(ctx.records.length, 1);
  assert.is(ctx.counter('reassembly_duplicate_parts_total'), 1);
});

test('close() delivers records with missing parts as incomplete, with their receive info', () => {
  const { ctx, ingest } = setup();
  const r = makeSplitRecord(2);
  const msgs = encodeRecord(r);
  feed(ingest, msgs[0], '192.0.2.1:7');
  ingest.close();
  assert.is(ctx.records.length, 1);
  const got = ctx.records[0];
  assert.is(got.uuid, r.uuid);
  assert.is(got.incomplete, true);
  assert.equal(got.missing_parts, msgs.slice(1).map((_, i) => i + 2));
  assert.is(got.receive!.peer, '192.0.2.1:7');
  assert.is(ctx.counter('reassembly_incomplete_records_total', { reason: 'shutdown' }), 1);
});

const OTHER_5424 = '<13>1 2026-11-24T21:40:08.5Z web01 nginx 811 access [meta x="1"] GET /index.html';
const OTHER_BSD = '<30>Nov 24 21:40:08 web01 sshd[99]: Accepted publickey for alice';

test('non-OGRT messages are counted and dropped by default; the log is rate-limited', () => {
  const { ctx, ingest } = setup();
  for (let i = 0; i < 50; i++) {
    feed(ingest, OTHER_5424);
    feed(ingest, OTHER_BSD);
  }
  assert.is(ctx.records.length, 0);
  assert.is(ctx.counter('component_discarded_events_total', { reason: 'not_ogrt' }), 100);
  assert.is(ctx.warnings('not_ogrt').length, LOG_BURST);
  assert.is(ctx.counter('component_errors_total', { error_type: 'invalid_syslog', stage: 'receiving' }), 0);
});

test('non_ogrt = "pass": raw events carry the message, parsed header and receive info', () => {
  const { ctx, ingest } = setup('pass');
  feed(ingest, OTHER_5424, '[2001:db8::1]:514');
  feed(ingest, Buffer.concat([Buffer.from(OTHER_BSD), Buffer.from([0xff])]));
  assert.is(ctx.records.length, 2);
  const [a, b] = ctx.records as unknown as Record<string, any>[];
  assert.is(a.kind, 'raw');
  assert.match(a.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.is(a.time, '2026-11-24T21:40:08.500000Z');
  assert.is(a.hostname, 'web01');
  assert.is(a.pid, 811);
  assert.equal(a.syslog, {
    facility: 1, severity: 5, timestamp: '2026-11-24T21:40:08.5Z', hostname: 'web01', app_name: 'nginx', proc_id: '811', msg_id: 'access',
    message: OTHER_5424,
  });
  assert.is(a.receive.peer, '[2001:db8::1]:514');
  assert.equal([a.shared_objects, a.loaded_modules, a.environment_variables], [[], [], []]);
  // Not RFC 5424: PRI only, the peer as hostname, the invalid byte kept as U+DCFF.
  assert.equal(b.syslog, { facility: 3, severity: 6, message: OTHER_BSD + '\udcff' });
  assert.is(b.hostname, '10.0.0.7');
  assert.is(b.pid, 0);
  assert.is(b.time, b.receive.time);
  assert.is(ctx.counter('component_discarded_events_total', { reason: 'not_ogrt' }), 0, 'passed on, not discarded');
  assert.is(ctx.counter('component_received_events_total'), 2);
});

test('a broken OGRT message is an error (counted with its reason), not a non-OGRT message', () => {
  const { ctx, ingest } = setup('pass');
  const [msg] = encodeRecord(makeRecord());
  feed(ingest, msg.toString('latin1').replace('v="1"', 'v="7"'));
  feed(ingest, msg.toString('latin1').replace(/uuid="[^"]+"/, 'uuid="nope"'));
  feed(ingest, msg.toString('latin1').replace('<14>1 ', '<14>1  '));
  assert.is(ctx.records.length, 0);
  assert.is(ctx.counter('component_errors_total', { error_type: 'unsupported_version', stage: 'receiving' }), 1);
  assert.is(ctx.counter('component_errors_total', { error_type: 'invalid_record', stage: 'receiving' }), 1);
  assert.is(ctx.counter('component_errors_total', { error_type: 'invalid_syslog', stage: 'receiving' }), 1);
  assert.is(ctx.counter('component_discarded_events_total', { reason: 'invalid_message' }), 3);
  const line = ctx.warnings('invalid_record')[0];
  assert.is(line.obj.peer, '10.0.0.7:40000');
  assert.is(line.obj.code, 'OGRT_ERR_WIRE_INVALID');
  assert.is(line.obj.reason, 'bad_uuid');
  assert.is(ctx.warnings('invalid_syslog')[0].obj.code, 'OGRT_ERR_SYSLOG_PARSE');
  assert.type(ctx.warnings('invalid_syslog')[0].obj.message_offset, 'number');
});

test('backpressure: every source pauses until the newest emit promise resolves', async () => {
  const { ctx, ingest } = setup();
  const events: string[] = [];
  const src = (name: string): Pausable => ({ pause: () => events.push(`${name} pause`), resume: () => events.push(`${name} resume`) });
  const a = src('a');
  ingest.register(a);
  let release1!: () => void;
  let release2!: () => void;
  ctx.block = new Promise<void>((r) => (release1 = r));
  feed(ingest, encodeRecord(makeRecord())[0]);
  assert.equal(events, ['a pause']);
  ingest.register(src('b')); // joins while blocked: paused at once
  assert.equal(events, ['a pause', 'b pause']);
  ctx.block = new Promise<void>((r) => (release2 = r));
  feed(ingest, encodeRecord(makeRecord())[0]);
  ctx.block = undefined;
  release1();
  await new Promise((r) => setImmediate(r));
  assert.equal(events, ['a pause', 'b pause'], 'an older wait does not release');
  release2();
  await new Promise((r) => setImmediate(r));
  assert.equal(events, ['a pause', 'b pause', 'a resume', 'b resume']);
  assert.is(ctx.records.length, 2);
});

test.run();
