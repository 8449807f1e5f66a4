/** flavor = "opensearch": the same logic through @opensearch-project/opensearch against the fake in OpenSearch mode. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import plugin from '../../../plugins/output-elasticsearch/index.ts';
import { FakeElasticsearch } from '../../fakes/elasticsearch-server.ts';
import { batchOf, createOutput, deliver, makeContext, makeRecords, reasonOf, rejectedOf, retryOf } from './helpers.ts';
import type { OutputInstance } from '../../../src/core/plugin-api.ts';

let os: FakeElasticsearch;
const outputs: OutputInstance[] = [];

test.before.each(async () => {
  os = await FakeElasticsearch.start({ flavor: 'opensearch' });
});

test.after.each(async () => {
  for (const o of outputs.splice(0)) await o.stop?.();
  await os.stop();
});

function start(given: Record<string, unknown>, tc = makeContext()): OutputInstance {
  const out = createOutput(plugin, tc, { flavor: 'opensearch', url: os.url, ...given });
  outputs.push(out);
  return out;
}

function assertStoredOnce(records: { uuid: string }[]): void {
  const ids = os.documents().map((d) => d.id);
  assert.is(ids.length, new Set(ids).size, 'no duplicate documents');
  assert.equal([...ids].sort(), records.map((r) => r.uuid).sort());
}

test('OpenSearch: template, bulk, and the server answers without the Elastic product header', async () => {
  const out = start({});
  await out.start!();
  const records = makeRecords(4);
  assert.equal(await out.send(batchOf(records)), { status: 'ok' });
  assert.is(os.templates.get('ogrt').template.mappings.properties.time.type, 'date_nanos');
  assert.is(os.mappingsOf('ogrt-2026.11.24').properties.shared_objects.properties.path.type, 'keyword');
  // This client writes templates with POST.
  assert.equal(os.requests.map((r) => `${r.method} ${r.path}`), ['GET /', 'POST /_index_template/ogrt', 'POST /_bulk']);
  assertStoredOnce(records);
});

test('OpenSearch: 503, lost answer and per-item 429 end with every record stored once', async () => {
  const out = start({});
  await out.start!();
  const records = makeRecords(10);
  os.failNext(1, 503, '/_bulk');
  os.loseAnswers(1);
  // The lost-answer request consumes one rejection, the resend the second.
  os.rejectItems([records[4].uuid], 2);
  const d = await deliver(out, records);
  assert.equal(d.results.map((r) => r.status), ['retry', 'retry', 'partial', 'ok']);
  assert.equal(retryOf(d.results[2]), [4]);
  assertStoredOnce(records);
});

test('OpenSearch: mapping errors are rejected with mapper_parsing_exception', async () => {
  const out = start({});
  await out.start!();
  const records = makeRecords(3);
  (records[1] as any).uid = 'root';
  const r = await out.send(batchOf(records));
  assert.is(r.status, 'partial');
  const rejected = rejectedOf(r)!;
  assert.is(rejected.length, 1);
  assert.is(rejected[0].index, 1);
  assert.match(rejected[0].reason, /400 mapper_parsing_exception: .*\[uid\] of type \[long\]/);
});

test('OpenSearch: basic auth from a file; a refused password is retried and re-read; down at start then up', async () => {
  await os.stop();
  os = await FakeElasticsearch.start({ flavor: 'opensearch', basic: { username: 'ogrt', password: 'right-pw' } });
  const dir = await mkdtemp(path.join(tmpdir(), 'ogrt-os-'));
  try {
    const pwFile = path.join(dir, 'pw');
    await writeFile(pwFile, 'wrong-pw\n');
    const tc = makeContext('os', dir);
    const out = start({ username: 'ogrt', password_file: 'pw' }, tc);
    await out.start!();
    const records = makeRecords(3);
    const refused = await out.send(batchOf(records));
    assert.is(refused.status, 'retry');
    assert.match(reasonOf(refused), /HTTP 401 Unauthorized/);
    await writeFile(pwFile, 'right-pw\n');
    await os.stop();
    assert.is((await out.send(batchOf(records, 2))).status, 'retry');
    await os.restart();
    assert.equal(await out.send(batchOf(records, 3)), { status: 'ok' });
    assertStoredOnce(records);
    assert.not.match(tc.logText(), /wrong-pw|right-pw/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('OpenSearch: api keys and cloud_id are configuration errors', () => {
  const tc = makeContext();
  assert.throws(() => createOutput(plugin, tc, { flavor: 'opensearch', cloud_id: 'x:eA==' }), /outputs\.test: cloud_id is an Elastic Cloud setting/);
  assert.throws(() => createOutput(plugin, tc, { flavor: 'opensearch', api_key_env: 'HOME' }), /API keys are an Elasticsearch feature/);
});

test.run();
