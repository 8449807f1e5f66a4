/**
 * Opt-in: the fake-server scenarios against a real cluster.
 *   OGRT_TEST_ES_URL=https://es:9200 [OGRT_TEST_ES_API_KEY=… | OGRT_TEST_ES_USER=… OGRT_TEST_ES_PASSWORD=…]
 *   OGRT_TEST_OPENSEARCH_URL=https://os:9200 [OGRT_TEST_OPENSEARCH_USER=… OGRT_TEST_OPENSEARCH_PASSWORD=…]
 *   OGRT_TEST_TLS_VERIFY=0 to accept a self-signed certificate.
 * Unset: no test is registered (nothing counts as passed); one line says so.
 * Everything is written under a random `ogrt-test-<id>` prefix and deleted at the end.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { Client as EsClient } from '@elastic/elasticsearch';
import { Client as OsClient } from '@opensearch-project/opensearch';
import plugin from '../../../plugins/output-elasticsearch/index.ts';
import { batchOf, createOutput, deliver, makeContext, makeRecords, rejectedOf } from './helpers.ts';

interface Target {
  flavor: 'elasticsearch' | 'opensearch';
  url: string;
  auth: Record<string, unknown>;
  envAuth: Record<string, string>;
}

const verify = process.env.OGRT_TEST_TLS_VERIFY !== '0';
const targets: Target[] = [];
if (process.env.OGRT_TEST_ES_URL) {
  const key = process.env.OGRT_TEST_ES_API_KEY;
  const user = process.env.OGRT_TEST_ES_USER;
  targets.push({
    flavor: 'elasticsearch',
    url: process.env.OGRT_TEST_ES_URL,
    auth: key ? { api_key_env: 'OGRT_TEST_ES_API_KEY' } : user ? { username: user, password_env: 'OGRT_TEST_ES_PASSWORD' } : {},
    envAuth: key ? { apiKey: key } : user ? { username: user, password: process.env.OGRT_TEST_ES_PASSWORD ?? '' } : {},
  });
} else {
  console.log('real-cluster elasticsearch: not configured (set OGRT_TEST_ES_URL to run it)');
}
if (process.env.OGRT_TEST_OPENSEARCH_URL) {
  const user = process.env.OGRT_TEST_OPENSEARCH_USER;
  targets.push({
    flavor: 'opensearch',
    url: process.env.OGRT_TEST_OPENSEARCH_URL,
    auth: user ? { username: user, password_env: 'OGRT_TEST_OPENSEARCH_PASSWORD' } : {},
    envAuth: user ? { username: user, password: process.env.OGRT_TEST_OPENSEARCH_PASSWORD ?? '' } : {},
  });
} else {
  console.log('real-cluster opensearch: not configured (set OGRT_TEST_OPENSEARCH_URL to run it)');
}

/** A plain client of the same flavor, to look at what the plugin wrote. */
function inspector(t: Target) {
  if (t.flavor === 'opensearch') {
    const c = new OsClient({ node: t.url, auth: t.envAuth.username ? (t.envAuth as any) : undefined, ssl: { rejectUnauthorized: verify } });
    return {
      refresh: async (index: string) => void (await c.indices.refresh({ index })),
      search: async (index: string, body: object) => (await c.search({ index, body: body as any })).body as any,
      getTemplate: async (name: string) => (await c.indices.getIndexTemplate({ name })).body as any,
      cleanup: async (prefix: string) => {
        await c.indices.delete({ index: `${prefix}*` }).catch(() => undefined);
        await c.indices.deleteIndexTemplate({ name: prefix }).catch(() => undefined);
        await c.close();
      },
    };
  }
  const c = new EsClient({ node: t.url, auth: Object.keys(t.envAuth).length ? (t.envAuth as any) : undefined, tls: { rejectUnauthorized: verify } });
  return {
    refresh: async (index: string) => void (await c.indices.refresh({ index })),
    search: async (index: string, body: object) => (await c.search({ index, ...body })) as any,
    getTemplate: async (name: string) => (await c.indices.getIndexTemplate({ name })) as any,
    cleanup: async (prefix: string) => {
      await c.indices.delete({ index: `${prefix}*` }).catch(() => undefined);
      await c.indices.deleteIndexTemplate({ name: prefix }).catch(() => undefined);
      await c.close();
    },
  };
}

for (const t of targets) {
  test(`real ${t.flavor}: template, bulk, replay without duplicates, mapping error, the "which jobs loaded X" query`, async () => {
    const prefix = `ogrt-test-${randomBytes(4).toString('hex')}`;
    const look = inspector(t);
    const tc = makeContext();
    const out = createOutput(plugin, tc, {
      flavor: t.flavor,
      url: t.url,
      index: `${prefix}-%Y.%m.%d`,
      template_name: prefix,
      tls_verify: verify,
      ...t.auth,
    });
    try {
      await out.start!();
      const records = makeRecords(50);
      const signature = records[7].shared_objects[1].signature!;
      assert.equal((await deliver(out, records)).results.at(-1), { status: 'ok' });
      // Replay: every document already exists (409 → ok), nothing is added.
      assert.equal(await out.send(batchOf(records, 2)), { status: 'ok' });

      const tpl = await look.getTemplate(prefix);
      assert.is(tpl.index_templates[0].index_template.template.mappings.properties.time.type, 'date_nanos');

      await look.refresh(`${prefix}*`);
      const all = await look.search(`${prefix}*`, { size: 0, track_total_hits: true });
      assert.is(all.hits.total.value, 50, 'no duplicates after the replay');

      const jobs = await look.search(`${prefix}*`, {
        size: 0,
        query: { terms: { 'shared_objects.signature': [signature] } },
        aggs: { jobs: { terms: { field: 'job_id' } } },
      });
      assert.is(jobs.hits.total.value, 50);
      assert.equal(jobs.aggregations.jobs.buckets.map((b: any) => b.key), ['4711']);

      const micro = await look.search(`${prefix}*`, { query: { term: { uuid: records[3].uuid } } });
      assert.is(micro.hits.hits[0]._source.time, records[3].time, 'microseconds kept');

      const bad = makeRecords(2);
      (bad[0] as any).pid = 'not-a-number';
      const r = await out.send(batchOf(bad));
      assert.is(r.status, 'partial');
      assert.equal(rejectedOf(r)!.map((x) => x.index), [0]);
    } finally {
      await out.stop!();
      await look.cleanup(prefix);
    }
  });

  test(`real ${t.flavor}: schema = "ecs" documents are accepted by the ECS template`, async () => {
    const prefix = `ogrt-test-${randomBytes(4).toString('hex')}`;
    const look = inspector(t);
    const out = createOutput(plugin, makeContext(), {
      flavor: t.flavor,
      url: t.url,
      index: `${prefix}-%Y.%m.%d`,
      template_name: prefix,
      schema: 'ecs',
      tls_verify: verify,
      ...t.auth,
    });
    try {
      const records = makeRecords(5);
      assert.equal(await out.send(batchOf(records)), { status: 'ok' });
      await look.refresh(`${prefix}*`);
      const hit = await look.search(`${prefix}*`, { query: { term: { 'process.executable': records[0].binpath } } });
      assert.is(hit.hits.total.value, 5);
    } finally {
      await out.stop!();
      await look.cleanup(prefix);
    }
  });
}

test.run();
