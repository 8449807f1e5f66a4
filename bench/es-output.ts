/**
 * Records/s into the fake Elasticsearch server (test/fakes) through
 * output-elasticsearch and the real @elastic/elasticsearch client, one batch
 * in flight (concurrency 1), for batch sizes 100, 1000 and 5000; median of 3
 * runs of RECORDS records each. Server and plugin share this process (and the
 * machine's cores), so the numbers include the fake's own NDJSON parsing.
 *   node --import tsx bench/es-output.ts [records]
 */
import { randomUUID } from 'node:crypto';
import plugin from '../plugins/output-elasticsearch/index.ts';
import { createBulkBuilder } from '../plugins/output-elasticsearch/bulk.ts';
import { OptionsSchema, resolveConfig } from '../plugins/output-elasticsearch/config.ts';
import { FakeElasticsearch } from '../test/fakes/elasticsearch-server.ts';
import { batchOf, createOutput, makeContext, makeRecord, options } from '../test/plugins/output-elasticsearch/helpers.ts';

const RECORDS = Number(process.argv[2] ?? 50_000);
const SIZES = [100, 1000, 5000];
const RUNS = 3;

const es = await FakeElasticsearch.start({ keepBodies: false });
const out = createOutput(plugin, makeContext('bench'), { url: es.url });
await out.start!();

// Typical records: ~12 shared objects, a few modules and variables (~1.5 KB of JSON).
const records = Array.from({ length: RECORDS }, (_, i) =>
  makeRecord({
    uuid: randomUUID(),
    shared_objects: Array.from({ length: 12 }, (_, k) => ({ path: `/opt/sw/lib/lib${k}.so.${i % 7}`, signature: k % 3 === 0 ? randomUUID() : undefined })),
    loaded_modules: [{ name: 'gcc/12.2.0' }, { name: 'openmpi/4.1.5' }, { name: 'python/3.11' }],
    environment_variables: [
      { name: 'OMP_NUM_THREADS', value: '4' },
      { name: 'SLURM_JOB_ID', value: String(4711 + (i % 100)) },
    ],
  }),
);
const jsonBytes = records.slice(0, 100).reduce((s, r) => s + JSON.stringify(r).length, 0) / 100;

async function run(size: number): Promise<number> {
  es.clear();
  const t0 = performance.now();
  for (let i = 0; i < records.length; i += size) {
    const r = await out.send(batchOf(records.slice(i, i + size)));
    if (r.status !== 'ok') throw new Error(`batch at ${i}: ${JSON.stringify(r)}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  if (es.documents().length !== records.length) throw new Error(`stored ${es.documents().length} of ${records.length}`);
  return records.length / seconds;
}

/** The plugin's own CPU per record: building the NDJSON body only, no I/O. */
function buildOnly(size: number): number {
  const builder = createBulkBuilder(resolveConfig(options(OptionsSchema, {}), process.cwd()));
  const t0 = performance.now();
  for (let i = 0; i < records.length; i += size) builder.build(records, i, Math.min(i + size, records.length));
  return records.length / ((performance.now() - t0) / 1000);
}

console.log(`records: ${RECORDS} per run, ~${Math.round(jsonBytes)} bytes of JSON each; node ${process.version}`);
console.log('| batch size | records/s into the fake server (median of 3) | runs | bulk body build only, records/s (median of 3) |');
console.log('| ---: | ---: | --- | ---: |');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
for (const size of SIZES) {
  const rates: number[] = [];
  for (let k = 0; k < RUNS; k++) rates.push(await run(size));
  const builds: number[] = [];
  for (let k = 0; k < RUNS; k++) builds.push(buildOnly(size));
  console.log(`| ${size} | ${fmt(median(rates))} | ${rates.map(fmt).join(', ')} | ${fmt(median(builds))} |`);
}

await out.stop!();
await es.stop();
