/**
 * Store outages, in process: the real output-elasticsearch plugin against
 * the fake Elasticsearch, fed by a driven input.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import esPlugin from '../../plugins/output-elasticsearch/index.ts';
import { FakeElasticsearch } from '../fakes/elasticsearch-server.ts';
import { fakeInputPlugin, fakeOutputPlugin } from '../helpers/fake-plugins.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { makeRecords } from '../helpers/records.ts';
import { removeDir, tempDir } from '../helpers/temp.ts';
import { deferred, waitFor } from '../helpers/wait.ts';
import { readBufferDir } from '../../src/core/disk-buffer-store.ts';
import { redelivered, storedIds } from './durability-harness.ts';
import type { OgrtRecord } from '../../src/core/record.ts';

let es: FakeElasticsearch;
let running: TestServer | undefined;
let spool = '';
test.before.each(async () => {
  es = await FakeElasticsearch.start({ keepBodies: false });
  spool = await tempDir('ogrt-durability-');
});
test.after.each(async () => {
  await running?.close();
  running = undefined;
  await es.stop();
  await removeDir(spool);
});

function esOutput(buffer: string, extra = ''): string {
  return `
[inputs.in]
type = "fake-in"
[outputs.es]
type = "elasticsearch"
url = "${es.url}"
batch = { max_events = 50, timeout_ms = 10 }
retry = { initial_backoff_ms = 10, max_backoff_ms = 100 }
buffer = ${buffer}
${extra}`;
}

async function start(toml: string, input = fakeInputPlugin('fake-in'), extra = fakeOutputPlugin('fake-out')) {
  running = await startTestServer(toml, { plugins: [input.plugin, esPlugin, extra.plugin] });
  return { server: running, input: input.get('in') };
}

/** Emits in chunks of 25, awaiting each emit (backpressure / durability). */
async function emitAll(emit: (r: readonly OgrtRecord[]) => Promise<void> | undefined, records: readonly OgrtRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += 25) await emit(records.slice(i, i + 25));
}

for (const type of ['memory', 'disk'] as const) {
  test(`${type} buffer: store down for a while; every record sent meanwhile arrives exactly once (by _id)`, async () => {
    const buffer = type === 'disk' ? `{ type = "disk", path = "${path.join(spool, 'es')}" }` : '{ type = "memory" }';
    const { server, input } = await start(esOutput(buffer));
    const before = makeRecords(100);
    await emitAll((r) => input.emit(r), before);
    await waitFor(() => es.documents().length === 100, 10_000, 'the first 100 records stored');

    await es.stop();
    const during = makeRecords(400);
    await emitAll((r) => input.emit(r), during);
    await waitFor(() => server.server.metrics.value('ogrt_component_retries_total', { component_id: 'es' }) >= 2, 10_000, 'sends failing and retried');
    assert.is(es.documents().length, 100);
    await es.restart();
    const after = makeRecords(100);
    await emitAll((r) => input.emit(r), after);
    await waitFor(() => es.documents().length === 600, 15_000, 'everything stored');

    const ids = storedIds(es);
    const sent = [...before, ...during, ...after].map((r) => r.uuid);
    assert.equal([...ids.keys()].sort(), [...sent].sort(), 'every record, and only those');
    assert.ok([...ids.values()].every((n) => n === 1), 'exactly once');
    console.log(`  ${type}: 600 sent, ${ids.size} stored once each, ${redelivered(es)} re-sent item(s) deduplicated by _id`);
  });
}

test('graceful stop while the store is down: a disk buffer keeps the records (stop is quick); the next start delivers them first, exactly once', async () => {
  const dir = path.join(spool, 'es');
  const first = await start(esOutput(`{ type = "disk", path = "${dir}" }`, '[server]\nshutdown_timeout_ms = 20000\n'));
  await es.stop();
  const held = makeRecords(300);
  await emitAll((r) => first.input.emit(r), held);
  await waitFor(() => first.server.server.metrics.value('ogrt_component_retries_total') >= 1, 10_000, 'a failed send');
  const stopping = Date.now();
  const report = await first.server.server.stop('test');
  assert.ok(Date.now() - stopping < 5_000, `stopped without waiting for the dead store (${Date.now() - stopping} ms)`);
  assert.is(report.unflushed.es, 0, 'nothing lost: it is all on disk');
  assert.is(first.server.logs.matching(/records kept in the disk buffer/).length, 1);
  assert.is((await readBufferDir(dir)).entries.length, 300);
  running = undefined;
  await first.server.close();

  await es.restart();
  const second = await start(esOutput(`{ type = "disk", path = "${dir}" }`));
  assert.is(second.server.logs.matching(/replaying unacknowledged records first/).length, 1);
  const fresh = makeRecords(50);
  await emitAll((r) => second.input.emit(r), fresh);
  await waitFor(() => es.documents().length === 350, 15_000, 'old and new records stored');
  const ids = storedIds(es);
  assert.ok([...held, ...fresh].every((r) => ids.get(r.uuid) === 1));
  assert.is((await readBufferDir(dir)).entries.length, 0, 'every entry acknowledged');
});

for (const whenFull of ['drop_newest', 'block'] as const) {
  test(`two outputs, one dead (${whenFull}): the healthy one keeps flowing; the dead one's disk buffer grows to its cap, then ${whenFull} applies`, async () => {
    await es.stop();
    const healthy = fakeOutputPlugin('fake-out');
    const cap = 120;
    const { server, input } = await start(
      esOutput(`{ type = "disk", path = "${path.join(spool, 'es')}", max_events = ${cap}, when_full = "${whenFull}" }`, `
[outputs.ok]
type = "fake-out"
batch = { max_events = 50, timeout_ms = 5 }
`),
      fakeInputPlugin('fake-in'),
      healthy,
    );
    const stored = healthy.instance('ok').stored;
    const m = server.server.metrics;
    const records = makeRecords(300);
    if (whenFull === 'drop_newest') {
      const t0 = performance.now();
      await emitAll((r) => input.emit(r), records);
      await waitFor(() => stored.length === 300, 10_000, 'the healthy output got everything');
      const ms = performance.now() - t0;
      assert.is(m.value('ogrt_buffer_events', { component_id: 'es' }), cap, 'the dead output holds exactly its cap');
      assert.is(m.value('ogrt_component_discarded_events_total', { component_id: 'es', reason: 'queue_full' }), 300 - cap);
      assert.is(m.value('ogrt_component_discarded_events_total', { component_id: 'ok' }), 0);
      console.log(`  drop_newest: healthy output stored 300 records in ${ms.toFixed(0)} ms while the dead one held ${cap} and dropped ${300 - cap}`);
      await es.restart();
      await waitFor(() => es.documents().length === cap, 15_000, 'the dead output delivers what it kept');
      assert.equal(new Set(es.documents().map((d) => d.id)), new Set(records.slice(0, cap).map((r) => r.uuid)), 'the oldest were kept');
      return;
    }
    // block: intake continues until the dead output's buffer is full, then waits.
    const all = deferred();
    void emitAll((r) => input.emit(r), records).then(all.resolve);
    await waitFor(() => m.value('ogrt_buffer_events', { component_id: 'es' }) === cap, 10_000, 'the dead output full');
    await waitFor(() => stored.length >= cap - 25, 10_000, 'the healthy output got what was admitted');
    assert.ok(stored.length < 300, 'intake waits for the full output');
    assert.is(m.value('ogrt_component_discarded_events_total'), 0, 'nothing dropped');
    await es.restart();
    await all.promise;
    await waitFor(() => es.documents().length === 300 && stored.length === 300, 15_000, 'everything everywhere');
    assert.is(storedIds(es).size, 300);
  });
}

test.run();
