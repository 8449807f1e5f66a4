import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fakeSetup, readDeadLetters, type TestServer } from '../helpers/server.ts';
import { makeRecords } from '../helpers/records.ts';
import { deferred, waitFor } from '../helpers/wait.ts';
import { backoffDelay } from '../../src/core/retry.ts';
import type { SendResult } from '../../src/core/plugin-api.ts';
import { LOG_BURST } from '../../src/core/log-limiter.ts';

const INPUT = '[inputs.in]\ntype = "fake-in"\n';
/** Fast retries: backoff of at most a few ms. */
const OUT = '[outputs.out]\ntype = "fake-out"\nbatch = { timeout_ms = 5 }\nretry = { initial_backoff_ms = 2, max_backoff_ms = 5 }\n';

let running: TestServer | undefined;
test.after.each(async () => {
  await running?.close();
  running = undefined;
});

function script(results: readonly (SendResult | unknown)[]): () => unknown {
  let i = 0;
  return () => (i < results.length ? results[i++] : { status: 'ok' });
}

test('backoff: full jitter below an exponential ceiling; retryAfterMs is a floor', () => {
  const retry = { initial_backoff_ms: 100, max_backoff_ms: 1000, max_attempts: 0 };
  assert.is(backoffDelay(1, retry, undefined, () => 0.999), 99);
  assert.is(backoffDelay(2, retry, undefined, () => 0.999), 199);
  assert.is(backoffDelay(3, retry, undefined, () => 0.5), 200);
  assert.is(backoffDelay(30, retry, undefined, () => 0.999), 999, 'capped by max_backoff_ms');
  assert.is(backoffDelay(1, retry, undefined, () => 0), 0);
  assert.is(backoffDelay(1, retry, 5000, () => 0.5), 5000);
  assert.is(backoffDelay(3, retry, 10, () => 0.5), 200);
});

test('retry resends the same records with attempt + 1', async () => {
  const f = fakeSetup();
  f.out('out').send = script([{ status: 'retry', reason: 'busy' }, { status: 'retry', reason: 'still busy' }]);
  running = await f.start(INPUT + OUT);
  const records = makeRecords(4);
  f.in('in').emit(records);
  await waitFor(() => f.out('out').stored.length === 4, 2000, 'stored');
  const uuids = records.map((r) => r.uuid);
  assert.equal(f.out('out').batches, [
    { uuids, attempt: 1, bytes: 400 },
    { uuids, attempt: 2, bytes: 400 },
    { uuids, attempt: 3, bytes: 400 },
  ]);
  const m = running.server.metrics;
  assert.is(m.value('ogrt_component_retries_total', { component_id: 'out' }), 2);
  assert.is(m.value('ogrt_component_retried_events_total', { component_id: 'out' }), 8);
  assert.is(m.value('ogrt_component_sent_events_total', { component_id: 'out' }), 4);
  const logged = running.logs.withCode('OGRT_ERR_OUTPUT_RETRY');
  assert.is(logged.length, 2);
  assert.is(logged[0].component, 'output:fake-out:out');
  assert.match(String(logged[1].msg), 'attempt 2 failed): still busy');
});

test('retryAfterMs delays the next attempt at least that long', async () => {
  const f = fakeSetup();
  const calls: number[] = [];
  f.out('out').send = () => {
    calls.push(performance.now());
    return calls.length === 1 ? { status: 'retry', reason: '429', retryAfterMs: 80 } : { status: 'ok' };
  };
  running = await f.start(INPUT + OUT);
  f.in('in').emit(makeRecords(1));
  await waitFor(() => calls.length === 2, 2000, 'second attempt');
  assert.ok(calls[1] - calls[0] >= 79, `waited ${calls[1] - calls[0]} ms`);
});

test('partial: only the listed records are retried, rejected ones are dead-lettered, the rest acknowledged', async () => {
  const f = fakeSetup();
  f.out('out').send = script([{ status: 'partial', retry: [1, 3], rejected: [{ index: 4, reason: 'mapping conflict' }] }]);
  running = await f.start(INPUT + OUT);
  const records = makeRecords(5);
  f.in('in').emit(records, 500);
  await waitFor(() => f.out('out').batches.length === 2 && running!.server.metrics.value('ogrt_buffer_events') === 0, 2000, 'retried and settled');
  assert.equal(f.out('out').batches[1], { uuids: [records[1].uuid, records[3].uuid], attempt: 2, bytes: 200 });
  const dl = await readDeadLetters(running);
  assert.is(dl.length, 1);
  assert.is(dl[0].reason, 'mapping conflict');
  assert.equal(dl[0].record, records[4]);
  const m = running.server.metrics;
  assert.is(m.value('ogrt_component_sent_events_total', { component_id: 'out' }), 4);
  assert.is(m.value('ogrt_component_dead_lettered_events_total', { component_id: 'out', reason: 'rejected' }), 1);
});

test('reject: every record is written to the dead-letter file as {time, output, reason, record}', async () => {
  const f = fakeSetup();
  f.out('out').send = script([{ status: 'reject', reason: 'HTTP 400: bad document' }]);
  running = await f.start(INPUT + OUT);
  const records = makeRecords(3);
  f.in('in').emit(records);
  await waitFor(() => running!.server.metrics.value('ogrt_component_dead_lettered_events_total') === 3, 2000, 'dead-lettered');
  const dl = await readDeadLetters(running);
  assert.equal(dl.map((l) => Object.keys(l)), [['time', 'output', 'reason', 'record'], ['time', 'output', 'reason', 'record'], ['time', 'output', 'reason', 'record']]);
  assert.equal(dl.map((l) => l.record), records);
  for (const l of dl) {
    assert.is(l.output, 'out');
    assert.is(l.reason, 'HTTP 400: bad document');
    assert.match(String(l.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  }
  assert.is(f.out('out').batches.length, 1, 'a rejected batch is not retried');
  assert.is(running.server.metrics.value('ogrt_buffer_events'), 0);
  const logged = running.logs.withCode('OGRT_ERR_OUTPUT_REJECTED');
  assert.is(logged.length, 1);
  assert.match(String(logged[0].msg), '3 record(s) dead-lettered to');
});

test('a store that rejects every batch: every record dead-lettered and counted, the warning logged LOG_BURST times per interval, the rest summarized', async () => {
  const f = fakeSetup();
  f.out('out').send = () => ({ status: 'reject', reason: 'HTTP 400: Incorrect index' });
  running = await f.start(INPUT + OUT.replace('batch = { timeout_ms = 5 }', 'batch = { max_events = 1, timeout_ms = 5 }'));
  const records = makeRecords(LOG_BURST + 15);
  f.in('in').emit(records);
  const m = running.server.metrics;
  await waitFor(() => m.value('ogrt_component_dead_lettered_events_total', { component_id: 'out', reason: 'rejected' }) === records.length, 2000, 'all dead-lettered');
  assert.is(f.out('out').batches.length, records.length, 'one batch per record');
  assert.equal((await readDeadLetters(running)).map((l) => (l.record as { uuid: string }).uuid), records.map((r) => r.uuid));
  const logged = running.logs.withCode('OGRT_ERR_OUTPUT_REJECTED');
  assert.is(logged.length, LOG_BURST);
  assert.ok(logged.every((l) => l.component === 'output:fake-out:out' && l.kind === 'rejected' && l.suppressed === undefined));
  await running.server.stop('test');
  const after = running.logs.withCode('OGRT_ERR_OUTPUT_REJECTED');
  assert.is(after.length, LOG_BURST + 1, 'one summary line at stop');
  assert.equal([after[LOG_BURST].component, after[LOG_BURST].kind, after[LOG_BURST].suppressed, after[LOG_BURST].level], ['output:fake-out:out', 'rejected', 15, 'warn']);
  assert.is(after[LOG_BURST].msg, 'suppressed 15 similar messages (rejected)');
});

test('a store that answers "retry" to every first attempt: every batch retried and counted, the retry warning rate-limited', async () => {
  const f = fakeSetup();
  f.out('out').send = (batch) => (batch.attempt === 1 ? { status: 'retry', reason: 'HTTP 429' } : { status: 'ok' });
  running = await f.start(INPUT + OUT.replace('batch = { timeout_ms = 5 }', 'batch = { max_events = 1, timeout_ms = 5 }'));
  const records = makeRecords(LOG_BURST + 7);
  f.in('in').emit(records);
  await waitFor(() => f.out('out').stored.length === records.length, 3000, 'all stored');
  assert.is(running.server.metrics.value('ogrt_component_retries_total', { component_id: 'out' }), records.length);
  assert.is(running.logs.withCode('OGRT_ERR_OUTPUT_RETRY').length, LOG_BURST);
  await running.server.stop('test');
  const summary = running.logs.withCode('OGRT_ERR_OUTPUT_RETRY').filter((l) => l.suppressed !== undefined);
  assert.equal(summary.map((l) => [l.component, l.kind, l.suppressed]), [['output:fake-out:out', 'retry', 7]]);
});

test('max_attempts exceeded: dead-lettered after that many sends', async () => {
  const f = fakeSetup();
  f.out('out').send = () => ({ status: 'retry', reason: 'down' });
  running = await f.start(INPUT + OUT.replace('retry = {', 'retry = { max_attempts = 3,'));
  const records = makeRecords(2);
  f.in('in').emit(records);
  await waitFor(() => running!.server.metrics.value('ogrt_component_dead_lettered_events_total', { reason: 'max_attempts' }) === 2, 2000, 'gave up');
  assert.equal(f.out('out').batches.map((b) => b.attempt), [1, 2, 3]);
  const dl = await readDeadLetters(running);
  assert.equal(dl.map((l) => (l.record as { uuid: string }).uuid), records.map((r) => r.uuid));
  assert.is(dl[0].reason, 'gave up after 3 attempt(s): down');
});

test('a send() that throws is counted, logged with the plugin name, and retried', async () => {
  const f = fakeSetup();
  let calls = 0;
  f.out('out').send = () => {
    if (++calls === 1) throw new Error('socket hang up');
    return { status: 'ok' };
  };
  running = await f.start(INPUT + OUT);
  const records = makeRecords(2);
  f.in('in').emit(records);
  await waitFor(() => f.out('out').stored.length === 2, 2000, 'stored');
  assert.equal(f.out('out').batches.map((b) => b.attempt), [1, 2]);
  assert.is(running.server.metrics.value('ogrt_component_errors_total', { component_id: 'out', error_type: 'send_failed', stage: 'sending' }), 1);
  const logged = running.logs.withCode('OGRT_ERR_OUTPUT_SEND');
  assert.is(logged.length, 1);
  assert.is(logged[0].component, 'output:fake-out:out');
  assert.match(String(logged[0].msg), 'output out failed to send a batch: socket hang up');
});

test('a send() that returns garbage is a contract violation, counted and retried', async () => {
  const f = fakeSetup();
  f.out('out').send = script([{ status: 'maybe' }, 42, undefined, { status: 'partial', retry: [7] }, { status: 'partial', retry: [0, 0] }]);
  running = await f.start(INPUT + OUT);
  f.in('in').emit(makeRecords(2));
  await waitFor(() => f.out('out').stored.length === 2, 2000, 'stored');
  assert.equal(f.out('out').batches.map((b) => b.attempt), [1, 2, 3, 4, 5, 6]);
  assert.is(running.server.metrics.value('ogrt_component_errors_total', { error_type: 'invalid_result' }), 5);
  const logged = running.logs.withCode('OGRT_ERR_PLUGIN_CONTRACT');
  assert.is(logged.length, 5);
  assert.match(String(logged[0].msg), 'plugin output:fake-out:out broke its contract: send() resolved to an object with status "maybe"');
  assert.match(String(logged[3].msg), 'bad or repeated retry index 7');
  assert.match(String(logged[4].msg), 'bad or repeated retry index 0');
});

test('a send() that hangs past send_timeout_ms is retried; its late result is ignored', async () => {
  const f = fakeSetup();
  const late = deferred<SendResult>();
  let calls = 0;
  f.out('out').send = () => (++calls === 1 ? late.promise : { status: 'ok' });
  running = await f.start(`${INPUT + OUT}send_timeout_ms = 50\n`);
  const records = makeRecords(3);
  f.in('in').emit(records);
  await waitFor(() => f.out('out').stored.length === 3, 2000, 'stored by the second attempt');
  assert.equal(f.out('out').batches.map((b) => b.attempt), [1, 2]);
  const m = running.server.metrics;
  assert.is(m.value('ogrt_component_errors_total', { error_type: 'send_timeout' }), 1);
  assert.is(running.logs.withCode('OGRT_ERR_OUTPUT_SEND_TIMEOUT').length, 1);
  late.resolve({ status: 'reject', reason: 'too late' });
  await running.server.stop('test');
  assert.is(m.value('ogrt_component_dead_lettered_events_total'), 0, 'the late reject was ignored');
  assert.is(m.value('ogrt_component_sent_events_total', { component_id: 'out' }), 3);
  assert.equal(await readDeadLetters(running), []);
});

test('a dead-letter file that cannot be written keeps the records and is retried', async () => {
  const f = fakeSetup();
  f.out('out').send = () => ({ status: 'reject', reason: 'never' });
  running = await f.start(`${INPUT + OUT}dead_letter_path = "blocker/out.jsonl"\n`, { files: { blocker: 'a file, not a directory' } });
  const records = makeRecords(2);
  f.in('in').emit(records);
  await waitFor(() => running!.logs.withCode('OGRT_ERR_DEAD_LETTER_WRITE').length >= 2, 2000, 'failed writes');
  assert.is(running.server.metrics.value('ogrt_buffer_events', { component_id: 'out' }), 2, 'still held');
  assert.is(running.server.metrics.value('ogrt_component_dead_lettered_events_total'), 0);
  await rm(path.join(running.dir, 'blocker'));
  await waitFor(() => running!.server.metrics.value('ogrt_component_dead_lettered_events_total') === 2, 2000, 'written at last');
  const text = await readFile(path.join(running.dir, 'blocker/out.jsonl'), 'utf8');
  assert.equal(text.trim().split('\n').map((l) => (JSON.parse(l) as { record: { uuid: string } }).record.uuid), records.map((r) => r.uuid));
  assert.is(running.server.metrics.value('ogrt_buffer_events', { component_id: 'out' }), 0);
  assert.ok(running.server.metrics.value('ogrt_component_errors_total', { error_type: 'dead_letter_write_failed' }) >= 2);
});

test.run();
