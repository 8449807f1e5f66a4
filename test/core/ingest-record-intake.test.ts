/**
 * The core's RecordIntake with each of its policies; the inputs' own tests
 * cover it through real sockets.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RecordIntake, type RecordIntakeOptions } from '../../src/core/ingest/record-intake.ts';
import { OgrtError } from '../../src/core/errors.ts';
import { encodeRecord } from '../../src/core/wire.ts';
import type { OgrtRecord } from '../../src/core/record.ts';
import { makeRecord } from '../helpers/records.ts';
import { fakeContext } from '../helpers/fake-context.ts';

const DIRECT: RecordIntakeOptions = { reassemblyTimeoutMs: 30_000, relayHeader: false, unparseable: 'invalid' };
const RELAYED: RecordIntakeOptions = { reassemblyTimeoutMs: 30_000, relayHeader: true, unparseable: 'not_ogrt' };

function setup(opts: RecordIntakeOptions) {
  const fake = fakeContext({ id: 'in' });
  return { fake, intake: new RecordIntake(fake.ctx, opts) };
}

function feed(intake: RecordIntake, msg: Buffer | string, peer = '10.0.0.7:40000', streamOffset?: number): void {
  const buf = typeof msg === 'string' ? Buffer.from(msg, 'latin1') : msg;
  intake.message(buf, 0, buf.length, peer, 'tcp', streamOffset);
}

/** A record with enough shared objects to need several messages of 4096 bytes. */
function splitRecord(): OgrtRecord {
  return makeRecord({ shared_objects: Array.from({ length: 120 }, (_, i) => ({ path: `/opt/lib/lib${i}-${'x'.repeat(60)}.so` })) });
}

const RELAYED_HEADER = (msg: Buffer): string =>
  msg.toString('latin1').replace('2026-11-24T21:40:08.123456Z node042 ogrt', '2026-11-24T22:00:00.000001+01:00 relay-7 ogrt');

test('relayHeader: the header becomes receive.relay_*; without it only input, peer and time', () => {
  const r = makeRecord();
  const relayed = RELAYED_HEADER(encodeRecord(r)[0]);
  for (const [opts, want] of [
    [RELAYED, { relay_hostname: 'relay-7', relay_time: '2026-11-24T22:00:00.000001+01:00' }],
    [DIRECT, {}],
  ] as const) {
    const { fake, intake } = setup(opts);
    feed(intake, relayed);
    intake.flush();
    const got = fake.records()[0];
    const { time, ...receive } = got.receive!;
    assert.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(receive, { input: 'in', peer: '10.0.0.7:40000', ...want });
    assert.is(got.hostname, 'node042', 'the record keeps its own hostname');
  }
});

test('one emit per flush, with the wire bytes; received() bytes are counted at flush even without records', () => {
  const { fake, intake } = setup(DIRECT);
  const a = encodeRecord(makeRecord())[0];
  const b = encodeRecord(makeRecord())[0];
  intake.received(17);
  intake.flush();
  assert.is(fake.emits.length, 0);
  assert.is(fake.count('component_received_bytes_total'), 17);
  intake.received(a.length + b.length);
  feed(intake, a);
  feed(intake, b);
  assert.is(fake.emits.length, 0, 'nothing before flush');
  intake.flush();
  assert.equal(fake.emits.map((e) => [e.records.length, e.wireBytes]), [[2, a.length + b.length]]);
  assert.is(fake.count('component_received_bytes_total'), 17 + a.length + b.length);
  assert.is(fake.count('component_received_events_total'), 2);
  assert.is(fake.records()[0].receive!.time, fake.records()[1].receive!.time, 'one receive time per read');
});

test('a split record: receive from its first part (relay header included), all its bytes in the emit that completes it', () => {
  const { fake, intake } = setup(RELAYED);
  const r = splitRecord();
  const msgs = encodeRecord(r, { maxMessageSize: 4096 });
  assert.ok(msgs.length >= 3, `${msgs.length} parts`);
  feed(intake, RELAYED_HEADER(msgs[0]), '192.0.2.1:1');
  intake.flush();
  for (const m of msgs.slice(1)) feed(intake, m, '192.0.2.2:2');
  intake.flush();
  assert.is(fake.emits.length, 1);
  const got = fake.records()[0];
  assert.is(got.receive!.peer, '192.0.2.1:1');
  assert.is(got.receive!.relay_hostname, 'relay-7');
  const relayedSize = Buffer.byteLength(RELAYED_HEADER(msgs[0]), 'latin1');
  assert.is(fake.emits[0].wireBytes, relayedSize + msgs.slice(1).reduce((n, m) => n + m.length, 0));
});

test('reassembly timeout and close(): records with missing parts are delivered incomplete, with their receive info', () => {
  let now = 0;
  const fake = fakeContext({ id: 'in' });
  const intake = new RecordIntake(fake.ctx, { ...DIRECT, reassemblyTimeoutMs: 1000, now: () => now });
  const late = encodeRecord(splitRecord(), { maxMessageSize: 4096 });
  const never = encodeRecord(splitRecord(), { maxMessageSize: 4096 });
  feed(intake, late[0], '192.0.2.1:1');
  now = 2000;
  feed(intake, never[0], '192.0.2.2:2'); // add() sweeps: `late` expires
  assert.is(fake.records().length, 1);
  assert.is(fake.records()[0].incomplete, true);
  assert.is(fake.records()[0].receive!.peer, '192.0.2.1:1');
  assert.is(fake.count('reassembly_incomplete_records_total', { reason: 'reassembly_timeout' }), 1);
  intake.close();
  assert.is(fake.records().length, 2);
  assert.is(fake.records()[1].receive!.peer, '192.0.2.2:2');
  assert.equal(fake.records()[1].missing_parts, never.slice(1).map((_, i) => i + 2));
  assert.is(fake.count('reassembly_incomplete_records_total', { reason: 'shutdown' }), 1);
});

const BSD = '<30>Nov 24 21:40:08 web01 sshd[99]: Accepted publickey for alice';
const OTHER_5424 = '<13>1 2026-11-24T21:40:08.5Z web01 nginx 811 - - GET /';

test('unparseable = "invalid": a message that is not RFC 5424 is an error; another APP-NAME is not OGRT', () => {
  const { fake, intake } = setup(DIRECT);
  feed(intake, BSD, '10.0.0.7:1', 100);
  feed(intake, OTHER_5424, '10.0.0.7:1', 200);
  intake.flush();
  assert.is(fake.count('component_errors_total', { error_type: 'invalid_syslog', stage: 'receiving' }), 1);
  assert.is(fake.count('component_discarded_events_total', { reason: 'invalid_message' }), 1);
  assert.is(fake.count('component_discarded_events_total', { reason: 'not_ogrt' }), 1);
  const line = fake.logged(/invalid syslog from 10\.0\.0\.7:1/, 'warn')[0].obj as Record<string, unknown>;
  assert.equal(
    [line.kind, line.peer, line.transport, line.code, line.offset, typeof line.message_offset],
    ['invalid_syslog', '10.0.0.7:1', 'tcp', 'OGRT_ERR_SYSLOG_PARSE', 100, 'number'],
  );
  assert.is((fake.logged(/not an OGRT record/, 'warn')[0].obj as Record<string, unknown>).offset, 200);
});

test('unparseable = "not_ogrt": BSD syslog is not OGRT; an unparseable message with OGRT structured data is still an error', () => {
  const { fake, intake } = setup(RELAYED);
  const broken = encodeRecord(makeRecord())[0].toString('latin1').replace('<14>1 ', '<14>1  ');
  feed(intake, BSD);
  feed(intake, broken);
  intake.flush();
  assert.is(fake.count('component_discarded_events_total', { reason: 'not_ogrt' }), 1);
  assert.is(fake.count('component_errors_total', { error_type: 'invalid_syslog' }), 1);
  assert.is(fake.count('component_discarded_events_total', { reason: 'invalid_message' }), 1);
});

test('passNotOgrt: the hook gets the message and receive info; its event is delivered, nothing is discarded', () => {
  const fake = fakeContext({ id: 'in' });
  const seen: string[] = [];
  const intake = new RecordIntake(fake.ctx, {
    ...RELAYED,
    passNotOgrt: (buf, start, end, receive) => {
      seen.push(buf.toString('latin1', start, end));
      return makeRecord({ hostname: receive.peer, receive });
    },
  });
  const framed = Buffer.from(`xx${OTHER_5424}yy`, 'latin1');
  intake.message(framed, 2, framed.length - 2, '10.0.0.9:9', 'udp');
  intake.flush();
  assert.equal(seen, [OTHER_5424]);
  assert.is(fake.records()[0].hostname, '10.0.0.9:9');
  assert.is(fake.records()[0].receive!.input, 'in');
  assert.is(fake.emits[0].wireBytes, Buffer.byteLength(OTHER_5424));
  assert.is(fake.count('component_discarded_events_total'), 0);
});

test('problem(): counted with its error type, logged with the connection offset and the error code', () => {
  const { fake, intake } = setup(DIRECT);
  intake.problem('malformed_frame', new OgrtError('OGRT_ERR_FRAME_MALFORMED', [42, 'leading zero'], { context: { offset: 42, reason: 'leading zero' } }), '10.0.0.1:2', 'tls', 42);
  assert.is(fake.count('component_errors_total', { error_type: 'malformed_frame', stage: 'receiving' }), 1);
  const line = fake.logged(/malformed frame from 10\.0\.0\.1:2/, 'warn')[0].obj as Record<string, unknown>;
  assert.equal(line, {
    peer: '10.0.0.1:2', transport: 'tls', err: 'malformed frame at byte 42: leading zero', offset: 42,
    code: 'OGRT_ERR_FRAME_MALFORMED', reason: 'leading zero', kind: 'malformed_frame',
  });
});

test('backpressure: every registered reader pauses until the newest emit promise settles', async () => {
  let gate: Promise<void> | undefined;
  const fake = fakeContext({ emit: () => gate });
  const intake = new RecordIntake(fake.ctx, DIRECT);
  const events: string[] = [];
  intake.register({ pause: () => events.push('a pause'), resume: () => events.push('a resume') });
  let release!: () => void;
  gate = new Promise<void>((r) => (release = r));
  feed(intake, encodeRecord(makeRecord())[0]);
  intake.flush();
  intake.register({ pause: () => events.push('b pause'), resume: () => events.push('b resume') });
  assert.equal(events, ['a pause', 'b pause']);
  release();
  await gate;
  await new Promise((r) => setImmediate(r));
  assert.equal(events, ['a pause', 'b pause', 'a resume', 'b resume']);
});

test.run();
