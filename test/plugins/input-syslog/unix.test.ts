import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeRecord } from '../../../src/core/wire.ts';
import type { SyslogInput } from '../../../plugins/input-syslog/index.ts';
import { sendDatagrams } from '../../helpers/unix-dgram.ts';
import { FakeContext, makeRecord, makeSplitRecord, startInput, waitFor, withoutReceive } from './harness.ts';

const running: SyslogInput[] = [];
test.after.each(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

async function startUnix(opts: Record<string, unknown> = {}, ctx = new FakeContext()) {
  const { input } = await startInput({ protocols: [], socket: 'ogrt.sock', ...opts }, ctx);
  running.push(input);
  return { input, ctx, socketPath: path.join(ctx.configDir, 'ogrt.sock') };
}

test('unix datagram socket: path relative to ogrt.conf, mode 0666, records in order, split ones reassembled', async () => {
  const { input, ctx, socketPath } = await startUnix();
  assert.equal(input.addresses(), [`unix://${socketPath}`]);
  assert.is(statSync(socketPath).mode & 0o777, 0o666);
  assert.ok(statSync(socketPath).isSocket());
  const records = [makeRecord(), makeSplitRecord(2), makeRecord()];
  await sendDatagrams(socketPath, records.flatMap((r) => encodeRecord(r)));
  await waitFor(() => ctx.records.length === 3, '3 records');
  assert.equal(ctx.records.map(withoutReceive), records);
  assert.is(ctx.records[0].receive!.peer, socketPath);
});

test('socket_mode is applied; stop() removes the socket', async () => {
  const { input, socketPath } = await startUnix({ socket_mode: '0620' });
  assert.is(statSync(socketPath).mode & 0o777, 0o620);
  await input.stop();
  running.length = 0;
  assert.not.ok(existsSync(socketPath));
});

test('a datagram above max_frame_size is counted; the socket lives on', async () => {
  const { ctx, socketPath } = await startUnix({ max_frame_size: 4096 });
  const small = makeRecord();
  await sendDatagrams(socketPath, [encodeRecord(makeSplitRecord(2))[0], ...encodeRecord(small)]);
  await waitFor(() => ctx.records.length === 1, 'the small record');
  assert.is(ctx.records[0].uuid, small.uuid);
  assert.is(ctx.counter('component_errors_total', { error_type: 'frame_too_large', stage: 'receiving' }), 1);
});

test('backpressure holds the sender back through the helper; nothing is lost', async () => {
  const ctx = new FakeContext();
  let release!: () => void;
  ctx.block = new Promise<void>((r) => (release = r));
  const { socketPath } = await startUnix({}, ctx);
  const records = Array.from({ length: 2000 }, () => makeRecord());
  const sending = sendDatagrams(socketPath, records.flatMap((r) => encodeRecord(r)));
  await waitFor(() => ctx.records.length > 0, 'first emit');
  const seen = ctx.records.length;
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(ctx.records.length - seen < 300, `kept reading while blocked: ${seen} -> ${ctx.records.length}`);
  ctx.block = undefined;
  release();
  assert.is(await sending, records.length);
  await waitFor(() => ctx.records.length === records.length, 'all records', 10_000);
  assert.equal(ctx.records.map((r) => r.uuid), records.map((r) => r.uuid));
});

test('a stale socket file is replaced; a regular file in the way is an error', async () => {
  const first = await startUnix();
  // Simulate a crash: the socket file stays behind.
  const ctx2 = new FakeContext('again', first.ctx.configDir);
  await first.input.stop();
  running.length = 0;
  const { socketPath } = await startUnix({}, ctx2);
  assert.ok(statSync(socketPath).isSocket());
  const file = path.join(ctx2.configDir, 'not-a-socket');
  writeFileSync(file, 'x');
  try {
    await startInput({ protocols: [], socket: file }, new FakeContext('third', ctx2.configDir));
    assert.unreachable('bound over a regular file');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'OGRT_ERR_INPUT_LISTEN');
    assert.match((err as Error).message, 'exists and is not a socket');
  }
});

test('without Python the input fails to start with a clear error', async () => {
  try {
    await startInput({ protocols: [], socket: 's.sock', python: '/nonexistent/python3' });
    assert.unreachable('started without python');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'OGRT_ERR_INPUT_LISTEN');
    assert.match((err as Error).message, 'needs Python 3');
  }
});

test.run();
