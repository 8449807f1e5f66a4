/**
 * The JSON API of every built-in query, on a store filled through the real
 * pipeline (TCP input → sqlite output) with FIXTURE; the expected answers
 * are worked out by hand from the fixture table in store-harness.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  BLAS, BLAS64, FIXTURE, FIXTURE_UUIDS, LIBC, LIBM, SIG_BLAS, SIG_BLAS64, SIG_SIM, getJson, loudly, startStoreServer, type StoreServer,
} from './store-harness.ts';
import { makeRecord } from '../../helpers/records.ts';

let s: StoreServer;

test.before(loudly(async () => {
  s = await startStoreServer();
  await s.send(FIXTURE);
  await s.waitStored(FIXTURE.length);
}));

test.after(async () => {
  await s.close();
});

const get = async (path: string) => {
  const r = await getJson(`${s.url}${path}`);
  return r;
};

const jobIds = (body: any) => body.jobs.map((j: any) => j.job_id);

test('affected jobs by signature: job ids with users, hosts, first/last seen; dlopen counts; a process outside a job is job null', async () => {
  const r = await get(`/api/queries/affected-jobs?signature=${SIG_BLAS}`);
  assert.is(r.status, 200);
  assert.equal(r.body, {
    query: { signature: SIG_BLAS },
    jobs: [
      { job_id: '100', users: ['alice'], hosts: ['node1', 'node2'], first_seen: '2026-11-01T10:00:00.000001Z', last_seen: '2026-11-01T10:05:00.000000Z', processes: 2 },
      { job_id: '101', users: ['bob'], hosts: ['node1'], first_seen: '2026-11-02T08:00:00.000000Z', last_seen: '2026-11-02T08:00:00.000000Z', processes: 1 },
      { job_id: null, users: ['dave'], hosts: ['node4'], first_seen: '2026-11-05T00:00:00.000000Z', last_seen: '2026-11-05T00:00:00.000000Z', processes: 1 },
    ],
    matched: [{ kind: 'library', path: BLAS, signature: SIG_BLAS, processes: 4 }],
    truncated: false,
  });
});

test('affected jobs by the signature of an executable; an unknown signature finds nothing', async () => {
  const sim = await get(`/api/queries/affected-jobs?signature=${SIG_SIM.toUpperCase()}`);
  assert.equal(jobIds(sim.body), ['100']);
  assert.is(sim.body.jobs[0].processes, 1);
  assert.equal(sim.body.jobs[0].hosts, ['node2']);
  assert.equal(sim.body.matched, [{ kind: 'executable', path: '/home/alice/bin/sim', signature: SIG_SIM, processes: 1 }]);
  const none = await get('/api/queries/affected-jobs?signature=11111111-2222-4333-8444-555555555555');
  assert.equal([none.status, none.body.jobs, none.body.matched], [200, [], []]);
});

test('affected jobs by library glob: a file-name glob matches in any directory; each matching (path, signature) is listed', async () => {
  const r = await get(`/api/queries/affected-jobs?library=${encodeURIComponent('libopenblas*.so*')}`);
  assert.equal(jobIds(r.body), ['100', '101', '102', null]);
  assert.equal(r.body.jobs[2], { job_id: '102', users: ['bob'], hosts: ['node3'], first_seen: '2026-11-03T12:00:00.000000Z', last_seen: '2026-11-03T12:00:00.000000Z', processes: 1 });
  assert.equal(r.body.matched, [
    { kind: 'library', path: BLAS, signature: SIG_BLAS, processes: 4 },
    { kind: 'library', path: BLAS64, signature: SIG_BLAS64, processes: 1 },
  ]);
  const dir = await get(`/api/queries/affected-jobs?library=${encodeURIComponent('*/blas64/*')}`);
  assert.equal(jobIds(dir.body), ['102']);
});

test('affected jobs by exact library path, and within a time range [from, to)', async () => {
  const exact = await get(`/api/queries/affected-jobs?library=${encodeURIComponent(LIBM)}`);
  assert.equal(exact.body.jobs.map((j: any) => [j.job_id, j.users, j.processes]), [['100', ['alice'], 1], ['103', ['carol'], 1]]);
  const ranged = await get(`/api/queries/affected-jobs?library=${encodeURIComponent('*/libopenblas*')}&from=2026-11-02&to=2026-11-03T12:00:00.000001Z`);
  assert.equal(ranged.body.query, { library: '*/libopenblas*', from: '2026-11-02T00:00:00.000000Z', to: '2026-11-03T12:00:00.000001Z' });
  assert.equal(jobIds(ranged.body), ['101', '102']);
  const before = await get(`/api/queries/affected-jobs?library=${encodeURIComponent('*/libopenblas*')}&to=2026-11-03T12:00:00Z`);
  assert.equal(jobIds(before.body), ['100', '101'], 'to is exclusive');
});

test('affected jobs: limit cuts the list and says so', async () => {
  const r = await get(`/api/queries/affected-jobs?signature=${SIG_BLAS}&limit=1`);
  assert.equal([jobIds(r.body), r.body.truncated], [['100'], true]);
});

test('census: totals, top executables and libraries by runs, user-built programs outside the system prefixes', async () => {
  const r = await get('/api/queries/census');
  assert.is(r.status, 200);
  assert.equal(r.body.totals, { processes: 6, users: 4, jobs: 4, hosts: 4, executables: 5, libraries: 4, user_built_executables: 2 });
  assert.equal(r.body.executables.map((e: any) => [e.path, e.runs, e.users, e.jobs, e.hosts, e.user_built]), [
    ['/usr/bin/python3', 2, 2, 1, 2, false],
    ['/home/alice/bin/sim', 1, 1, 1, 1, true],
    ['/scratch/carol/a.out', 1, 1, 1, 1, true],
    ['/usr/bin/R', 1, 1, 1, 1, false],
    ['/usr/bin/bash', 1, 1, 1, 1, false],
  ]);
  assert.equal(r.body.executables[0].first_seen, '2026-11-01T10:00:00.000001Z');
  assert.equal(r.body.executables[0].last_seen, '2026-11-05T00:00:00.000000Z');
  assert.equal(r.body.executables[1].signatures, 1);
  assert.equal(r.body.user_built.map((e: any) => e.path), ['/home/alice/bin/sim', '/scratch/carol/a.out']);
  assert.equal(r.body.libraries.map((e: any) => [e.path, e.runs, e.users, e.jobs, e.hosts, e.signatures]), [
    [LIBC, 6, 4, 4, 4, 0],
    [BLAS, 4, 3, 2, 3, 1],
    [LIBM, 2, 2, 2, 2, 0],
    [BLAS64, 1, 1, 1, 1, 1],
  ]);
  assert.ok(r.body.system_prefixes.includes('/usr/'));
});

test('census: limit per list (totals stay whole) and a time range', async () => {
  const top = await get('/api/queries/census?limit=1');
  assert.equal([top.body.executables.length, top.body.libraries.length, top.body.user_built.length], [1, 1, 1]);
  assert.is(top.body.totals.executables, 5);
  const late = await get('/api/queries/census?from=2026-11-03');
  assert.equal(late.body.totals, { processes: 3, users: 3, jobs: 2, hosts: 3, executables: 3, libraries: 4, user_built_executables: 1 });
});

test("job story: the job's processes in start order, with libraries, modules, environment and exit", async () => {
  const r = await get('/api/queries/job/100');
  assert.is(r.status, 200);
  const b = r.body;
  assert.equal([b.job_id, b.total, b.truncated, b.users, b.hosts, b.first_seen, b.last_seen], ['100', 2, false, ['alice'], ['node1', 'node2'], '2026-11-01T10:00:00.000001Z', '2026-11-01T10:05:00.000000Z']);
  const [p1, p2] = b.processes;
  assert.equal(p1, {
    uuid: FIXTURE_UUIDS.first,
    time: '2026-11-01T10:00:00.000001Z',
    hostname: 'node1',
    pid: 1001,
    parent_pid: 900,
    uid: 1001,
    username: 'alice',
    binpath: '/usr/bin/python3',
    signature: null,
    cmdline: 'python3 fit.py',
    modules: ['gcc/12.2.0', 'openblas/0.3.21'],
    environment: [{ name: 'OMP_NUM_THREADS', value: '4' }],
    exit: { time: '2026-11-01T10:00:30.000001Z', status: 0, wall_time_us: 30_000_000, max_rss_kb: 51_200 },
    complete: true,
    incomplete: false,
    libraries: [{ path: LIBC, signature: null, dlopen_time: null }, { path: BLAS, signature: SIG_BLAS, dlopen_time: null }],
  });
  assert.equal([p2.binpath, p2.signature, p2.libraries.map((l: any) => l.path)], ['/home/alice/bin/sim', SIG_SIM, [LIBC, BLAS, LIBM]]);
});

test('job story: a dlopen shows as a library with its time; limit; an unknown job is empty', async () => {
  const r = await get('/api/queries/job/101');
  assert.equal(r.body.processes[0].libraries, [{ path: LIBC, signature: null, dlopen_time: null }, { path: BLAS, signature: SIG_BLAS, dlopen_time: '2026-11-02T08:00:01.000000Z' }]);
  assert.is(r.body.processes[0].uuid, FIXTURE_UUIDS.bash);
  const one = await get('/api/queries/job/100?limit=1');
  assert.equal([one.body.processes.length, one.body.total, one.body.truncated], [1, 2, true]);
  const none = await get('/api/queries/job/nope');
  assert.equal([none.status, none.body.total, none.body.processes, none.body.first_seen], [200, 0, [], null]);
});

test('bad queries are 400 with the reason; unknown endpoints 404; both as { error: { code, message } }', async () => {
  const missing = await get('/api/queries/affected-jobs');
  assert.equal([missing.status, missing.body.error.code], [400, 'OGRT_ERR_QUERY_INVALID']);
  assert.match(missing.body.error.message, /exactly one of signature or library/);
  const badSig = await get('/api/queries/affected-jobs?signature=42');
  assert.equal([badSig.status, badSig.body.error.code], [400, 'OGRT_ERR_QUERY_INVALID']);
  const badTime = await get('/api/queries/census?from=soon');
  assert.match(badTime.body.error.message, /from: "soon"/);
  const nowhere = await get('/api/nowhere');
  assert.equal([nowhere.status, nowhere.body.error.code], [404, 'OGRT_ERR_HTTP_NOT_FOUND']);
});

test('/api/metrics: per input and output processed, rates, durations, queue, drops, retries, errors', async () => {
  const r = await get('/api/metrics');
  assert.is(r.status, 200);
  const [input] = r.body.inputs;
  const [output] = r.body.outputs;
  assert.equal([input.id, input.type, input.processed, input.discarded, input.errors], ['direct', 'tcp', FIXTURE.length, 0, 0]);
  assert.equal(Object.keys(input.rate), ['1m', '5m', '15m']);
  assert.equal([output.id, output.type, output.processed, output.queue_depth, output.buffer_bytes, output.dropped, output.dead_lettered, output.retries, output.errors],
    ['store', 'sqlite', FIXTURE.length, 0, 0, 0, 0, 0, 0]);
  assert.ok(output.duration.count >= 1 && output.duration.min_ms > 0 && output.duration.min_ms <= output.duration.median_ms && output.duration.median_ms <= output.duration.max_ms);
  assert.ok(Array.isArray(r.body.series.counters));
});

test('/metrics: Prometheus text with the core counters, EWMA rates and process metrics', async () => {
  const r = await get('/metrics');
  assert.is(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = r.body as string;
  assert.ok(text.includes(`ogrt_component_sent_events_total{component_kind="output",component_type="sqlite",component_id="store"} ${FIXTURE.length}`), 'stored counter');
  assert.ok(text.includes('# TYPE ogrt_component_sent_events_total counter'));
  assert.match(text, /ogrt_component_events_per_second\{component_kind="input",component_type="tcp",component_id="direct",window="15m"\} \d/);
  assert.match(text, /ogrt_component_batch_duration_seconds_median\{[^}]*component_id="store"\} [\d.e-]+/);
  assert.match(text, /^process_cpu_user_seconds_total \d/m);
});

test('/api/info names the store relative to ogrt.conf, not by the server\'s absolute path', async () => {
  const r = await get('/api/info');
  assert.equal([r.status, r.body.query_backend, r.body.auth], [200, 'sqlite data/ogrt.db', 'none']);
  assert.not.ok(JSON.stringify(r.body).includes(s.dir), 'no absolute path of the server');
});

test('the dashboard page and its scripts are served with a strict Content-Security-Policy', async () => {
  const page = await fetch(`${s.url}/`);
  assert.is(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  assert.match(await page.text(), /<script type="module" src="\/app\.js"><\/script>/);
  const js = await fetch(`${s.url}/app.js`);
  assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
  assert.not.match(await js.text(), /innerHTML/);
  const dom = await (await fetch(`${s.url}/dom.js`)).text();
  assert.not.match(dom.replace(/^\s*\/\/.*$/gm, ''), /innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
});

test('job ids with URL-special characters and of the longest allowed length (PBS array jobs, Slurm steps)', async () => {
  const odd = '1234[5].pbs/01 #x?y';
  const long = 'j'.repeat(255);
  await s.send([
    makeRecord({ job_id: odd, binpath: '/usr/bin/odd' }),
    makeRecord({ job_id: long, binpath: '/usr/bin/long' }),
  ]);
  await s.waitStored(FIXTURE.length + 2);
  const r = await get(`/api/queries/job/${encodeURIComponent(odd)}`);
  assert.equal([r.status, r.body.job_id, r.body.processes.map((p: any) => p.binpath)], [200, odd, ['/usr/bin/odd']]);
  const l = await get(`/api/queries/job/${long}`);
  assert.equal([l.status, l.body.total], [200, 1]);
  const tooLong = await get(`/api/queries/job/${long}j`);
  assert.equal([tooLong.status, tooLong.body.error.code], [400, 'OGRT_ERR_QUERY_INVALID']);
});

test.run();
