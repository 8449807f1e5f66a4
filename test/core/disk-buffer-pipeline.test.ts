import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { fakeSetup, type TestServer } from '../helpers/server.ts';
import { makeRecords } from '../helpers/records.ts';
import { removeDir, tempDir } from '../helpers/temp.ts';
import { waitFor } from '../helpers/wait.ts';
import { readBufferDir } from '../../src/core/disk-buffer-store.ts';

let running: TestServer | undefined;
let spool = '';
test.before.each(async () => {
  spool = await tempDir('ogrt-disk-pipeline-');
});
test.after.each(async () => {
  await running?.close();
  running = undefined;
  await removeDir(spool);
});

function config(extra = ''): string {
  return `
[inputs.in]
type = "fake-in"
[outputs.out]
type = "fake-out"
concurrency = 2
batch = { max_events = 10, timeout_ms = 5 }
retry = { initial_backoff_ms = 5, max_backoff_ms = 20 }
buffer = { type = "disk", path = "${path.join(spool, 'out')}" }
dead_letter_path = "${path.join(spool, 'dead.jsonl')}"
${extra}`;
}

test('concurrency 2 and partial results through a disk buffer: retried records keep their uuids, rejected ones are dead-lettered, all are acknowledged', async () => {
  const f = fakeSetup();
  const stored: string[] = [];
  f.out('out').send = (batch, call) => {
    const partial = call % 3 === 1 && batch.records.length >= 2;
    batch.records.forEach((r, i) => {
      if (!partial || i > 1) stored.push(r.uuid);
    });
    return partial ? { status: 'partial', retry: [0], rejected: [{ index: 1, reason: 'mapping' }] } : { status: 'ok' };
  };
  running = await f.start(config());
  const records = makeRecords(100);
  for (let i = 0; i < 100; i += 20) await f.in('in').emit(records.slice(i, i + 20));
  const m = running.server.metrics;
  await waitFor(() => m.value('ogrt_buffer_events', { component_id: 'out' }) === 0, 5000, 'everything acknowledged');
  const dead = m.value('ogrt_component_dead_lettered_events_total', { component_id: 'out' });
  assert.ok(dead > 0);
  assert.is(new Set(stored).size, stored.length, 'nothing stored twice');
  assert.is(stored.length + dead, 100, 'each record stored or dead-lettered');
  assert.ok(f.out('out').batches.some((b) => b.attempt > 1), 'some records were retried');
  for (const b of f.out('out').batches.filter((x) => x.attempt > 1)) assert.ok(b.uuids.every((u) => records.some((r) => r.uuid === u)), 'retries carry the original uuids');
  await running.close();
  running = undefined;
  const left = await readBufferDir(path.join(spool, 'out'));
  assert.is(left.entries.length, 0, 'nothing left to replay');
  assert.is(left.ackFloor, 100);
});

test('a restart replays what the output had not acknowledged, before new records', async () => {
  const f = fakeSetup();
  f.out('out').send = () => ({ status: 'retry', reason: 'down' });
  running = await f.start(config('[server]\nshutdown_timeout_ms = 5000\n'));
  const old = makeRecords(30);
  await f.in('in').emit(old);
  await waitFor(() => running!.server.metrics.value('ogrt_component_retries_total') > 0);
  await running.close();

  const g = fakeSetup();
  running = await g.start(config());
  const fresh = makeRecords(5);
  await g.in('in').emit(fresh);
  await waitFor(() => g.out('out').stored.length === 35, 5000);
  assert.equal(g.out('out').stored, [...old, ...fresh].map((r) => r.uuid));
});

test.run();
