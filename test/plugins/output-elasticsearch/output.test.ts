/**
 * output-elasticsearch with the real @elastic/elasticsearch client against
 * the fake server: template, bulk, ids across retries, partial failures,
 * mapping errors, auth, store down at start, TLS.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import plugin from '../../../plugins/output-elasticsearch/index.ts';
import { FakeElasticsearch, TEST_TLS } from '../../fakes/elasticsearch-server.ts';
import { batchOf, createOutput, deliver, makeContext, makeRecords, makeRecord, reasonOf, rejectedOf, retryOf } from './helpers.ts';
import type { OutputInstance } from '../../../src/core/plugin-api.ts';

let es: FakeElasticsearch;
const outputs: OutputInstance[] = [];
const dirs: string[] = [];

test.before.each(async () => {
  es = await FakeElasticsearch.start();
});

test.after.each(async () => {
  for (const o of outputs.splice(0)) await o.stop?.();
  await es.stop();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function start(given: Record<string, unknown>, tc = makeContext()): OutputInstance {
  const out = createOutput(plugin, tc, { url: es.url, ...given });
  outputs.push(out);
  return out;
}

function idsInStore(): string[] {
  return es.documents().map((d) => d.id);
}

function assertStoredOnce(records: { uuid: string }[]): void {
  const ids = idsInStore();
  assert.is(ids.length, new Set(ids).size, 'no duplicate documents');
  assert.equal([...ids].sort(), records.map((r) => r.uuid).sort());
}

test('a batch becomes one _bulk request; the template is installed first, with the expected mappings', async () => {
  const out = start({});
  await out.start!();
  const records = makeRecords(5);
  assert.equal(await out.send(batchOf(records)), { status: 'ok' });

  const paths = es.requests.map((r) => `${r.method} ${r.path}`);
  assert.equal(paths, ['GET /', 'PUT /_index_template/ogrt', 'POST /_bulk']);
  const tpl = es.templates.get('ogrt');
  assert.equal(tpl.index_patterns, ['ogrt-*.*.*']);
  assert.is(tpl.template.mappings.properties.time.type, 'date_nanos');
  assert.is(tpl.template.mappings.properties.shared_objects.properties.signature.type, 'keyword');
  // The index was created from that template.
  assert.is(es.mappingsOf('ogrt-2026.11.24').properties.binpath.type, 'keyword');

  assertStoredOnce(records);
  const doc = es.documents().find((d) => d.id === records[2].uuid)!;
  assert.equal(doc.source, records[2]);
  assert.is(doc.index, 'ogrt-2026.11.24');
});

test('whole-request 503 and 429: retry, then the same ids are stored exactly once', async () => {
  const out = start({});
  await out.start!();
  const records = makeRecords(20);
  es.failNext(1, 503, '/_bulk');
  es.failNext(1, 429, '/_bulk');
  const d = await deliver(out, records);
  assert.is(d.results[0].status, 'retry');
  assert.match(reasonOf(d.results[0]), /503 cluster_block_exception/);
  assert.is(d.results[1].status, 'retry');
  assert.match(reasonOf(d.results[1]), /429 es_rejected_execution_exception/);
  assert.equal(d.results[2], { status: 'ok' });
  assertStoredOnce(records);
});

test('an answer lost after the store wrote the batch: the resend is a 409 per item, counted as stored, no duplicates', async () => {
  const tc = makeContext();
  const out = start({}, tc);
  await out.start!();
  const records = makeRecords(10);
  es.loseAnswers(1);
  const d = await deliver(out, records);
  assert.is(d.results[0].status, 'retry');
  assert.equal(d.results[1], { status: 'ok' });
  assertStoredOnce(records);
  assert.is(tc.metrics.filter((m) => m.name === 'component_duplicate_events_total').reduce((s, m) => s + m.by, 0), 10);
});

test('per-item 429 rejections: partial with exactly those indexes to retry; the resend stores them once', async () => {
  const out = start({});
  await out.start!();
  const records = makeRecords(8);
  es.rejectItems([records[1].uuid, records[6].uuid]);
  const first = await out.send(batchOf(records));
  assert.is(first.status, 'partial');
  assert.equal(retryOf(first), [1, 6]);
  assert.is(rejectedOf(first), undefined);
  assert.is(es.documents().length, 6);
  const second = await out.send(batchOf([records[1], records[6]], 2));
  assert.equal(second, { status: 'ok' });
  assertStoredOnce(records);
});

test('mapping errors: rejected with the store reason (dead-lettered by the core); the rest is stored', async () => {
  const out = start({});
  await out.start!();
  const records = makeRecords(4);
  // A real mapping conflict with the template: a long field holding text.
  (records[2] as any).pid = 'not-a-number';
  es.mappingErrorWhen = (src) => (src.uuid === records[0].uuid ? 'failed to parse field [cmdline] of type [text]' : undefined);
  const r = await out.send(batchOf(records));
  assert.is(r.status, 'partial');
  const rejected = rejectedOf(r)!;
  assert.equal(rejected.map((x) => x.index), [0, 2]);
  assert.match(rejected[1].reason, /^400 document_parsing_exception: .*failed to parse field \[pid\] of type \[long\]/);
  assert.is(retryOf(r), undefined);
  assert.equal(idsInStore().sort(), [records[1].uuid, records[3].uuid].sort());
});

test('store down at start: start() resolves, send() retries, and once up the template goes in before the first bulk', async () => {
  await es.stop();
  const tc = makeContext();
  const out = start({}, tc);
  await out.start!(); // must not throw
  assert.ok(tc.logs.some((l) => l.level === 'warn' && /not ready at start/.test(l.msg ?? '')));
  const records = makeRecords(3);
  const down = await out.send(batchOf(records));
  assert.is(down.status, 'retry');
  assert.match(reasonOf(down), /connection/i);
  await es.restart();
  const d = await deliver(out, records);
  assert.equal(d.results.at(-1), { status: 'ok' });
  const order = es.requests.map((r) => `${r.method} ${r.path}`);
  assert.ok(order.indexOf('PUT /_index_template/ogrt') < order.indexOf('POST /_bulk'), order.join(', '));
  assertStoredOnce(records);
});

test('store goes down between batches and comes back: every record exactly once', async () => {
  const out = start({});
  await out.start!();
  const first = makeRecords(5);
  assert.equal(await out.send(batchOf(first)), { status: 'ok' });
  await es.stop();
  const second = makeRecords(5);
  const d = await deliver(out, second, 10, async (attempt) => {
    if (attempt === 2) await es.restart();
  });
  assert.is(d.results[0].status, 'retry');
  assert.equal(d.results.at(-1), { status: 'ok' });
  assertStoredOnce([...first, ...second]);
});

test('API key refused: retry with one clear error, the key file is re-read, then ok; the key is never logged', async () => {
  await es.stop();
  es = await FakeElasticsearch.start({ apiKey: 'R29vZEtleTpnb29k' });
  const dir = await mkdtemp(path.join(tmpdir(), 'ogrt-es-'));
  dirs.push(dir);
  const keyFile = path.join(dir, 'es.key');
  await writeFile(keyFile, 'V3JvbmdLZXk6d3Jvbmc=\n');
  const tc = makeContext('es', dir);
  const out = start({ api_key_file: 'es.key' }, tc);
  await out.start!();
  const records = makeRecords(2);
  const r1 = await out.send(batchOf(records));
  const r2 = await out.send(batchOf(records, 2));
  assert.is(r1.status, 'retry');
  assert.is(r2.status, 'retry');
  assert.match(reasonOf(r2), /401 security_exception/);
  const authErrors = tc.logs.filter((l) => l.level === 'error' && (l.obj as { error_type?: string }).error_type === 'auth');
  assert.is(authErrors.length, 1, 'logged once');
  assert.match(authErrors[0].msg!, new RegExp(`file ${keyFile.replace(/[.]/g, '\\.')}`));
  await writeFile(keyFile, 'R29vZEtleTpnb29k\n');
  assert.equal(await out.send(batchOf(records, 3)), { status: 'ok' });
  assertStoredOnce(records);
  assert.ok(tc.logs.some((l) => /store accepts requests again/.test(l.msg ?? '')));
  const text = tc.logText();
  assert.not.match(text, /V3JvbmdLZXk6d3Jvbmc=/);
  assert.not.match(text, /R29vZEtleTpnb29k/);
});

test('basic auth from an env variable', async () => {
  await es.stop();
  es = await FakeElasticsearch.start({ basic: { username: 'ogrt_writer', password: 'pa55-from-env' } });
  process.env.OGRT_TEST_ES_PASSWORD = 'pa55-from-env';
  try {
    const tc = makeContext();
    const out = start({ username: 'ogrt_writer', password_env: 'OGRT_TEST_ES_PASSWORD' }, tc);
    await out.start!();
    const records = makeRecords(2);
    assert.equal(await out.send(batchOf(records)), { status: 'ok' });
    assertStoredOnce(records);
    assert.not.match(tc.logText(), /pa55-from-env/);
  } finally {
    delete process.env.OGRT_TEST_ES_PASSWORD;
  }
});

test('Elasticsearch 8 server: REST compatibility 8 headers are used', async () => {
  await es.stop();
  es = await FakeElasticsearch.start({ version: '8.17.4' });
  const out = start({});
  await out.start!();
  const records = makeRecords(2);
  assert.equal(await out.send(batchOf(records)), { status: 'ok' });
  const bulk = es.requests.find((r) => r.path === '/_bulk')!;
  assert.match(String(bulk.headers['content-type']), /x-ndjson; compatible-with=8/);
  assertStoredOnce(records);
});

test('Elasticsearch 8 and a writer without the monitor privilege (GET / is 403): compatibility 8 is taken from the 400 answer, then ok', async () => {
  await es.stop();
  es = await FakeElasticsearch.start({ version: '8.17.4', privileges: { monitor: false } });
  const tc = makeContext();
  const out = start({}, tc);
  await out.start!();
  const records = makeRecords(3);
  assert.equal(await out.send(batchOf(records)), { status: 'ok' });
  assertStoredOnce(records);
  const answers = es.requests.map((r) => `${r.method} ${r.path} ${/compatible-with=(\d+)/.exec(String(r.headers.accept))?.[1] ?? '-'}`);
  // The client's default (9) is refused once, then every request asks for 8.
  assert.equal(answers, ['GET / -', 'PUT /_index_template/ogrt 9', 'PUT /_index_template/ogrt 8', 'POST /_bulk 8']);
  assert.ok(tc.logs.some((l) => l.level === 'info' && /REST compatibility 8/.test(l.msg ?? '')), tc.logText());
  assert.not.ok(tc.logs.some((l) => l.level === 'error'), tc.logText());
  assert.equal(await out.send(batchOf(makeRecords(2), 1)), { status: 'ok' });
});

test('Elasticsearch 8, neither monitor nor template privileges: the first bulk is refused for its headers and resent with 8 in the same send', async () => {
  await es.stop();
  es = await FakeElasticsearch.start({ version: '8.17.4', privileges: { monitor: false, manage_index_templates: false } });
  const out = start({ manage_template: false });
  const records = makeRecords(2);
  assert.equal(await out.send(batchOf(records)), { status: 'ok' });
  assertStoredOnce(records);
  const bulks = es.requests.filter((r) => r.path === '/_bulk').map((r) => /compatible-with=(\d+)/.exec(String(r.headers['content-type']))?.[1]);
  assert.equal(bulks, ['9', '8']);
});

test('flavor elasticsearch against an OpenSearch server: retry with a hint to set flavor', async () => {
  await es.stop();
  es = await FakeElasticsearch.start({ flavor: 'opensearch' });
  const tc = makeContext();
  const out = start({}, tc);
  await out.start!();
  const r = await out.send(batchOf(makeRecords(1)));
  assert.is(r.status, 'retry');
  assert.ok(tc.logs.some((l) => l.level === 'error' && /set flavor = "opensearch"/.test(l.msg ?? '')), tc.logText());
  assert.is(es.documents().length, 0);
});

test('413 request too large: the batch is halved within the same send, all stored', async () => {
  const out = start({});
  await out.start!();
  const records = makeRecords(6);
  es.failNext(1, 413, '/_bulk');
  assert.equal(await out.send(batchOf(records)), { status: 'ok' });
  assertStoredOnce(records);
  assert.is(es.requests.filter((r) => r.path === '/_bulk').length, 3);
});

test('whole-request 400: the batch is rejected with the reason', async () => {
  const out = start({});
  await out.start!();
  es.failNext(1, 400, '/_bulk');
  const r = await out.send(batchOf(makeRecords(2)));
  assert.is(r.status, 'reject');
  assert.match(reasonOf(r), /HTTP 400/);
});

test('concurrent first sends install the template once', async () => {
  await es.stop();
  const out = start({});
  await out.start!();
  await es.restart();
  const batches = [makeRecords(3), makeRecords(3), makeRecords(3)];
  const results = await Promise.all(batches.map((b) => out.send(batchOf(b))));
  assert.equal(results, [{ status: 'ok' }, { status: 'ok' }, { status: 'ok' }]);
  assert.is(es.requests.filter((r) => r.method === 'PUT').length, 1);
  assertStoredOnce(batches.flat());
});

test('incomplete deliveries of one record keep distinct, stable ids', async () => {
  const out = start({});
  await out.start!();
  const base = makeRecord();
  const a = { ...base, incomplete: true, missing_parts: [3] };
  const b = { ...base, incomplete: true, missing_parts: [1, 2] };
  assert.equal(await out.send(batchOf([a, b])), { status: 'ok' });
  assert.equal(await out.send(batchOf([a, b], 2)), { status: 'ok' });
  assert.equal(idsInStore().sort(), [`${base.uuid}~missing-1.2`, `${base.uuid}~missing-3`]);
});

test('data stream: create ops into the stream, @timestamp added, replays deduplicated', async () => {
  const out = start({ data_stream: 'ogrt-processes' });
  await out.start!();
  const records = makeRecords(4);
  assert.equal(await out.send(batchOf(records)), { status: 'ok' });
  assert.equal(await out.send(batchOf(records, 2)), { status: 'ok' });
  assertStoredOnce(records);
  const doc = es.documents()[0];
  assert.match(doc.index, /^\.ds-ogrt-processes-\d{4}\.\d{2}\.\d{2}-000001$/);
  assert.is(doc.source['@timestamp'], doc.source.time);
  assert.equal(es.templates.get('ogrt').data_stream, {});
});

test('schema = "ecs": ECS documents pass the ECS template mappings', async () => {
  const out = start({ schema: 'ecs' });
  await out.start!();
  const records = makeRecords(3);
  assert.equal(await out.send(batchOf(records)), { status: 'ok' });
  const doc = es.documents().find((d) => d.id === records[0].uuid)!;
  assert.is(doc.source.process.executable, records[0].binpath);
  assert.is(doc.source.process.pid, records[0].pid);
  assert.is(doc.source.host.hostname, 'node042');
  assert.is(doc.source.user.name, 'alice');
  assert.is(doc.source.event.id, records[0].uuid);
  assert.is(doc.source.ogrt.job_id, '4711');
  assert.is(es.templates.get('ogrt').template.mappings.properties.process.properties.executable.type, 'keyword');
});

test('manage_template = false: a missing template is reported once; documents are still indexed', async () => {
  const tc = makeContext();
  const out = start({ manage_template: false }, tc);
  await out.start!();
  assert.equal(await out.send(batchOf(makeRecords(2))), { status: 'ok' });
  assert.ok(es.requests.some((r) => r.method === 'HEAD' && r.path === '/_index_template/ogrt'));
  assert.is(es.templates.size, 0);
  assert.is(tc.logs.filter((l) => /does not exist \(manage_template = false\)/.test(l.msg ?? '')).length, 1);
});

test('https: ca_file trusts the server; without it tls_verify refuses (retry); tls_verify = false accepts', async () => {
  await es.stop();
  es = await FakeElasticsearch.start({ tls: TEST_TLS });
  const dir = await mkdtemp(path.join(tmpdir(), 'ogrt-es-'));
  dirs.push(dir);
  await writeFile(path.join(dir, 'ca.pem'), TEST_TLS.cert);
  const records = makeRecords(1);
  const trusted = start({ ca_file: path.join(dir, 'ca.pem') });
  assert.equal(await trusted.send(batchOf(records)), { status: 'ok' });
  const untrusted = start({});
  assert.is((await untrusted.send(batchOf(records))).status, 'retry');
  const unverified = start({ tls_verify: false });
  assert.equal(await unverified.send(batchOf(records)), { status: 'ok' });
  assertStoredOnce(records);
});

test.run();
