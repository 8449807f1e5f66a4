// Outputs that take JSON (batchFormat: 'json'): their memory buffer holds
// each record's JSON (record-json.ts), send() gets it as batch.json, and
// batch.records is built from it on demand. Retries, partial results, dead
// letters and shutdown must work on those entries exactly as on records.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fakeSetup, readDeadLetters, type TestServer } from '../helpers/server.ts';
import { makeRecords } from '../helpers/records.ts';
import { waitFor } from '../helpers/wait.ts';
import { hostileRecord, plainRecord } from '../plugins/output-file/records.ts';
import { encodeRecords, isEncoded, recordToJson, recordsOf } from '../../src/core/record-json.ts';
import type { Batch, SendResult } from '../../src/core/plugin-api.ts';
import type { OgrtRecord } from '../../src/core/record.ts';

const INPUT = '[inputs.in]\ntype = "fake-in"\n';
const OUT = '[outputs.out]\ntype = "fake-out"\nbatch = { timeout_ms = 5 }\nretry = { initial_backoff_ms = 2, max_backoff_ms = 5 }\n';

let running: TestServer | undefined;
test.after.each(async () => {
  await running?.close();
  running = undefined;
});

const text = (j: Uint8Array): string => Buffer.from(j).toString('utf8');

test('encodeRecords: each record as its JSON bytes, decoded back exactly (lone surrogates, controls, emoji)', () => {
  const records = [plainRecord(), hostileRecord(), plainRecord({ kind: 'dlopen', shared_objects: [], loaded_modules: [], environment_variables: [] })];
  const entries = encodeRecords(records);
  assert.ok(entries.every(isEncoded));
  assert.equal(entries.map((e) => text(e as Uint8Array)), records.map(recordToJson));
  assert.equal(recordsOf(entries), records);
  assert.is(recordsOf(entries)[1].hostname, 'caf\udce9-node', 'the non-UTF-8 byte survives');
});

test('encodeRecords: many multi-byte characters (the buffer is replaced, earlier entries stay valid)', () => {
  const records = Array.from({ length: 50 }, (_, i) => plainRecord({ cmdline: `${i} ` + '\u6f22'.repeat(2000) }));
  const entries = encodeRecords(records);
  assert.equal(entries.map((e) => text(e as Uint8Array)), records.map(recordToJson));
});

test('encodeRecords: a record outside the schema stays an object, the others are encoded', () => {
  const bad = plainRecord({ pid: Number.NaN });
  const entries = encodeRecords([plainRecord(), bad, plainRecord()]);
  assert.equal(entries.map(isEncoded), [true, false, true]);
  assert.is(entries[1], bad);
});

test('an output that takes JSON gets batch.json; batch.records is built from it, equal to what was emitted', async () => {
  const f = fakeSetup({ batchFormat: 'json' });
  const seen: { json: string[] | undefined; records: OgrtRecord[] }[] = [];
  f.out('out').send = (batch: Batch) => {
    seen.push({ json: batch.json?.map(text), records: [...batch.records] });
    return { status: 'ok' };
  };
  running = await f.start(INPUT + OUT);
  const records = [...makeRecords(3), hostileRecord()];
  f.in('in').emit(records);
  await waitFor(() => f.out('out').stored.length === 4, 2000, 'stored');
  assert.is(seen.length, 1);
  assert.equal(seen[0].json, records.map(recordToJson));
  assert.equal(seen[0].records, records);
  assert.ok(seen[0].records.every((r, i) => r !== records[i]), 'the buffer held JSON, not the emitted objects');
});

test('an output that takes records is not affected by one that takes JSON', async () => {
  const f = fakeSetup();
  let sawJson = false;
  f.out('out').send = (batch: Batch) => {
    sawJson ||= batch.json !== undefined;
    return { status: 'ok' };
  };
  running = await f.start(INPUT + OUT);
  const records = makeRecords(3);
  f.in('in').emit(records);
  await waitFor(() => f.out('out').stored.length === 3, 2000, 'stored');
  assert.is(sawJson, false);
});

test('partial results on JSON entries: the listed ones are retried as JSON, the rejected dead-lettered as records', async () => {
  const f = fakeSetup({ batchFormat: 'json' });
  const results: SendResult[] = [{ status: 'partial', retry: [1, 3], rejected: [{ index: 4, reason: 'mapping conflict' }] }];
  const jsonSeen: (string[] | undefined)[] = [];
  f.out('out').send = (batch: Batch) => {
    jsonSeen.push(batch.json?.map(text));
    return results.shift() ?? { status: 'ok' };
  };
  running = await f.start(INPUT + OUT);
  const records = [...makeRecords(4), hostileRecord()];
  f.in('in').emit(records, 500);
  await waitFor(() => jsonSeen.length === 2 && running!.server.metrics.value('ogrt_buffer_events') === 0, 2000, 'retried and settled');
  assert.equal(f.out('out').batches[1], { uuids: [records[1].uuid, records[3].uuid], attempt: 2, bytes: 200 });
  assert.equal(jsonSeen[1], [recordToJson(records[1]), recordToJson(records[3])]);
  const dl = await readDeadLetters(running);
  assert.is(dl.length, 1);
  assert.is(dl[0].reason, 'mapping conflict');
  assert.is(dl[0].output, 'out');
  assert.equal(dl[0].record, records[4], 'the dead letter holds the record (its non-UTF-8 byte too)');
});

test('a record that cannot be encoded reaches the JSON output as a record (no batch.json) and is refused there', async () => {
  const f = fakeSetup({ batchFormat: 'json' });
  const seen: { json: boolean; pids: number[] }[] = [];
  f.out('out').send = (batch: Batch) => {
    seen.push({ json: batch.json !== undefined, pids: batch.records.map((r) => r.pid) });
    const bad = batch.records.findIndex((r) => Number.isNaN(r.pid));
    return bad === -1 ? { status: 'ok' } : { status: 'partial', rejected: [{ index: bad, reason: 'pid is NaN' }] };
  };
  running = await f.start(INPUT + OUT);
  const records = [plainRecord({ pid: 1 }), plainRecord({ pid: Number.NaN }), plainRecord({ pid: 3 })];
  f.in('in').emit(records);
  await waitFor(() => running!.server.metrics.value('ogrt_component_dead_lettered_events_total', { component_id: 'out', reason: 'rejected' }) === 1, 2000, 'dead-lettered');
  assert.equal(seen, [{ json: false, pids: [1, Number.NaN, 3] }]);
  assert.equal(f.out('out').stored.length, 0, 'partial: not counted as stored by the fake');
  assert.is(running.server.metrics.value('ogrt_component_sent_events_total', { component_id: 'out' }), 2);
});

test('at the shutdown deadline, JSON entries still held are written to the dead-letter file as records', async () => {
  const f = fakeSetup({ batchFormat: 'json' });
  f.out('out').send = () => new Promise<SendResult>(() => undefined); // never answers
  running = await f.start(`[server]\nshutdown_timeout_ms = 200\n${INPUT}${OUT}`);
  const records = [...makeRecords(5), hostileRecord()];
  f.in('in').emit(records);
  await waitFor(() => f.out('out').batches.length === 1, 2000, 'in flight');
  const report = await running.server.stop('test');
  assert.equal(report.unflushed, { out: 6 });
  const dl = await readDeadLetters(running);
  assert.equal(dl.map((l) => l.record), records);
  assert.ok(dl.every((l) => l.reason === 'shutdown_timeout' && l.output === 'out'));
});

test.run();
