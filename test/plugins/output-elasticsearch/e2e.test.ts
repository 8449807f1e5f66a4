/**
 * The whole pipeline (src/core/server.ts) with a test input and the real
 * elasticsearch output against the fake server: a store outage ends with
 * every record stored exactly once; a slow store fills the output's buffer
 * and the input's emit() waits (backpressure) instead of memory growing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import esPlugin from '../../../plugins/output-elasticsearch/index.ts';
import { FakeElasticsearch } from '../../fakes/elasticsearch-server.ts';
import { fakeInputPlugin } from '../../helpers/fake-plugins.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { settle, track } from '../../helpers/wait.ts';
import { makeRecords, waitFor } from './helpers.ts';

let es: FakeElasticsearch | undefined;
let running: TestServer | undefined;

test.after.each(async () => {
  await running?.close();
  running = undefined;
  await es?.stop();
  es = undefined;
});

function config(url: string, extra = ''): string {
  return `
[inputs.in]
type = "fake-in"

[outputs.es]
type = "elasticsearch"
url = "${url}"
batch = { max_events = 25, timeout_ms = 10 }
retry = { initial_backoff_ms = 20, max_backoff_ms = 100 }
${extra}
`;
}

function assertExactlyOnce(store: FakeElasticsearch, uuids: string[]): void {
  const ids = store.documents().map((d) => d.id);
  assert.is(ids.length, new Set(ids).size, 'no duplicates');
  assert.equal([...ids].sort(), [...uuids].sort());
}

test('store down, then up (and one lost answer): every record arrives exactly once', async () => {
  es = await FakeElasticsearch.start();
  await es.stop();
  const input = fakeInputPlugin();
  running = await startTestServer(config(es.url), { plugins: [input.plugin, esPlugin] });
  const records = makeRecords(300);
  for (let i = 0; i < records.length; i += 50) await input.get('in').emit(records.slice(i, i + 50));
  // Several sends failed while the store was down.
  await waitFor(() => running!.logs.withCode('OGRT_ERR_OUTPUT_RETRY').length >= 2, 10_000, 'retries while down');
  assert.is(es.documents().length, 0);
  await es.restart();
  es.loseAnswers(1);
  await waitFor(() => es!.documents().length === records.length && es!.bulkCount > 0, 15_000, 'all records stored');
  // Let the queue settle: nothing more may arrive.
  await running.server.stop('test');
  assertExactlyOnce(es, records.map((r) => r.uuid));
  assert.ok(es.templates.has('ogrt'), 'template installed once the store was up');
});

test('slow store: the buffer fills, emit() waits (backpressure), then everything is stored once', async () => {
  es = await FakeElasticsearch.start();
  const release = es.holdBulk();
  const input = fakeInputPlugin();
  running = await startTestServer(config(es.url, 'buffer = { max_events = 100 }'), { plugins: [input.plugin, esPlugin] });
  const records = makeRecords(400);
  let sent = 0;
  let pending: Promise<void> | undefined;
  while (sent < records.length) {
    const p = input.get('in').emit(records.slice(sent, sent + 20));
    sent += 20;
    if (p !== undefined) {
      pending = p;
      break;
    }
  }
  assert.ok(pending !== undefined, 'emit returned a pending promise: the queue is full');
  assert.ok(sent <= 140, `backpressure after ${sent} records with max_events = 100`);
  await waitFor(() => es!.heldBulkRequests >= 1, 5_000, 'a bulk request waiting in the slow store');
  const waiting = track(pending!);
  await settle();
  // With the only bulk in flight stuck in the store, nothing can free buffer room.
  assert.is(waiting.settled, false, 'the input still waits while the store is stuck');
  release();
  await pending;
  for (; sent < records.length; sent += 20) await input.get('in').emit(records.slice(sent, sent + 20));
  await waitFor(() => es!.documents().length === records.length, 15_000, 'all records stored');
  await running.server.stop('test');
  assertExactlyOnce(es, records.map((r) => r.uuid));
});

test.run();
