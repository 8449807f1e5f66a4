/**
 * The whole pipeline (src/core/server.ts) with a test input and the real
 * elasticsearch output against the fake server: a store outage ends with
 * every record stored exactly once; a slow store fills the output's buffer
 * and the input's emit() waits (backpressure) instead of memory growing; a
 * document the store refuses for good ends in the core's dead-letter file;
 * no _bulk carries more than batch.max_events documents.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import esPlugin from '../../../plugins/output-elasticsearch/index.ts';
import { FakeElasticsearch } from '../../fakes/elasticsearch-server.ts';
import { fakeInputPlugin } from '../../helpers/fake-plugins.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { settle, track } from '../../helpers/wait.ts';
import { makeRecords, waitFor } from './helpers.ts';
import type { OgrtRecord } from '../../../src/core/plugin-api.ts';

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
batch = { max_events = ${MAX_EVENTS}, timeout_ms = 10 }
retry = { initial_backoff_ms = 20, max_backoff_ms = 100 }
${extra}
`;
}

const MAX_EVENTS = 25;

function assertExactlyOnce(store: FakeElasticsearch, uuids: string[]): void {
  const ids = store.documents().map((d) => d.id);
  assert.is(ids.length, new Set(ids).size, 'no duplicates');
  assert.equal([...ids].sort(), [...uuids].sort());
}

/** Every _bulk request holds at most batch.max_events documents (two NDJSON lines each). */
function assertBulkSizes(store: FakeElasticsearch): void {
  const sizes = store.requests.filter((r) => r.path === '/_bulk').map((r) => r.body!.split('\n').filter((l) => l !== '').length / 2);
  assert.ok(sizes.length > 0, 'some _bulk requests');
  for (const n of sizes) assert.ok(n >= 1 && n <= MAX_EVENTS, `a _bulk of ${n} documents (batch.max_events = ${MAX_EVENTS}): ${sizes.join(',')}`);
}

function deadLetters(file: string): { time: string; output: string; reason: string; record: OgrtRecord }[] {
  const text = readFileSync(file, 'utf8');
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
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
  assertBulkSizes(es);
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
  assertBulkSizes(es);
});

test('a document the store refuses for good (mapping error) goes to the dead-letter file, counted once; the rest is stored', async () => {
  es = await FakeElasticsearch.start();
  const input = fakeInputPlugin();
  running = await startTestServer(config(es.url), { plugins: [input.plugin, esPlugin] });
  const records = makeRecords(60);
  // A real conflict with the installed template: pid is a long.
  const bad = records[37];
  (bad as { pid: unknown }).pid = 'not-a-number';
  for (let i = 0; i < records.length; i += 20) await input.get('in').emit(records.slice(i, i + 20));
  const m = running.server.metrics;
  const es0 = { component_id: 'es' };
  await waitFor(
    () => m.value('ogrt_component_sent_events_total', es0) === records.length - 1 && m.value('ogrt_component_dead_lettered_events_total', es0) === 1,
    10_000,
    'all records stored or dead-lettered',
  );
  const file = path.join(running.dir, 'data', 'dead-letter', 'es.jsonl');
  assert.is(running.config.outputs[0].settings.dead_letter_path, file, 'the documented default: <data_dir>/dead-letter/<output>.jsonl');
  const lines = deadLetters(file);
  assert.is(lines.length, 1);
  assert.is(lines[0].output, 'es');
  assert.is(lines[0].record.uuid, bad.uuid);
  assert.equal(lines[0].record, JSON.parse(JSON.stringify(bad)));
  assert.match(lines[0].reason, /^400 document_parsing_exception: .*failed to parse field \[pid\] of type \[long\]/);
  assert.is(m.value('ogrt_component_dead_lettered_events_total', { ...es0, reason: 'rejected' }), 1);
  assert.is(m.value('ogrt_component_dead_lettered_events_total', { ...es0, reason: 'max_attempts' }), 0);
  assert.is(running.logs.withCode('OGRT_ERR_OUTPUT_REJECTED').length, 1, 'one warning for the one rejected document');
  await running.server.stop('test');
  assertExactlyOnce(es, records.filter((r) => r !== bad).map((r) => r.uuid));
  assertBulkSizes(es);
});

test.run();
