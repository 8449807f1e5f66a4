import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { encodeRecord, frameOctetCounted } from '../../../src/core/wire.ts';
import type { SyslogInput } from '../../../plugins/input-syslog/index.ts';
import { FakeContext, makeRecord, makeSplitRecord, startInput, waitFor, withoutReceive } from './harness.ts';

const running: SyslogInput[] = [];
test.after.each(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

async function start(opts: Record<string, unknown> = {}, ctx?: FakeContext) {
  const s = await startInput(opts, ctx);
  running.push(s.input);
  return { ...s, port: s.input.boundAddresses().tcp!.port };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

function closed(s: net.Socket): Promise<void> {
  return new Promise((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));
}

test('octet counting: records in one write and cut at every byte', async () => {
  const { ctx, port } = await start();
  const records = [makeRecord(), makeRecord(), makeSplitRecord(2)];
  const stream = frameOctetCounted(records.flatMap((r) => encodeRecord(r)));
  const s = await connect(port);
  s.write(stream.subarray(0, 1));
  for (let i = 1; i < 300; i += 7) s.write(stream.subarray(i, Math.min(i + 7, 300)));
  s.end(stream.subarray(300));
  await waitFor(() => ctx.records.length === 3, '3 records');
  assert.equal(ctx.records.map(withoutReceive), records);
  assert.match(ctx.records[0].receive!.peer, /^127\.0\.0\.1:\d+$/);
});

test('LF framing, as rsyslog sends without octet counting', async () => {
  const { ctx, port } = await start();
  const records = [makeRecord(), makeRecord()];
  const s = await connect(port);
  s.end(Buffer.concat(records.flatMap((r) => encodeRecord(r)).map((m) => Buffer.concat([m, Buffer.from(' \n')]))));
  await waitFor(() => ctx.records.length === 2, '2 records');
  assert.equal(ctx.records.map(withoutReceive), records);
});

test('a frame above max_frame_size is counted and skipped; the connection goes on', async () => {
  const { ctx, port } = await start({ max_frame_size: 4096 });
  const big = encodeRecord(makeSplitRecord(2), { maxMessageSize: 8096 })[0];
  assert.ok(big.length > 4096);
  const small = makeRecord();
  const s = await connect(port);
  s.end(frameOctetCounted([big, ...encodeRecord(small, { maxMessageSize: 4096 })]));
  await waitFor(() => ctx.records.length === 1, 'the small record');
  assert.is(ctx.records[0].uuid, small.uuid);
  assert.is(ctx.counter('component_errors_total', { error_type: 'frame_too_large', stage: 'receiving' }), 1);
  const line = ctx.warnings('frame_too_large')[0];
  assert.is(line.obj.code, 'OGRT_ERR_FRAME_TOO_LARGE');
  assert.is(line.obj.offset, 0);
  assert.match(String(line.obj.peer), /^127\.0\.0\.1:\d+$/);
});

test('a malformed frame closes only its connection, with peer and offset in the log', async () => {
  const { ctx, port } = await start();
  const good = await connect(port);
  const bad = await connect(port);
  const badPort = bad.localPort;
  const first = encodeRecord(makeRecord())[0];
  bad.write(frameOctetCounted([first]));
  bad.write('12x34 <14>1 - - ogrt - - -');
  await closed(bad);
  const r = makeRecord();
  good.end(frameOctetCounted(encodeRecord(r)));
  await waitFor(() => ctx.records.length === 2, 'records from both connections');
  assert.is(ctx.records[1].uuid, r.uuid);
  const line = ctx.warnings('malformed_frame')[0];
  assert.is(line.obj.code, 'OGRT_ERR_FRAME_MALFORMED');
  assert.is(line.obj.offset, frameOctetCounted([first]).length + 2);
  assert.is(line.obj.peer, `127.0.0.1:${badPort}`);
});

test('an OGRT message that does not decode is reported with its offset in the connection', async () => {
  const { ctx, port } = await start();
  const good = encodeRecord(makeRecord())[0];
  const bad = Buffer.from(encodeRecord(makeRecord())[0].toString('latin1').replace(/uuid="[^"]+"/, 'uuid="x"'), 'latin1');
  const s = await connect(port);
  s.end(frameOctetCounted([good, bad]));
  await waitFor(() => ctx.warnings('invalid_record').length === 1, 'the invalid record reported');
  const line = ctx.warnings('invalid_record')[0];
  // The second frame's message starts after the first frame and its own "LEN SP".
  assert.is(line.obj.offset, frameOctetCounted([good]).length + `${bad.length} `.length);
  assert.is(line.obj.reason, 'bad_uuid');
  assert.is(ctx.records.length, 1);
});

test('idle_timeout_ms does not fire while the input is paused by backpressure', async () => {
  const ctx = new FakeContext();
  let release!: () => void;
  ctx.block = new Promise<void>((r) => (release = r));
  const { port } = await start({ idle_timeout_ms: 50 }, ctx);
  const s = await connect(port);
  s.write(frameOctetCounted(encodeRecord(makeRecord())));
  await waitFor(() => ctx.records.length === 1, 'the record (now blocked)');
  // Several idle periods pass while paused: the connection must stay open.
  await new Promise((r) => setTimeout(r, 200));
  assert.not.ok(s.destroyed || s.readyState !== 'open', 'closed while paused');
  assert.is(ctx.counter('connections_closed_total', { reason: 'idle_timeout' }), 0);
  ctx.block = undefined;
  release();
  await closed(s); // idle again after resume: now it is closed
  assert.is(ctx.counter('connections_closed_total', { reason: 'idle_timeout' }), 1);
});

test('max_connections: one more is refused and counted, the others keep working', async () => {
  const { ctx, port } = await start({ max_connections: 2 });
  const a = await connect(port);
  const b = await connect(port);
  await waitFor(() => ctx.gauges.get('open_connections{transport=tcp}') === 2, 'two open connections');
  const c = await connect(port);
  await closed(c);
  assert.is(ctx.counter('connections_refused_total', { reason: 'max_connections' }), 1);
  const r = makeRecord();
  b.end(frameOctetCounted(encodeRecord(r)));
  await waitFor(() => ctx.records.length === 1, 'record on a kept connection');
  a.destroy();
});

test('idle_timeout_ms closes a silent connection and delivers what it sent', async () => {
  const { ctx, port } = await start({ idle_timeout_ms: 100 });
  const s = await connect(port);
  const r = makeRecord();
  const [msg] = encodeRecord(r);
  s.write(Buffer.concat([msg, Buffer.from('\n')]));
  await closed(s);
  assert.is(ctx.records.length, 1);
  assert.is(ctx.counter('connections_closed_total', { reason: 'idle_timeout' }), 1);
});

test('backpressure pauses reading; the peer is held back, nothing is lost', async () => {
  const ctx = new FakeContext();
  let release!: () => void;
  ctx.block = new Promise<void>((r) => (release = r));
  const { port } = await start({}, ctx);
  const records = Array.from({ length: 3000 }, () => makeRecord());
  const stream = frameOctetCounted(records.flatMap((r) => encodeRecord(r)));
  const s = await connect(port);
  s.end(stream);
  await waitFor(() => ctx.records.length > 0, 'first emit');
  // Paused: while blocked, no more than what was already read gets emitted.
  const seen = ctx.records.length;
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(ctx.records.length - seen < 200, `kept reading while blocked: ${seen} -> ${ctx.records.length}`);
  assert.ok(ctx.records.length < records.length);
  ctx.block = undefined;
  release();
  await waitFor(() => ctx.records.length === records.length, 'all records after release', 10_000);
  assert.equal(ctx.records.map((r) => r.uuid), records.map((r) => r.uuid));
});

test('stop() half-closes connections and delivers what they still send', async () => {
  const { input, ctx, port } = await start();
  const s = await connect(port);
  const r1 = makeRecord();
  s.write(frameOctetCounted(encodeRecord(r1)));
  await waitFor(() => ctx.records.length === 1, 'first record');
  const r2 = makeRecord();
  s.on('end', () => s.end(frameOctetCounted(encodeRecord(r2)))); // a relay flushing on FIN
  await input.stop();
  running.length = 0;
  assert.equal(ctx.records.map((r) => r.uuid), [r1.uuid, r2.uuid]);
});

test('listen errors name the input and address', async () => {
  const { port } = await start();
  try {
    await startInput({ listen: `127.0.0.1:${port}` }, new FakeContext('second'));
    assert.unreachable('should not listen twice');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'OGRT_ERR_INPUT_LISTEN');
    assert.match((err as Error).message, `input second cannot listen on tcp 127.0.0.1:${port}`);
  }
});

test.run();
