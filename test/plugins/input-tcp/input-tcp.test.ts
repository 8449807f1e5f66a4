import { test } from 'uvu';
import * as assert from 'uvu/assert';
import tcpPlugin from '../../../plugins/input-tcp/index.ts';
import { TcpInputOptions } from '../../../plugins/input-tcp/config.ts';
import { Value } from '@sinclair/typebox/value';
import { fakeContext, waitFor } from '../../helpers/fake-context.ts';
import {
  closed, connect, lf, messages, octet, peerOf, record, sendAndEnd, startInput, withoutReceive, type Running,
} from './harness.ts';
import type { InputInstance } from '../../../src/core/plugin-api.ts';
import { DEFAULT_MAX_PENDING_BYTES } from '../../../src/core/reassembly.ts';

const ISO_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const running: InputInstance[] = [];

async function start(...args: Parameters<typeof startInput>): Promise<Running> {
  const r = await startInput(...args);
  running.push(r.input);
  return r;
}

test.after.each(async () => {
  for (const input of running.splice(0)) await input.stop();
});

test('descriptor: type "tcp", input kind, defaults as documented', () => {
  assert.is(tcpPlugin.type, 'tcp');
  assert.is(tcpPlugin.kind, 'input');
  const defaults = Value.Default(TcpInputOptions, {}) as TcpInputOptions;
  assert.equal(defaults, {
    listen: '127.0.0.1:7971', max_frame_size: 65536, idle_timeout_ms: 300000, max_connections: 4096,
    reassembly_timeout_ms: 30000, reassembly_max_bytes: 67108864,
  });
  assert.is(defaults.reassembly_max_bytes, DEFAULT_MAX_PENDING_BYTES, 'the core\'s default');
  assert.ok(Value.Check(TcpInputOptions, defaults));
  assert.ok(Value.Check(TcpInputOptions, { ...defaults, listen: '[::1]:7971' }));
  assert.not.ok(Value.Check(TcpInputOptions, { ...defaults, listen: '7971' }));
  assert.not.ok(Value.Check(TcpInputOptions, { ...defaults, extra: true }));
  assert.not.ok(Value.Check(TcpInputOptions, { ...defaults, reassembly_max_bytes: 65535 }), 'less than one large message');
});

test('create() refuses a listen address it cannot parse, naming the instance', () => {
  const fake = fakeContext({ id: 'direct' });
  const options = { ...(Value.Default(TcpInputOptions, {}) as TcpInputOptions), listen: '127.0.0.1:99999' };
  assert.throws(() => tcpPlugin.create(fake.ctx, options), (err: Error & { code?: string }) => err.code === 'OGRT_ERR_CONFIG_INVALID' && /inputs\.direct/.test(err.message) && /65535/.test(err.message));
});

test('start() on a port in use rejects with OGRT_ERR_INPUT_LISTEN', async () => {
  const { port } = await start();
  const fake = fakeContext({ id: 'second' });
  const input = tcpPlugin.create(fake.ctx, { ...(Value.Default(TcpInputOptions, {}) as TcpInputOptions), listen: `127.0.0.1:${port}` });
  try {
    await input.start();
    assert.unreachable('start() should have failed');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'OGRT_ERR_INPUT_LISTEN');
    assert.match((err as Error).message, `127.0.0.1:${port}`);
  }
});

test('octet counting: records (single and split into parts) arrive whole, with receive info', async () => {
  const { fake, port, address } = await start();
  assert.match(address, /^127\.0\.0\.1:\d+$/);
  const records = [record(1), record(80), record(0)];
  assert.ok(messages(records[1]).length > 1, 'the second record is split into parts');
  const socket = await connect(port);
  const peer = peerOf(socket);
  await sendAndEnd(socket, octet(...records));
  await waitFor(() => fake.records().length === 3, '3 records');
  assert.equal(fake.records().map(withoutReceive), records);
  for (const r of fake.records()) {
    assert.is(r.receive!.input, 'direct');
    assert.is(r.receive!.peer, peer);
    assert.match(r.receive!.time, ISO_MICROS);
    assert.is(r.receive!.relay_hostname, undefined, 'a direct sender is not a relay');
  }
  const wire = records.flatMap(messages).reduce((n, m) => n + m.length, 0);
  assert.is(fake.emits.reduce((n, e) => n + e.wireBytes, 0), wire);
  assert.is(fake.count('component_received_events_total'), 3);
  assert.is(fake.count('component_received_bytes_total'), octet(...records).length);
});

test('LF framing (LF and CRLF): records arrive whole', async () => {
  const { fake, port } = await start();
  const a = [record(1), record(60)];
  const b = [record(3)];
  const s1 = await connect(port);
  const s2 = await connect(port);
  await Promise.all([sendAndEnd(s1, lf(a)), sendAndEnd(s2, lf(b, '\r\n'))]);
  await waitFor(() => fake.records().length === 3, '3 records');
  const byUuid = new Map(fake.records().map((r) => [r.uuid, withoutReceive(r)]));
  for (const r of [...a, ...b]) assert.equal(byUuid.get(r.uuid), r);
});

test('records from one socket chunk are emitted together in one array', async () => {
  const { fake, port } = await start();
  const records = [record(1), record(1), record(1)];
  const socket = await connect(port);
  await sendAndEnd(socket, octet(...records)); // small: one chunk on loopback
  await waitFor(() => fake.records().length === 3, '3 records');
  assert.is(fake.emits.length, 1);
});

test('a record split over two connections is reassembled; receive.peer is where its first part came from', async () => {
  const { fake, port } = await start();
  const r = record(80);
  const parts = messages(r);
  assert.ok(parts.length >= 2);
  const first = await connect(port);
  const second = await connect(port);
  const firstPeer = peerOf(first);
  first.write(octetOf(parts.slice(0, 1)));
  await waitFor(() => fake.count('component_received_bytes_total') > 0, 'first part received');
  await sendAndEnd(second, octetOf(parts.slice(1)));
  await waitFor(() => fake.records().length === 1, 'the record');
  assert.equal(withoutReceive(fake.records()[0]), r);
  assert.is(fake.records()[0].receive!.peer, firstPeer);
  await sendAndEnd(first, '');
});

test('a malformed frame ends only its own connection; a concurrent connection goes on', async () => {
  const { fake, port } = await start();
  const good = await connect(port);
  const bad = await connect(port);
  const badPeer = peerOf(bad);
  const before = record(1);
  good.write(octet(before));
  const okFrame = octet(record(1));
  bad.write(Buffer.concat([okFrame, Buffer.from('07 <14>1 - - -')])); // leading zero
  await closed(bad); // the server closed it
  const after = record(1);
  await sendAndEnd(good, octet(after));
  await waitFor(() => fake.records().length === 3, 'good records of both connections');
  assert.ok(fake.records().some((r) => r.uuid === after.uuid));
  assert.is(fake.count('component_errors_total', { error_type: 'malformed_frame', stage: 'receiving' }), 1);
  const line = fake.logged(/malformed frame/, 'warn')[0];
  assert.ok(line !== undefined, 'logged');
  assert.is((line.obj as { peer: string }).peer, badPeer);
  assert.is((line.obj as { offset: number }).offset, okFrame.length);
});

test('a too-large frame is counted and skipped; the next frame on the same connection is delivered', async () => {
  const { fake, port } = await start({ max_frame_size: 4096 });
  const junk = Buffer.alloc(10_000, 0x61);
  const next = record(1);
  const socket = await connect(port);
  await sendAndEnd(socket, Buffer.concat([Buffer.from(`${junk.length} `), junk, octet(next)]));
  await waitFor(() => fake.records().length === 1, 'the next record');
  assert.is(fake.records()[0].uuid, next.uuid);
  assert.is(fake.count('component_errors_total', { error_type: 'frame_too_large' }), 1);
});

test('messages that are not OGRT are counted as discarded (not_ogrt); invalid OGRT messages as errors', async () => {
  const { fake, port } = await start();
  const good = record(1);
  const socket = await connect(port);
  const lines = [
    '<13>1 2026-11-24T21:40:08Z host sshd 77 - - Accepted publickey',
    '<14>1 - - ogrt 1 process [ogrt@32473 v="1" uuid="nope" part="1" parts="1"]',
    'garbage that is not syslog',
  ];
  await sendAndEnd(socket, Buffer.concat([Buffer.from(lines.join('\n') + '\n'), lf([good])]));
  await waitFor(() => fake.records().length === 1, 'the good record');
  assert.is(fake.count('component_discarded_events_total', { reason: 'not_ogrt' }), 1);
  assert.is(fake.count('component_errors_total', { error_type: 'invalid_record' }), 1);
  assert.is(fake.count('component_errors_total', { error_type: 'invalid_syslog' }), 1);
  assert.is(fake.count('component_discarded_events_total', { reason: 'invalid_message' }), 2);
  const invalid = fake.logged(/invalid record/)[0].obj as { offset: number; reason: string };
  assert.is(invalid.offset, Buffer.byteLength(lines[0]) + 1, 'connection offset of the message');
  assert.is(invalid.reason, 'bad_uuid');
});

test('error log lines are rate-limited; every error is counted', async () => {
  const { fake, port } = await start();
  const socket = await connect(port);
  await sendAndEnd(socket, Array.from({ length: 200 }, (_, i) => `<14>1 broken ${i}\n`).join(''));
  await waitFor(() => fake.count('component_errors_total', { error_type: 'invalid_syslog' }) === 200, '200 errors counted');
  const lines = fake.logged(/invalid syslog/);
  assert.ok(lines.length >= 1 && lines.length <= 5, `${lines.length} log lines`);
});

test('backpressure: while emit() is pending the input stops reading; after release everything arrives', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const { fake, port } = await start({}, { emit: () => gate });
  const small = record(0);
  const frames: Buffer[] = [];
  for (let i = 0; i < 2000; i++) frames.push(octet({ ...small, uuid: `22222222-2222-4333-8444-${i.toString(16).padStart(12, '0')}` }));
  const block = Buffer.concat(frames); // ~0.5 MB
  const socket = await connect(port);
  socket.on('data', () => undefined);
  socket.write(block);
  let written = 1;
  await waitFor(() => fake.emits.length === 1, 'the first emit');
  // Keep writing (one block per poll) until the client's own buffer holds 4 MB:
  // that only happens once the kernel buffers are full because nobody reads.
  const threshold = 4 * 1024 * 1024;
  await waitFor(
    () => {
      if (socket.writableLength < threshold && written < 256) {
        socket.write(block);
        written++;
      }
      return socket.writableLength >= threshold;
    },
    'the sender backs up',
    20_000,
  );
  assert.is(fake.emits.length, 1, 'nothing more is read (and emitted) while the first emit is pending');
  const receivedWhileBlocked = fake.count('component_received_bytes_total');
  assert.ok(receivedWhileBlocked < written * block.length - socket.writableLength, 'the server has not read everything the kernel holds');
  release();
  socket.end();
  await waitFor(() => fake.records().length === written * 2000, `all ${written * 2000} records`, 30_000);
  await closed(socket);
});

test('idle timeout closes a quiet connection and counts it', async () => {
  const { fake, port } = await start({ idle_timeout_ms: 100 });
  const socket = await connect(port);
  socket.on('data', () => undefined);
  await closed(socket);
  assert.is(fake.count('connections_closed_total', { reason: 'idle_timeout' }), 1);
});

test('max_connections: one connection too many is refused and counted', async () => {
  const { fake, port } = await start({ max_connections: 1 });
  const first = await connect(port);
  await waitFor(() => fake.gauges.get('open_connections{transport=tcp}') === 1, 'first connection accepted');
  const second = await connect(port);
  second.on('error', () => undefined);
  await closed(second);
  await waitFor(() => fake.count('connections_refused_total', { reason: 'max_connections' }) === 1, 'refusal counted');
  const r = record(1);
  await sendAndEnd(first, octet(r));
  await waitFor(() => fake.records().length === 1, 'first connection still works');
});

test('stop(): pending split records are delivered incomplete, an unterminated LF line is delivered', async () => {
  const r = await startInput({ reassembly_timeout_ms: 60_000 });
  const split = record(80);
  const parts = messages(split);
  const lastLine = record(1);
  const s1 = await connect(r.port);
  const s2 = await connect(r.port);
  s1.on('data', () => undefined);
  s2.on('data', () => undefined);
  s1.write(octetOf(parts.slice(1))); // everything but part 1
  s2.write(messages(lastLine)[0]); // LF framing, no final LF
  const expectBytes = octetOf(parts.slice(1)).length + messages(lastLine)[0].length;
  await waitFor(() => r.fake.count('component_received_bytes_total') === expectBytes, 'bytes received');
  assert.equal(r.fake.records(), []);
  await r.input.stop();
  await Promise.all([closed(s1), closed(s2)]);
  const got = new Map(r.fake.records().map((x) => [x.uuid, x]));
  assert.equal(withoutReceive(got.get(lastLine.uuid)!), lastLine);
  const incomplete = got.get(split.uuid)!;
  assert.is(incomplete.incomplete, true);
  assert.equal(incomplete.missing_parts, [1]);
  assert.is(incomplete.pid, split.pid, 'header stands in for part 1');
  assert.is(r.fake.count('reassembly_incomplete_records_total', { reason: 'shutdown' }), 1);
});

test('reassembly timeout: a record whose parts do not all arrive is delivered incomplete, with its receive info', async () => {
  const { fake, port } = await start({ reassembly_timeout_ms: 50 });
  const split = record(80);
  const parts = messages(split);
  const socket = await connect(port);
  const peer = peerOf(socket);
  await sendAndEnd(socket, octetOf(parts.slice(0, 1)));
  await waitFor(() => fake.records().length === 1, 'the incomplete record', 5_000);
  const got = fake.records()[0];
  assert.is(got.incomplete, true);
  assert.equal(got.missing_parts, parts.slice(1).map((_, i) => i + 2));
  assert.is(got.receive!.peer, peer);
  assert.is(fake.count('reassembly_incomplete_records_total', { reason: 'reassembly_timeout' }), 1);
});

test('IPv6: listen on [::1]:0, addresses() and receive.peer use brackets', async () => {
  const { fake, port, address } = await start({ listen: '[::1]:0' });
  assert.match(address, /^\[::1\]:\d+$/);
  const socket = await connect(port, '::1');
  const localPort = socket.localPort;
  await sendAndEnd(socket, octet(record(1)));
  await waitFor(() => fake.records().length === 1, 'record');
  assert.is(fake.records()[0].receive!.peer, `[::1]:${localPort}`);
});

test('a direct input does not keep the syslog header as relay_* even when it differs from the record', async () => {
  const { fake, port } = await start();
  const r = record(1);
  const msg = messages(r)[0].toString('latin1').replace(' node042 ogrt ', ' relay7 ogrt ').replace('2026-11-24T21:40:08.123456Z', '2026-11-24T21:40:09.5Z');
  const socket = await connect(port);
  await sendAndEnd(socket, `${msg}\n`);
  await waitFor(() => fake.records().length === 1, 'record');
  const receive = fake.records()[0].receive!;
  assert.is(receive.relay_hostname, undefined);
  assert.is(receive.relay_time, undefined);
  assert.is(fake.records()[0].hostname, 'node042');
  assert.is(fake.records()[0].time, r.time);
});

function octetOf(msgs: Buffer[]): Buffer {
  return Buffer.concat(msgs.map((m) => Buffer.concat([Buffer.from(`${m.length} `), m])));
}

test.run();
