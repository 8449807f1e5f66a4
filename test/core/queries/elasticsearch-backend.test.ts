/**
 * The queries answered from Elasticsearch / OpenSearch: FIXTURE goes through
 * the real pipeline (TCP input → output-elasticsearch) into the fake store
 * (test/fakes/elasticsearch-server.ts), behind the _search front
 * (test/fakes/elasticsearch-search.ts) that the output writes through and
 * the queries read from; the dashboard's API answers with
 * `query_backend = "es"`. Expected answers are worked out by hand; where
 * they differ from the SQLite store's, the comment says why.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { FakeElasticsearch, type Flavor } from '../../fakes/elasticsearch-server.ts';
import { FakeSearchFront } from '../../fakes/elasticsearch-search.ts';
import { loadConfig } from '../../../src/core/config.ts';
import { builtinRegistry } from '../../../src/core/builtin-plugins.ts';
import { startServer, type RunningServer } from '../../../src/core/server.ts';
import { captureLogs } from '../../helpers/logs.ts';
import { removeDir, tempDir, writeFiles } from '../../helpers/temp.ts';
import { waitFor } from '../../helpers/wait.ts';
import {
  BLAS, BLAS64, FIXTURE, LATER, LATER_FROM, LIBC, LIBM, LIBOGRT, LIBX, SIG_BLAS, SIG_BLAS64, SIG_SIM, VDSO, getJson, sendTcp, loudly,
} from './store-harness.ts';

interface EsSetup {
  readonly es: FakeElasticsearch;
  readonly front: FakeSearchFront;
  readonly server: RunningServer;
  readonly url: string;
  /** Sends the LATER fixture and waits for its documents. */
  sendLater(): Promise<void>;
  close(): Promise<void>;
}

async function start(flavor: Flavor, schema: 'ogrt' | 'ecs'): Promise<EsSetup> {
  const es = await FakeElasticsearch.start({ flavor });
  const front = await FakeSearchFront.start(es);
  const dir = await tempDir('ogrt-es-queries-');
  await writeFiles(dir, {
    'ogrt.conf': `
[inputs.direct]
type = "tcp"
listen = "127.0.0.1:0"
[outputs.es]
type = "elasticsearch"
flavor = "${flavor}"
schema = "${schema}"
url = "${front.url}"
batch = { max_events = 100, timeout_ms = 20 }
[dashboard]
listen = "127.0.0.1:0"
query_backend = "es"
`,
  });
  const config = await loadConfig({ configPath: path.join(dir, 'ogrt.conf'), registry: builtinRegistry() });
  const server = await startServer({ config, logger: captureLogs('warn').logger });
  const [host, port] = server.inputs[0].addresses[0].split(':');
  await sendTcp(host, Number(port), FIXTURE);
  await waitFor(() => es.documents().length === FIXTURE.length, 5_000, 'documents in the fake store');
  return {
    es,
    front,
    server,
    url: server.dashboard!.url,
    async sendLater() {
      await sendTcp(host, Number(port), LATER);
      await waitFor(() => es.documents().length === FIXTURE.length + LATER.length, 5_000, 'the LATER documents');
    },
    async close() {
      await server.stop('test done');
      await front.stop();
      await es.stop();
      await removeDir(dir);
    },
  };
}

let setup: EsSetup;
test.before(loudly(async () => {
  setup = await start('elasticsearch', 'ogrt');
}));
test.after(async () => {
  await setup.close();
});

const get = async (p: string) => (await getJson(`${setup.url}${p}`)).body;

test('affected jobs by signature: the same jobs, users, hosts and counts as from SQLite', async () => {
  const b = await get(`/api/queries/affected-jobs?signature=${SIG_BLAS}`);
  assert.equal(b.jobs, [
    { job_id: '100', users: ['alice'], hosts: ['node1', 'node2'], first_seen: '2026-11-01T10:00:00.000001Z', last_seen: '2026-11-01T10:05:00.000000Z', processes: 2 },
    // The library came with the dlopen record: in Elasticsearch its time is the record's.
    { job_id: '101', users: ['bob'], hosts: ['node1'], first_seen: '2026-11-02T08:00:01.000000Z', last_seen: '2026-11-02T08:00:01.000000Z', processes: 1 },
    { job_id: null, users: ['dave'], hosts: ['node4'], first_seen: '2026-11-05T00:00:00.000000Z', last_seen: '2026-11-05T00:00:00.000000Z', processes: 1 },
  ]);
  assert.equal(b.matched, [{ kind: 'library', path: BLAS, signature: SIG_BLAS, processes: 4 }]);
  assert.is(b.truncated, false);
  const sim = await get(`/api/queries/affected-jobs?signature=${SIG_SIM}`);
  assert.equal(sim.jobs.map((j: any) => [j.job_id, j.processes]), [['100', 1]]);
  assert.equal(sim.matched, [{ kind: 'executable', path: '/home/alice/bin/sim', signature: SIG_SIM, processes: 1 }]);
});

test('affected jobs by library glob and time range; exact paths are terms, globs wildcard queries', async () => {
  const b = await get(`/api/queries/affected-jobs?library=${encodeURIComponent('libopenblas*.so*')}`);
  assert.equal(b.jobs.map((j: any) => j.job_id), ['100', '101', '102', null]);
  assert.equal(b.matched, [
    { kind: 'library', path: BLAS, signature: SIG_BLAS, processes: 4 },
    { kind: 'library', path: BLAS64, signature: SIG_BLAS64, processes: 1 },
  ]);
  const ranged = await get(`/api/queries/affected-jobs?library=${encodeURIComponent('*/libopenblas*')}&from=2026-11-02&to=2026-11-04`);
  assert.equal(ranged.jobs.map((j: any) => j.job_id), ['101', '102']);
  const exact = await get(`/api/queries/affected-jobs?library=${encodeURIComponent(LIBM)}`);
  assert.equal(exact.jobs.map((j: any) => j.job_id), ['100', '103']);
  const searches = setup.front.searches.map((q) => JSON.stringify(q.query));
  assert.ok(searches.some((q) => q.includes('"wildcard":{"shared_objects.path":{"value":"*/libopenblas*.so*"}}')), 'glob → wildcard');
  assert.ok(searches.some((q) => q.includes(`"term":{"shared_objects.path":"${LIBM}"}`)), 'exact → term');
  const limited = await get(`/api/queries/affected-jobs?signature=${SIG_BLAS}&limit=2`);
  assert.equal([limited.jobs.length, limited.truncated], [2, true]);
});

test('census: totals, executables (with builds), libraries (builds unknown: null), user-built', async () => {
  const b = await get('/api/queries/census');
  assert.equal(b.totals, { processes: 6, users: 4, jobs: 4, hosts: 4, executables: 5, libraries: 4, user_built_executables: 2 });
  assert.equal(b.executables.map((e: any) => [e.path, e.runs, e.users, e.jobs, e.hosts, e.signatures, e.user_built]), [
    ['/usr/bin/python3', 2, 2, 1, 2, 0, false],
    ['/home/alice/bin/sim', 1, 1, 1, 1, 1, true],
    ['/scratch/carol/a.out', 1, 1, 1, 1, 0, true],
    ['/usr/bin/R', 1, 1, 1, 1, 0, false],
    ['/usr/bin/bash', 1, 1, 1, 1, 0, false],
  ]);
  assert.equal(b.libraries.map((e: any) => [e.path, e.runs, e.users, e.jobs, e.hosts, e.signatures]), [
    [LIBC, 6, 4, 4, 4, null],
    [BLAS, 4, 3, 2, 3, null],
    [LIBM, 2, 2, 2, 2, null],
    [BLAS64, 1, 1, 1, 1, null],
  ]);
  assert.equal(b.user_built.map((e: any) => e.path), ['/home/alice/bin/sim', '/scratch/carol/a.out']);
});

test('job story: process, exit and dlopen documents put together in start order', async () => {
  const b = await get('/api/queries/job/100');
  assert.equal([b.total, b.truncated, b.users, b.hosts], [2, false, ['alice'], ['node1', 'node2']]);
  const [p1, p2] = b.processes;
  assert.equal([p1.binpath, p1.cmdline, p1.modules, p1.environment, p1.exit, p1.libraries.map((l: any) => l.path)], [
    '/usr/bin/python3', 'python3 fit.py', ['gcc/12.2.0', 'openblas/0.3.21'], [{ name: 'OMP_NUM_THREADS', value: '4' }],
    { time: '2026-11-01T10:00:30.000001Z', status: 0, wall_time_us: 30_000_000, max_rss_kb: 51_200 }, [LIBC, BLAS],
  ]);
  assert.is(p2.signature, SIG_SIM);
  const bash = await get('/api/queries/job/101');
  assert.equal(bash.processes[0].libraries, [{ path: LIBC, signature: null, dlopen_time: null }, { path: BLAS, signature: SIG_BLAS, dlopen_time: '2026-11-02T08:00:01.000000Z' }]);
});

test('LATER: users without a name are uid:N; only executables at absolute paths are user-built; sort=jobs', async () => {
  await setup.sendLater();
  const libx = await get(`/api/queries/affected-jobs?library=${encodeURIComponent(LIBX)}`);
  assert.equal(libx.jobs.map((j: any) => [j.job_id, j.users, j.processes]), [['J1', ['uid:1005'], 2], ['J3', [], 1]]);
  assert.equal((await get('/api/queries/job/J2')).users, ['erin', 'uid:1006']);
  const b = await get(`/api/queries/census?from=${LATER_FROM}`);
  assert.equal(b.totals, { processes: 11, users: 3, jobs: 8, hosts: 2, executables: 4, libraries: 3, user_built_executables: 1 });
  assert.equal(b.executables.map((e: any) => [e.path, e.runs, e.users, e.jobs, e.user_built]), [
    ['/usr/bin/env', 4, 1, 2, false],
    ['/home/erin/bin/model', 3, 2, 3, true],
    ['/usr/bin/sleep', 3, 1, 3, false],
    ['a.out', 1, 1, 1, false],
  ]);
  assert.equal(b.libraries.map((e: any) => [e.path, e.runs, e.users, e.user_built]), [[VDSO, 4, 3, false], [LIBX, 3, 1, false], [LIBOGRT, 2, 2, false]]);
  assert.equal(b.user_built.map((e: any) => e.path), ['/home/erin/bin/model']);
  const jobs = await get(`/api/queries/census?from=${LATER_FROM}&sort=jobs`);
  assert.equal([jobs.query.sort, jobs.executables.map((e: any) => e.path)], ['jobs', ['/home/erin/bin/model', '/usr/bin/sleep', '/usr/bin/env', 'a.out']]);
  assert.ok(setup.front.searches.some((q) => JSON.stringify(q).includes('"order":{"jobs":"desc"}')), 'ordered by the jobs sub-aggregation');
});

test('OpenSearch with the ECS schema: the same answers from the ECS field names', async () => {
  const os = await start('opensearch', 'ecs');
  try {
    const q = async (p: string) => (await getJson(`${os.url}${p}`)).body;
    assert.equal((await q(`/api/queries/affected-jobs?signature=${SIG_BLAS}`)).jobs.map((j: any) => [j.job_id, j.users, j.processes]), [
      ['100', ['alice'], 2], ['101', ['bob'], 1], [null, ['dave'], 1],
    ]);
    assert.equal((await q(`/api/queries/affected-jobs?library=${encodeURIComponent('*/blas64/*')}`)).jobs.map((j: any) => j.job_id), ['102']);
    const census = await q('/api/queries/census?limit=1');
    assert.equal([census.totals.processes, census.executables[0].path, census.libraries[0].path], [6, '/usr/bin/python3', LIBC]);
    const story = await q('/api/queries/job/100');
    assert.equal(story.processes.map((p: any) => [p.binpath, p.exit?.status ?? null]), [['/usr/bin/python3', 0], ['/home/alice/bin/sim', null]]);
    await os.sendLater();
    assert.equal((await q('/api/queries/job/J2')).users, ['erin', 'uid:1006'], 'user.id of ECS');
    assert.equal((await q(`/api/queries/census?from=${LATER_FROM}`)).totals.users, 3);
    assert.ok(os.front.searches.some((s) => JSON.stringify(s).includes('"ogrt.shared_objects.signature"')), 'ECS field names are queried');
  } finally {
    await os.close();
  }
});

test('a store that cannot be reached answers 502 with the store error', async () => {
  await setup.front.stop();
  const r = await getJson(`${setup.url}/api/queries/census`);
  assert.equal([r.status, r.body.error.code], [502, 'OGRT_ERR_QUERY_STORE']);
  assert.match(r.body.error.message, /connection/i);
});

test.run();
