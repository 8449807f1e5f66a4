/**
 * `ogrt-server query …` as a child process, finding the store through
 * --config, on a store filled through the real pipeline.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { runCli } from '../../helpers/server.ts';
import { runQueryCommand } from '../../../src/core/queries/cli.ts';
import { builtinRegistry } from '../../../src/core/builtin-plugins.ts';
import { withTempDir, writeFiles } from '../../helpers/temp.ts';
import { BLAS, FIXTURE, SIG_BLAS, startStoreServer, type StoreServer, loudly } from './store-harness.ts';
import { makeRecord } from '../../helpers/records.ts';

let s: StoreServer;
const ESC_JOB = makeRecord({ job_id: '900', username: 'eve', binpath: '/tmp/x', cmdline: 'echo \u001b[2J\u001b[31mgotcha', time: '2026-11-06T00:00:00.000000Z' });

test.before(loudly(async () => {
  s = await startStoreServer();
  await s.send([...FIXTURE, ESC_JOB]);
  await s.waitStored(FIXTURE.length + 1);
  await s.stop();
}));

test.after(async () => {
  await s.close();
});

/** As a child process: the real command. */
const query = (...args: string[]) => runCli(['query', ...args, '--config', s.configFile], { cwd: s.dir });

/** In-process (fast) for the cases where the process boundary adds nothing. */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runQueryCommand(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), registry: async () => builtinRegistry() });
  return { code, stdout, stderr };
}

test('affected-jobs --signature prints a table of jobs with processes, first/last seen, users and hosts', async () => {
  const r = await query('affected-jobs', '--signature', SIG_BLAS);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.is(lines[0], `3 job(s) for signature ${SIG_BLAS}:`);
  assert.match(lines[2], /^JOB +PROCESSES +FIRST SEEN \(UTC\) +LAST SEEN \(UTC\) +USERS +HOSTS$/);
  assert.match(lines[4], /^100 +2 +2026-11-01 10:00:00 +2026-11-01 10:05:00 +alice +node1,node2$/);
  assert.match(lines[5], /^101 +1 +2026-11-02 08:00:00 +2026-11-02 08:00:00 +bob +node1$/);
  assert.match(lines[6], /^\(no job\) +1 +2026-11-05 00:00:00 +2026-11-05 00:00:00 +dave +node4$/);
  assert.ok(r.stdout.includes(`library          4  ${SIG_BLAS}  ${BLAS}`), r.stdout);
});

test('affected-jobs --library GLOB --from --to --json prints the API JSON', async () => {
  const r = await query('affected-jobs', '--library', 'libopenblas*', '--from', '2026-11-02', '--to', '2026-11-04', '--json');
  assert.is(r.code, 0, r.stderr);
  const body = JSON.parse(r.stdout);
  assert.equal(body.query, { library: 'libopenblas*', from: '2026-11-02T00:00:00.000000Z', to: '2026-11-04T00:00:00.000000Z' });
  assert.equal(body.jobs.map((j: { job_id: string }) => j.job_id), ['101', '102']);
});

test('census prints totals and the lists, marking user-built programs', async () => {
  const census = await inProcess(['census', '--limit', '3', '--config', s.configFile]);
  assert.is(census.code, 0, census.stderr);
  assert.match(census.stdout, /^7 processes, 5 users, 5 jobs, 5 hosts; 6 executables \(3 user-built\), 4 libraries$/m);
  assert.match(census.stdout, /^ +1 +1 +1 +1 +1 +2026-11-01 10:05:00 +\/home\/alice\/bin\/sim \[user-built\]$/m);
});

test('census --sort users orders the lists by distinct users and says so; --json echoes the sort', async () => {
  const text = await inProcess(['census', '--sort', 'users', '--config', s.configFile]);
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, /^Top executables by users:$/m);
  assert.match(text.stdout, /^Top libraries by users:$/m);
  const json = await inProcess(['census', '--sort', 'jobs', '--json', '--config', s.configFile]);
  const body = JSON.parse(json.stdout);
  assert.is(body.query.sort, 'jobs');
  const jobs = body.libraries.map((e: { jobs: number }) => e.jobs);
  assert.equal(jobs, [...jobs].sort((a: number, b: number) => b - a), 'most jobs first');
  const bad = await inProcess(['census', '--sort', 'hosts', '--config', s.configFile]);
  assert.equal([bad.code, /sort: must be one of runs, users, jobs/.test(bad.stderr)], [2, true]);
  const notCensus = await inProcess(['job', '100', '--sort', 'users', '--config', s.configFile]);
  assert.equal([notCensus.code, /--sort is for census only/.test(notCensus.stderr)], [2, true]);
});

test('job shows every process with its libraries (dlopen marked); control characters are escaped', async () => {
  const job = await query('job', '101');
  assert.is(job.code, 0, job.stderr);
  assert.match(job.stdout, /^Job 101: 1 process\(es\) by bob on node1/);
  assert.match(job.stdout, /^ {4}\/opt\/blas\/lib\/libopenblas\.so\.0 {2}\[b73c604d-c2e9-4057-ae31-586aa5ee29e3\] {2}\(dlopen 2026-11-02 08:00:01\)$/m);
  const esc = await query('job', '900');
  assert.ok(esc.stdout.includes('$ echo \\x1b[2J\\x1b[31mgotcha'), esc.stdout);
  assert.not.ok(esc.stdout.includes('\u001b'), 'no raw escape reaches the terminal');
});

test('bad command lines and bad queries exit 2 with the reason', async () => {
  const query = (...args: string[]) => inProcess([...args, '--config', s.configFile]);
  const none = await query();
  assert.is(none.code, 2);
  assert.match(none.stderr, /which query\?/);
  const both = await query('affected-jobs', '--signature', SIG_BLAS, '--library', '*');
  assert.equal([both.code, /exactly one of signature or library/.test(both.stderr)], [2, true]);
  const badSig = await query('affected-jobs', '--signature', 'abc');
  assert.equal([badSig.code, /signature: "abc" is not a uuid/.test(badSig.stderr)], [2, true]);
  const unknown = await query('census', '--nope');
  assert.equal([unknown.code, /Unknown option '--nope'/.test(unknown.stderr)], [2, true]);
  const help = await inProcess(['--help']);
  assert.equal([help.code, help.stdout.startsWith('Usage: ogrt-server query affected-jobs')], [0, true]);
});

test('no store to query: exit 1 naming why (no sqlite output; database not created yet)', async () => {
  await withTempDir(async (dir) => {
    await writeFiles(dir, {
      'file-only.conf': '[inputs.in]\ntype = "tcp"\n[outputs.local]\ntype = "file"\n',
      'fresh.conf': '[inputs.in]\ntype = "tcp"\n[outputs.store]\ntype = "sqlite"\npath = "never/ogrt.db"\n',
    });
    const fileOnly = await runCli(['query', 'census', '--config', path.join(dir, 'file-only.conf')], { cwd: dir });
    assert.is(fileOnly.code, 1);
    assert.match(fileOnly.stderr, /no store to query: no output of type "sqlite" and no dashboard\.query_backend .*\(OGRT_ERR_QUERY_NO_STORE\)/);
    const fresh = await inProcess(['job', '1', '--config', path.join(dir, 'fresh.conf')]);
    assert.is(fresh.code, 1);
    assert.match(fresh.stderr, /cannot open .*never\/ogrt\.db/);
  });
});

test.run();
