/**
 * The whole pipeline (src/core/server.ts) with a test input and the real
 * splunk output against the fake HEC, as e2e.test.ts does for
 * Elasticsearch: HEC down at start then up (every record arrives, once:
 * refused connections index nothing); a slow HEC fills the buffer and the
 * input's emit() waits (backpressure); no POST carries more than
 * batch.max_events events; an event HEC refuses for good (code 13 at event N,
 * code 7) lands in the core's dead-letter file and is counted; a refused
 * token heals without losing a record.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import splunkPlugin from '../../../plugins/output-splunk/index.ts';
import { DEFAULT_HEC_TOKEN, FakeHec } from '../../fakes/splunk-hec-server.ts';
import { fakeInputPlugin } from '../../helpers/fake-plugins.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { settle, track } from '../../helpers/wait.ts';
import { makeRecords, waitFor } from '../output-elasticsearch/helpers.ts';
import type { OgrtRecord } from '../../../src/core/plugin-api.ts';

const ENV = 'OGRT_TEST_E2E_HEC_TOKEN';
const MAX_EVENTS = 25;
let hec: FakeHec | undefined;
let running: TestServer | undefined;

test.before.each(() => {
  process.env[ENV] = DEFAULT_HEC_TOKEN;
});

test.after.each(async () => {
  await running?.close();
  running = undefined;
  await hec?.stop();
  hec = undefined;
  delete process.env[ENV];
});

function output(id: string, url: string, extra = ''): string {
  return `
[outputs.${id}]
type = "splunk"
url = "${url}"
token_env = "${ENV}"
batch = { max_events = ${MAX_EVENTS}, timeout_ms = 10 }
retry = { initial_backoff_ms = 20, max_backoff_ms = 100 }
${extra}
`;
}

function config(url: string, extra = ''): string {
  return `
[inputs.in]
type = "fake-in"
${output('splunk', url, extra)}`;
}

async function emitAll(input: ReturnType<typeof fakeInputPlugin>, records: readonly OgrtRecord[], chunk = 20): Promise<void> {
  for (let i = 0; i < records.length; i += chunk) await input.get('in').emit(records.slice(i, i + chunk));
}

function assertExactlyOnce(store: FakeHec, records: readonly OgrtRecord[]): void {
  const uuids = store.events().map((e) => e.raw.event.uuid as string);
  assert.is(uuids.length, new Set(uuids).size, 'no duplicates');
  assert.equal([...uuids].sort(), records.map((r) => r.uuid).sort());
}

function assertPostSizes(store: FakeHec): void {
  const sizes = store.eventsPerPost();
  assert.ok(sizes.length > 0, 'some event posts');
  for (const n of sizes) assert.ok(n >= 1 && n <= MAX_EVENTS, `a POST of ${n} events (batch.max_events = ${MAX_EVENTS}): ${sizes.join(',')}`);
}

function deadLetters(file: string): { time: string; output: string; reason: string; record: OgrtRecord }[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
}

const metric = (t: TestServer, name: string, labels: Record<string, string>) => t.server.metrics.value(name, labels);

test('HEC down at start, then up: every record arrives exactly once', async () => {
  hec = await FakeHec.start();
  await hec.stop();
  const input = fakeInputPlugin();
  running = await startTestServer(config(hec.url), { plugins: [input.plugin, splunkPlugin] });
  assert.ok(running.logs.matching(/HEC unreachable at start/).length === 1, 'start() reported HEC unreachable and the server started');
  const records = makeRecords(300);
  await emitAll(input, records, 50);
  await waitFor(() => running!.logs.withCode('OGRT_ERR_OUTPUT_RETRY').length >= 2, 10_000, 'retries while down');
  assert.is(hec.events().length, 0);
  await hec.restart();
  await waitFor(() => hec!.events().length === records.length, 15_000, 'all records indexed');
  await running.server.stop('test');
  assertExactlyOnce(hec, records);
  assertPostSizes(hec);
  assert.is(metric(running, 'ogrt_component_sent_events_total', { component_id: 'splunk' }), records.length);
  assert.is(metric(running, 'ogrt_component_dead_lettered_events_total', { component_id: 'splunk' }), 0);
});

test('slow HEC: the buffer fills, emit() waits (backpressure), then every record arrives once', async () => {
  hec = await FakeHec.start();
  const release = hec.holdEvents();
  const input = fakeInputPlugin();
  running = await startTestServer(config(hec.url, 'buffer = { max_events = 100 }'), { plugins: [input.plugin, splunkPlugin] });
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
  await waitFor(() => hec!.heldRequests >= 1, 5_000, 'an event post waiting in the slow HEC');
  const waiting = track(pending!);
  await settle();
  assert.is(waiting.settled, false, 'the input still waits while HEC is stuck');
  assert.is(hec.events().length, 0);
  release();
  await pending;
  await emitAll(input, records.slice(sent));
  await waitFor(() => hec!.events().length === records.length, 15_000, 'all records indexed');
  await running.server.stop('test');
  assertExactlyOnce(hec, records);
  assertPostSizes(hec);
});

test('batching: 200 records emitted at once go out in POSTs of at most batch.max_events events', async () => {
  hec = await FakeHec.start();
  const input = fakeInputPlugin();
  running = await startTestServer(config(hec.url), { plugins: [input.plugin, splunkPlugin] });
  const records = makeRecords(200);
  await input.get('in').emit(records);
  await waitFor(() => hec!.events().length === records.length, 10_000, 'all records indexed');
  await running.server.stop('test');
  assertExactlyOnce(hec, records);
  assertPostSizes(hec);
  assert.ok(hec.eventsPerPost().length >= records.length / MAX_EVENTS, 'one POST per batch, not one per record or one for all');
  assert.is(metric(running, 'ogrt_component_sent_events_total', { component_id: 'splunk' }), records.length);
});

test('code 13 at event N: that event is dead-lettered with HEC\'s reason and counted; the events before and after it arrive once', async () => {
  hec = await FakeHec.start();
  const input = fakeInputPlugin();
  running = await startTestServer(config(hec.url), { plugins: [input.plugin, splunkPlugin] });
  const records = makeRecords(60);
  const bad = records[37];
  hec.badEventWhen = (e) => (e.event?.uuid === bad.uuid ? { text: 'Event field cannot be blank', code: 13 } : undefined);
  await emitAll(input, records);
  const labels = { component_id: 'splunk' };
  await waitFor(
    () => metric(running!, 'ogrt_component_sent_events_total', labels) === records.length - 1 && metric(running!, 'ogrt_component_dead_lettered_events_total', labels) === 1,
    10_000,
    'all records indexed or dead-lettered',
  );
  const file = path.join(running.dir, 'data', 'dead-letter', 'splunk.jsonl');
  assert.is(running.config.outputs[0].settings.dead_letter_path, file);
  const lines = deadLetters(file);
  assert.is(lines.length, 1);
  assert.is(lines[0].output, 'splunk');
  assert.is(lines[0].record.uuid, bad.uuid);
  assert.match(lines[0].reason, /^HEC 400 code 13: Event field cannot be blank/);
  assert.is(metric(running, 'ogrt_component_dead_lettered_events_total', { ...labels, reason: 'rejected' }), 1);
  assert.is(running.logs.withCode('OGRT_ERR_OUTPUT_REJECTED').length, 1);
  await running.server.stop('test');
  assertExactlyOnce(hec, records.filter((r) => r !== bad));
  assertPostSizes(hec);
});

test('code 7 (an index the token may not write): that output dead-letters every record with the reason; another output is unaffected', async () => {
  hec = await FakeHec.start({ indexes: ['main', 'ogrt'] });
  const input = fakeInputPlugin();
  const toml = `${config(hec.url, 'index = "ogrt"')}${output('wrongindex', hec.url, 'index = "secret"')}`;
  running = await startTestServer(toml, { plugins: [input.plugin, splunkPlugin] });
  const records = makeRecords(50);
  await emitAll(input, records);
  await waitFor(() => metric(running!, 'ogrt_component_dead_lettered_events_total', { component_id: 'wrongindex' }) === records.length, 10_000, 'dead-lettered');
  await waitFor(() => metric(running!, 'ogrt_component_sent_events_total', { component_id: 'splunk' }) === records.length, 10_000, 'sent');
  const lines = deadLetters(path.join(running.dir, 'data', 'dead-letter', 'wrongindex.jsonl'));
  assert.equal(lines.map((l) => l.record.uuid).sort(), records.map((r) => r.uuid).sort());
  for (const l of lines) {
    assert.is(l.output, 'wrongindex');
    assert.match(l.reason, /^HEC 400 code 7: Incorrect index/);
  }
  assert.is(metric(running, 'ogrt_component_dead_lettered_events_total', { component_id: 'wrongindex', reason: 'rejected' }), records.length);
  assert.is(metric(running, 'ogrt_component_sent_events_total', { component_id: 'wrongindex' }), 0);
  assert.is(metric(running, 'ogrt_component_errors_total', { component_id: 'wrongindex', error_type: 'incorrect_index' }) > 0, true);
  const indexErrors = running.logs.lines.filter((l) => l.level === 'error' && l.error_type === 'incorrect_index');
  assert.is(indexErrors.length, 1, 'the incorrect index is reported once');
  await running.server.stop('test');
  assertExactlyOnce(hec, records);
});

test('a refused token is retried, reported once, and heals when the token file is fixed: nothing is lost or dead-lettered', async () => {
  hec = await FakeHec.start();
  const input = fakeInputPlugin();
  const wrong = 'ffffffff-0000-4000-8000-00000000dead';
  running = await startTestServer(
    `[inputs.in]\ntype = "fake-in"\n${output('splunk', hec.url).replace(`token_env = "${ENV}"`, 'token_file = "hec.token"')}`,
    { plugins: [input.plugin, splunkPlugin], files: { 'hec.token': `${wrong}\n` } },
  );
  const records = makeRecords(80);
  await emitAll(input, records);
  const labels = { component_id: 'splunk' };
  await waitFor(() => running!.logs.withCode('OGRT_ERR_OUTPUT_RETRY').length >= 3, 10_000, 'retries with the wrong token');
  assert.is(hec.events().length, 0);
  writeFileSync(path.join(running.dir, 'hec.token'), `${DEFAULT_HEC_TOKEN}\n`);
  await waitFor(() => hec!.events().length === records.length, 10_000, 'all records indexed after the fix');
  await running.server.stop('test');
  assertExactlyOnce(hec, records);
  assert.is(metric(running, 'ogrt_component_dead_lettered_events_total', labels), 0);
  assert.ok(metric(running, 'ogrt_component_errors_total', { ...labels, error_type: 'auth' }) >= 3, 'every refusal counted');
  const authErrors = running.logs.lines.filter((l) => l.level === 'error' && l.error_type === 'auth');
  assert.is(authErrors.length, 1, 'reported once while it lasts');
  assert.match(String(authErrors[0].msg), /hec\.token/);
  assert.is(running.logs.matching(/HEC accepts events again/).length, 1, 'and once when it heals');
  const text = running.logs.lines.map((l) => JSON.stringify(l)).join('\n');
  assert.not.match(text, new RegExp(wrong));
  assert.not.match(text, new RegExp(DEFAULT_HEC_TOKEN));
});

test.run();
