import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fakeSetup, type TestServer } from '../helpers/server.ts';
import { makeRecords } from '../helpers/records.ts';
import { deferred, waitFor } from '../helpers/wait.ts';

const INPUT = '[inputs.in]\ntype = "fake-in"\n';

let running: TestServer | undefined;
test.after.each(async () => {
  await running?.close();
  running = undefined;
});

test('batches are cut by max_events; the rest waits for the timeout or the drain', async () => {
  const f = fakeSetup();
  running = await f.start(`${INPUT}[outputs.out]\ntype = "fake-out"\nbatch = { max_events = 5, timeout_ms = 60000 }\n`);
  const records = makeRecords(12);
  assert.is(f.in('in').emit(records), undefined);
  await waitFor(() => f.out('out').batches.length === 2, 2000, 'two full batches');
  assert.equal(f.out('out').batches.map((b) => b.uuids.length), [5, 5]);
  const report = await running.server.stop('test');
  assert.equal(f.out('out').batches.map((b) => b.uuids.length), [5, 5, 2], 'the drain sends the partial batch');
  assert.equal(f.out('out').stored, records.map((r) => r.uuid), 'in order');
  assert.equal(report.unflushed, { out: 0 });
});

test('batches are cut by max_bytes (at least one record per batch)', async () => {
  const f = fakeSetup();
  running = await f.start(`${INPUT}[outputs.out]\ntype = "fake-out"\nbatch = { max_bytes = 250, timeout_ms = 60000 }\n`);
  f.in('in').emit(makeRecords(10), 1000);
  f.in('in').emit(makeRecords(1), 400);
  f.in('in').emit(makeRecords(1), 100);
  await waitFor(() => f.out('out').batches.length === 6, 2000, 'six full batches');
  assert.equal(
    f.out('out').batches.map((b) => [b.uuids.length, b.bytes]),
    [[2, 200], [2, 200], [2, 200], [2, 200], [2, 200], [1, 400]],
    'an oversized record goes alone, at once',
  );
  await running.server.stop('test');
  assert.equal(f.out('out').batches.slice(6).map((b) => [b.uuids.length, b.bytes]), [[1, 100]], 'the last one waited for the drain');
});

for (const [what, buffer] of [
  ['max_events', 'buffer = { max_events = 4 }'],
  ['max_bytes', 'buffer = { max_bytes = 400 }'],
] as const) {
  test(`a buffer smaller than a batch (${what}): what it holds is sent at once, not after timeout_ms`, async () => {
    const f = fakeSetup();
    running = await f.start(`${INPUT}[outputs.out]\ntype = "fake-out"\nbatch = { max_events = 500, timeout_ms = 60000 }\n${buffer}\n`);
    const records = makeRecords(10);
    const accepted = f.in('in').emit(records, 1000); // 100 bytes each: 4 fit
    assert.instance(accepted, Promise, 'the input is held back (block)');
    await waitFor(() => f.out('out').stored.length === 8, 2000, 'two full buffers sent without waiting for the batch timeout');
    await accepted;
    // The last two fit with room to spare: a partial batch like any other, sent by the drain.
    const report = await running!.server.stop('test');
    assert.equal(f.out('out').batches.map((b) => b.uuids.length), [4, 4, 2]);
    assert.equal(f.out('out').stored, records.map((r) => r.uuid), 'in order');
    assert.equal(report.unflushed, { out: 0 });
  });
}

test('a partial batch is sent timeout_ms after its first record', async () => {
  const f = fakeSetup();
  running = await f.start(`${INPUT}[outputs.out]\ntype = "fake-out"\nbatch = { timeout_ms = 40 }\n`);
  const sentAt = deferred<number>();
  f.out('out').send = () => {
    sentAt.resolve(performance.now());
    return { status: 'ok' };
  };
  const emittedAt = performance.now();
  f.in('in').emit(makeRecords(3));
  const elapsed = (await sentAt.promise) - emittedAt;
  assert.ok(elapsed >= 35, `sent after ${elapsed} ms`);
  assert.equal(f.out('out').batches.map((b) => b.uuids.length), [3]);
});

test('fan-out: every output gets every record, in order, sharing uuids', async () => {
  const f = fakeSetup();
  running = await f.start(`${INPUT}[outputs.a]\ntype = "fake-out"\nbatch = { max_events = 3, timeout_ms = 5 }\n[outputs.b]\ntype = "fake-out"\nbatch = { max_events = 7, timeout_ms = 5 }\n`);
  const records = makeRecords(20);
  f.in('in').emit(records.slice(0, 11));
  f.in('in').emit(records.slice(11));
  const uuids = records.map((r) => r.uuid);
  await waitFor(() => f.out('a').stored.length === 20 && f.out('b').stored.length === 20, 2000, 'both outputs stored everything');
  assert.equal(f.out('a').stored, uuids);
  assert.equal(f.out('b').stored, uuids);
  const m = running.server.metrics;
  assert.is(m.value('ogrt_component_sent_events_total', { component_kind: 'input', component_id: 'in' }), 20);
  assert.is(m.value('ogrt_component_sent_event_bytes_total', { component_kind: 'input' }), 2000);
  for (const id of ['a', 'b']) {
    assert.is(m.value('ogrt_component_received_events_total', { component_id: id }), 20);
    assert.is(m.value('ogrt_component_sent_events_total', { component_id: id, component_kind: 'output' }), 20);
    assert.is(m.value('ogrt_buffer_events', { component_id: id }), 0);
    assert.is(m.value('ogrt_buffer_bytes', { component_id: id }), 0);
  }
  const windows = m.snapshot().windows.filter((w) => w.name === 'ogrt_component_batch_duration_seconds');
  assert.equal(windows.map((w) => [w.labels.component_id, w.count]), [['a', f.out('a').batches.length], ['b', f.out('b').batches.length]]);
});

test('concurrency bounds the batches in flight', async () => {
  const f = fakeSetup();
  running = await f.start(`${INPUT}[outputs.out]\ntype = "fake-out"\nconcurrency = 3\nbatch = { max_events = 1 }\n`);
  const gate = deferred();
  f.out('out').send = async () => {
    await gate.promise;
    return { status: 'ok' };
  };
  f.in('in').emit(makeRecords(6));
  await waitFor(() => f.out('out').inFlight === 3, 2000, 'three sends in flight');
  assert.is(f.out('out').batches.length, 3, 'no fourth batch while three are in flight');
  gate.resolve();
  await waitFor(() => f.out('out').stored.length === 6, 2000, 'all stored');
  assert.is(f.out('out').maxInFlight, 3);
});

test.run();
