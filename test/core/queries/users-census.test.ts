/**
 * The LATER fixture (store-harness.ts) through the real pipeline into
 * SQLite: users without a name count by uid, only executables at absolute
 * paths can be user-built, and the census orders by runs, users or jobs.
 * Expected answers are worked out by hand from the table in store-harness.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LATER, LIBOGRT, LIBX, VDSO, getJson, loudly, startStoreServer, type StoreServer } from './store-harness.ts';

let s: StoreServer;

test.before(loudly(async () => {
  s = await startStoreServer();
  await s.send(LATER);
  await s.waitStored(LATER.length);
}));

test.after(async () => {
  await s.close();
});

const get = async (path: string) => (await getJson(`${s.url}${path}`)).body;
type Entry = { path: string; runs: number; users: number; jobs: number; user_built: boolean };
const rows = (entries: Entry[]) => entries.map((e) => [e.path, e.runs, e.users, e.jobs, e.user_built]);

test('users without a name ($USER unset) are uid:N in affected jobs and job stories', async () => {
  const libx = await get(`/api/queries/affected-jobs?library=${encodeURIComponent(LIBX)}`);
  assert.equal(libx.jobs.map((j: any) => [j.job_id, j.users, j.hosts, j.processes]), [
    ['J1', ['uid:1005'], ['node5', 'node6'], 2],
    ['J3', [], ['node5'], 1],
  ]);
  const preload = await get('/api/queries/affected-jobs?library=libogrt.so');
  assert.equal(preload.jobs.map((j: any) => [j.job_id, j.users]), [['J1', ['uid:1005']], ['J2', ['erin']]]);
  const story = await get('/api/queries/job/J2');
  assert.equal(story.users, ['erin', 'uid:1006']);
  assert.equal(story.processes.map((p: any) => [p.username, p.uid]), [[null, 1006], ['erin', 1007]]);
});

test('census: users count names and uids; user-built is for executables at absolute paths only (not the vDSO, not libogrt.so)', async () => {
  const r = await get('/api/queries/census');
  assert.equal(r.query, { limit: 20, sort: 'runs' });
  assert.equal(r.totals, { processes: 11, users: 3, jobs: 8, hosts: 2, executables: 4, libraries: 3, user_built_executables: 1 });
  assert.equal(rows(r.executables), [
    ['/usr/bin/env', 4, 1, 2, false],
    ['/home/erin/bin/model', 3, 2, 3, true],
    ['/usr/bin/sleep', 3, 1, 3, false],
    ['a.out', 1, 1, 1, false],
  ]);
  assert.equal(rows(r.user_built), [['/home/erin/bin/model', 3, 2, 3, true]]);
  assert.equal(rows(r.libraries), [
    [VDSO, 4, 3, 2, false],
    [LIBX, 3, 1, 2, false],
    [LIBOGRT, 2, 2, 2, false],
  ]);
});

test('census sort=users and sort=jobs: most first, ties by runs then path', async () => {
  const users = await get('/api/queries/census?sort=users');
  assert.is(users.query.sort, 'users');
  assert.equal(users.executables.map((e: Entry) => e.path), ['/home/erin/bin/model', '/usr/bin/env', '/usr/bin/sleep', 'a.out']);
  assert.equal(users.libraries.map((e: Entry) => e.path), [VDSO, LIBOGRT, LIBX]);
  const jobs = await get('/api/queries/census?sort=JOBS&limit=3');
  assert.is(jobs.query.sort, 'jobs');
  assert.equal(jobs.executables.map((e: Entry) => e.path), ['/home/erin/bin/model', '/usr/bin/sleep', '/usr/bin/env']);
  assert.equal(jobs.libraries.map((e: Entry) => e.path), [VDSO, LIBX, LIBOGRT]);
  assert.is(jobs.totals.executables, 4, 'totals stay whole');
  const bad = await getJson(`${s.url}/api/queries/census?sort=hosts`);
  assert.equal([bad.status, bad.body.error.code], [400, 'OGRT_ERR_QUERY_INVALID']);
  assert.match(bad.body.error.message, /sort: must be one of runs, users, jobs \(got "hosts"\)/);
});

test.run();
