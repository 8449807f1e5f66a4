// Tests of the slurm-enrich filter with lookup files in a temporary directory.
// Run with `node --test` in this folder (needs `ogrt` importable, see README.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ogrt from 'ogrt';
import slurmEnrichFilter, { parseJobs } from '../index.mjs';

const plugin = slurmEnrichFilter(ogrt);
let dir;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'slurm-enrich-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function context() {
  const quiet = () => undefined;
  return { id: 'slurm', log: { debug: quiet, info: quiet, warn: quiet, error: quiet }, metrics: { increment: quiet, setGauge: quiet }, signal: new AbortController().signal, configDir: dir };
}

async function started(file, options = {}) {
  const f = plugin.create(context(), { file, reload_interval_ms: 0, overwrite: false, ...options });
  await f.start();
  return f;
}

function record(fields = {}) {
  return { uuid: randomUUID(), kind: 'process', time: '2026-11-24T21:40:08.123456Z', hostname: 'node042', pid: 1, shared_objects: [], loaded_modules: [], environment_variables: [], ...fields };
}

const env = (r) => Object.fromEntries(r.environment_variables.map((e) => [e.name, e.value]));

test('parseJobs: header, comments, blank lines and missing fields', () => {
  const jobs = parseJobs('job_id,account,partition\n# nightly\n4242,physics,gpu\n\n77, chem , \n');
  assert.deepEqual([...jobs], [['4242', { account: 'physics', partition: 'gpu' }], ['77', { account: 'chem', partition: '' }]]);
});

test('adds account and partition to records of known jobs, in place; others unchanged', async () => {
  await writeFile(path.join(dir, 'jobs.csv'), '4242,physics,gpu\n77,chem,\n');
  const f = await started('jobs.csv');
  const known = record({ job_id: '4242', environment_variables: [{ name: 'HOME', value: '/home/a' }] });
  const partial = record({ job_id: '77' });
  const unknown = record({ job_id: '1' });
  const noJob = record();
  const out = f.process([known, partial, unknown, noJob]);
  assert.deepEqual(out, [known, partial, unknown, noJob]);
  assert.equal(out[0], known, 'same objects');
  assert.deepEqual(env(known), { HOME: '/home/a', SLURM_JOB_ACCOUNT: 'physics', SLURM_JOB_PARTITION: 'gpu' });
  assert.deepEqual(env(partial), { SLURM_JOB_ACCOUNT: 'chem' });
  assert.deepEqual(env(unknown), {});
  assert.deepEqual(env(noJob), {});
  assert.deepEqual(f.health(), { ok: true, detail: '2 jobs' });
});

test('values the record already carries are kept, unless overwrite = true', async () => {
  await writeFile(path.join(dir, 'jobs.csv'), '4242,physics,gpu\n');
  const carried = () => record({ job_id: '4242', environment_variables: [{ name: 'SLURM_JOB_PARTITION', value: 'debug' }] });
  const kept = (await started('jobs.csv')).process([carried()])[0];
  assert.deepEqual(env(kept), { SLURM_JOB_PARTITION: 'debug', SLURM_JOB_ACCOUNT: 'physics' });
  const replaced = (await started('jobs.csv', { overwrite: true })).process([carried()])[0];
  assert.deepEqual(env(replaced), { SLURM_JOB_PARTITION: 'gpu', SLURM_JOB_ACCOUNT: 'physics' });
});

test('a missing file fails start() (the server then refuses to start)', async () => {
  const f = plugin.create(context(), { file: 'nope.csv', reload_interval_ms: 0, overwrite: false });
  await assert.rejects(f.start(), /ENOENT/);
});

test('a changed file is read again; a reload that fails keeps the old table and reports unhealthy', async () => {
  const file = path.join(dir, 'changing.csv');
  await writeFile(file, '1,old,cpu\n');
  await utimes(file, 1_000, 1_000);
  const f = await started(file);
  await writeFile(file, '1,new,gpu\n');
  await utimes(file, 2_000, 2_000);
  await f.reload();
  assert.deepEqual(env(f.process([record({ job_id: '1' })])[0]), { SLURM_JOB_ACCOUNT: 'new', SLURM_JOB_PARTITION: 'gpu' });

  await unlink(file);
  await f.reload();
  assert.equal(f.health().ok, false);
  assert.match(f.health().detail, /cannot reload .*changing\.csv: ENOENT.*still using the previous table \(1 jobs\)/);
  assert.deepEqual(env(f.process([record({ job_id: '1' })])[0]), { SLURM_JOB_ACCOUNT: 'new', SLURM_JOB_PARTITION: 'gpu' });

  await writeFile(file, '1,back,cpu\n');
  await f.reload();
  assert.deepEqual(f.health(), { ok: true, detail: '1 jobs' });
  await f.stop();
});

test('the records it returns are valid OGRT records (what the server checks)', async () => {
  await writeFile(path.join(dir, 'jobs.csv'), '4242,physics,gpu\n');
  const f = await started('jobs.csv');
  const [r] = f.process([record({ job_id: '4242' })]);
  const allowed = Object.keys(ogrt.RecordSchema.properties);
  for (const key of Object.keys(r)) assert.ok(allowed.includes(key), key);
  assert.ok(r.environment_variables.every((e) => Object.keys(e).join() === 'name,value'));
});
