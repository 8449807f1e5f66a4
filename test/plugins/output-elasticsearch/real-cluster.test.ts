/**
 * Opt-in: the fake-server scenarios against a real cluster.
 *   OGRT_TEST_ES_URL=https://es:9200 [OGRT_TEST_ES_API_KEY=… | OGRT_TEST_ES_USER=… OGRT_TEST_ES_PASSWORD=…]
 *   OGRT_TEST_OPENSEARCH_URL=https://os:9200 [OGRT_TEST_OPENSEARCH_USER=… OGRT_TEST_OPENSEARCH_PASSWORD=…]
 *   OGRT_TEST_TLS_VERIFY=0 to accept a self-signed certificate.
 * Unset: no test is registered (nothing counts as passed); one line says so.
 * Everything is written under a random `ogrt-test-<id>` prefix and deleted at the end.
 *
 * Scenarios: template, bulk, replay without duplicates, mapping rejection,
 * the "which jobs loaded X" query (one record with a unique signature: exactly
 * one hit); ECS documents; refused credentials (retry, secret never logged);
 * a store unreachable, then reachable; the whole server pipeline with the
 * dead-letter file and the sent/dead-lettered counters.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client as EsClient } from '@elastic/elasticsearch';
import { Client as OsClient } from '@opensearch-project/opensearch';
import plugin from '../../../plugins/output-elasticsearch/index.ts';
import { fakeInputPlugin } from '../../helpers/fake-plugins.ts';
import { freePort } from '../../helpers/ports.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { TcpForwarder, hostPort } from '../../fakes/tcp-forwarder.ts';
import { batchOf, createOutput, deliver, makeContext, makeRecords, reasonOf, rejectedOf, waitFor } from './helpers.ts';

interface Target {
  flavor: 'elasticsearch' | 'opensearch';
  url: string;
  /** Plugin options naming the env variables of the secret. */
  auth: Record<string, string>;
  envAuth: Record<string, string>;
  /** Env variable holding the secret, and the plugin options for a wrong one; undefined without auth. */
  secret?: { env: string; wrongOptions: Record<string, string> };
}

const WRONG_ENV = 'OGRT_TEST_WRONG_SECRET';
const WRONG_SECRET = 'V3JvbmdLZXk6b2dydC10ZXN0LXdyb25n';
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
    secret: key
      ? { env: 'OGRT_TEST_ES_API_KEY', wrongOptions: { api_key_env: WRONG_ENV } }
      : user
        ? { env: 'OGRT_TEST_ES_PASSWORD', wrongOptions: { username: user, password_env: WRONG_ENV } }
        : undefined,
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
    secret: user ? { env: 'OGRT_TEST_OPENSEARCH_PASSWORD', wrongOptions: { username: user, password_env: WRONG_ENV } } : undefined,
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

function options(t: Target, prefix: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { flavor: t.flavor, url: t.url, index: `${prefix}-%Y.%m.%d`, template_name: prefix, tls_verify: verify, ...t.auth, ...extra };
}

/** Options as TOML key = value lines (strings and booleans only). */
function toml(values: Record<string, unknown>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k} = ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
    .join('\n');
}

/** Every log line and the whole dead-letter file must not contain these. */
function secretsOf(t: Target): string[] {
  return [WRONG_SECRET, ...(t.secret ? [process.env[t.secret.env] ?? ''] : [])].filter((s) => s.length >= 4);
}

for (const t of targets) {
  test(`real ${t.flavor}: template, bulk, replay without duplicates, mapping error, the "which jobs loaded X" query`, async () => {
    const prefix = `ogrt-test-${randomBytes(4).toString('hex')}`;
    const look = inspector(t);
    const out = createOutput(plugin, makeContext(), options(t, prefix));
    try {
      await out.start!();
      const records = makeRecords(50);
      const common = records[0].shared_objects[1].signature!;
      // One program loaded a library nobody else did.
      const unique = randomUUID();
      records[7].job_id = 'ogrt-test-unique-job';
      records[7].shared_objects = [...records[7].shared_objects, { path: '/opt/ogrt-test/libunique.so', signature: unique }];
      assert.equal((await deliver(out, records)).results.at(-1), { status: 'ok' });
      // Replay: every document already exists (409 → ok), nothing is added.
      assert.equal(await out.send(batchOf(records, 2)), { status: 'ok' });

      const tpl = await look.getTemplate(prefix);
      assert.is(tpl.index_templates[0].index_template.template.mappings.properties.time.type, 'date_nanos');

      await look.refresh(`${prefix}*`);
      const all = await look.search(`${prefix}*`, { size: 0, track_total_hits: true });
      assert.is(all.hits.total.value, 50, 'no duplicates after the replay');

      const whichJobs = (signature: string) =>
        look.search(`${prefix}*`, {
          size: 0,
          query: { terms: { 'shared_objects.signature': [signature] } },
          aggs: { jobs: { terms: { field: 'job_id' } } },
        });
      const one = await whichJobs(unique);
      assert.is(one.hits.total.value, 1, 'exactly the one program that loaded it');
      assert.equal(one.aggregations.jobs.buckets.map((b: any) => b.key), ['ogrt-test-unique-job']);
      const every = await whichJobs(common);
      assert.is(every.hits.total.value, 50);
      assert.equal(every.aggregations.jobs.buckets.map((b: any) => b.key).sort(), ['4711', 'ogrt-test-unique-job']);

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
    const out = createOutput(plugin, makeContext(), options(t, prefix, { schema: 'ecs' }));
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

  if (t.secret !== undefined) {
    const secret = t.secret;
    test(`real ${t.flavor}: refused credentials are a retry with one error line, and no secret is logged`, async () => {
      const prefix = `ogrt-test-${randomBytes(4).toString('hex')}`;
      const look = inspector(t);
      process.env[WRONG_ENV] = WRONG_SECRET;
      const tc = makeContext();
      const out = createOutput(plugin, tc, { ...options(t, prefix), api_key_env: '', username: '', password_env: '', ...secret.wrongOptions });
      try {
        await out.start!();
        const records = makeRecords(2);
        const r1 = await out.send(batchOf(records));
        const r2 = await out.send(batchOf(records, 2));
        assert.is(r1.status, 'retry');
        assert.is(r2.status, 'retry');
        assert.match(reasonOf(r2), /HTTP 401/);
        const authErrors = tc.logs.filter((l) => l.level === 'error' && (l.obj as { error_type?: string }).error_type === 'auth');
        assert.is(authErrors.length, 1, 'logged once');
        assert.match(authErrors[0].msg!, new RegExp(`env ${WRONG_ENV}`));
        for (const s of secretsOf(t)) assert.not.ok(tc.logText().includes(s), 'a secret in the log');
      } finally {
        await out.stop!();
        delete process.env[WRONG_ENV];
        await look.cleanup(prefix);
      }
    });
  }

  test(`real ${t.flavor}: unreachable (a closed local port), then reachable: retry, then every record stored once`, async () => {
    const prefix = `ogrt-test-${randomBytes(4).toString('hex')}`;
    const look = inspector(t);
    const port = await freePort();
    const target = new URL(t.url);
    const local = `${target.protocol}//127.0.0.1:${port}`;
    // Through 127.0.0.1 the certificate's host name cannot match: this test is about reachability, not TLS.
    const tc = makeContext();
    const out = createOutput(plugin, tc, options(t, prefix, { url: local, tls_verify: target.protocol === 'https:' ? false : verify }));
    let forwarder: TcpForwarder | undefined;
    try {
      await out.start!();
      assert.ok(tc.logs.some((l) => l.level === 'warn' && /not ready at start/.test(l.msg ?? '')), tc.logText());
      const records = makeRecords(10);
      const down = await out.send(batchOf(records));
      assert.is(down.status, 'retry');
      assert.match(reasonOf(down), /connection/i);
      const { host, port: targetPort } = hostPort(t.url);
      forwarder = await TcpForwarder.open(port, host, targetPort);
      const d = await deliver(out, records);
      assert.equal(d.results.at(-1), { status: 'ok' });
      assert.ok(tc.logs.some((l) => /store accepts requests again|store ready/.test(l.msg ?? '')), tc.logText());
      await look.refresh(`${prefix}*`);
      const all = await look.search(`${prefix}*`, { size: 0, track_total_hits: true });
      assert.is(all.hits.total.value, records.length);
    } finally {
      await out.stop!();
      await forwarder?.close();
      await look.cleanup(prefix);
    }
  });

  test(`real ${t.flavor}: the server pipeline: a mapping rejection in the dead-letter file, counters, and exactly one hit for a unique signature`, async () => {
    const prefix = `ogrt-test-${randomBytes(4).toString('hex')}`;
    const look = inspector(t);
    const input = fakeInputPlugin();
    let running: TestServer | undefined;
    try {
      running = await startTestServer(
        `[inputs.in]\ntype = "fake-in"\n\n[outputs.es]\ntype = "elasticsearch"\n${toml(options(t, prefix))}\nbatch = { max_events = 20, timeout_ms = 50 }\nretry = { initial_backoff_ms = 50, max_backoff_ms = 1000 }\n`,
        { plugins: [input.plugin, plugin] },
      );
      const records = makeRecords(60);
      const unique = randomUUID();
      records[11].shared_objects = [...records[11].shared_objects, { path: '/opt/ogrt-test/libunique.so', signature: unique }];
      const bad = records[42];
      (bad as { pid: unknown }).pid = 'not-a-number';
      for (let i = 0; i < records.length; i += 15) await input.get('in').emit(records.slice(i, i + 15));
      const m = running.server.metrics;
      const labels = { component_id: 'es' };
      await waitFor(
        () => m.value('ogrt_component_sent_events_total', labels) + m.value('ogrt_component_dead_lettered_events_total', labels) === records.length,
        30_000,
        'every record stored or dead-lettered',
      );
      assert.is(m.value('ogrt_component_sent_events_total', labels), records.length - 1);
      assert.is(m.value('ogrt_component_dead_lettered_events_total', { ...labels, reason: 'rejected' }), 1);
      const file = path.join(running.dir, 'data', 'dead-letter', 'es.jsonl');
      const text = readFileSync(file, 'utf8');
      const lines = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
      assert.is(lines.length, 1);
      assert.is(lines[0].output, 'es');
      assert.is(lines[0].record.uuid, bad.uuid);
      assert.match(lines[0].reason, /^400 (document_parsing_exception|mapper_parsing_exception)/);
      for (const s of secretsOf(t)) {
        assert.not.ok(text.includes(s), 'a secret in the dead-letter file');
        assert.not.ok(JSON.stringify(running.logs.lines).includes(s), 'a secret in the log');
      }

      await look.refresh(`${prefix}*`);
      const hits = await look.search(`${prefix}*`, { size: 5, query: { terms: { 'shared_objects.signature': [unique] } } });
      assert.is(hits.hits.total.value, 1);
      assert.is(hits.hits.hits[0]._source.uuid, records[11].uuid);
      const all = await look.search(`${prefix}*`, { size: 0, track_total_hits: true });
      assert.is(all.hits.total.value, records.length - 1);
    } finally {
      await running?.close();
      await look.cleanup(prefix);
    }
  });
}

test.run();
