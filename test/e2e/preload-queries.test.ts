/**
 * The newcomer's path, for real: a library and a program stamped with known
 * signatures (preload/build/ogrt), run under preload/build/libogrt.so in two
 * "jobs", sent straight to ogrt-server over TCP, stored by output-sqlite;
 * then found by signature and by library name through the JSON API.
 * Needs `make -C preload` (npm install / npm test run it) and gcc.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/server.ts';
import { removeDir, tempDir, writeFiles } from '../helpers/temp.ts';
import { getJson, startStoreServer, type StoreServer, loudly } from '../core/queries/store-harness.ts';

const LIBOGRT = path.join(REPO_ROOT, 'preload/build/libogrt.so');
const OGRT_TOOL = path.join(REPO_ROOT, 'preload/build/ogrt');
const LIB_SIG = 'a1b2c3d4-0000-4000-8000-00000000d3e0';
const APP_SIG = 'a1b2c3d4-0000-4000-8000-0000000000a1';

let s: StoreServer;
let dir: string;

test.before(loudly(async () => {
  assert.ok(existsSync(LIBOGRT) && existsSync(OGRT_TOOL), 'build the preload library first: make -C preload');
  s = await startStoreServer();
  dir = realpathSync(await tempDir('ogrt-demo-'));
  await writeFiles(dir, {
    'demo.c': 'int demo(void) { return 42; }\n',
    'main.c': 'int demo(void);\nint main(void) { return demo() - 42; }\n',
  });
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  run(OGRT_TOOL, ['generate-signature', '--uuid', LIB_SIG, '-o', 'libsig.o']);
  run(OGRT_TOOL, ['generate-signature', '--uuid', APP_SIG, '-o', 'appsig.o']);
  run('gcc', ['-shared', '-fPIC', '-o', 'libdemo.so', 'demo.c', 'libsig.o']);
  run('gcc', ['-o', 'app', 'main.c', 'appsig.o', '-L.', '-ldemo', `-Wl,-rpath,${dir}`]);
  const [host, port] = s.server.inputs[0].addresses[0].split(':');
  for (const job of ['4242', '4243']) {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, USER: 'newcomer', LD_PRELOAD: LIBOGRT, OGRT_ACTIVE: '1', OGRT_TRANSPORT: `tcp://${host}:${port}`, SLURM_JOB_ID: job };
    execFileSync(path.join(dir, 'app'), [], { cwd: dir, env, stdio: 'ignore' });
  }
  await s.waitStored(2, 10_000);
}));

test.after(async () => {
  await s?.close();
  if (dir !== undefined) await removeDir(dir);
});

test('both jobs are found by the signature of the library they loaded, and by the library name', async () => {
  const bySig = await getJson(`${s.url}/api/queries/affected-jobs?signature=${LIB_SIG}`);
  assert.equal(bySig.body.jobs.map((j: any) => [j.job_id, j.users, j.hosts, j.processes]), [
    ['4242', ['newcomer'], [os.hostname()], 1],
    ['4243', ['newcomer'], [os.hostname()], 1],
  ]);
  assert.equal(bySig.body.matched, [{ kind: 'library', path: path.join(dir, 'libdemo.so'), signature: LIB_SIG, processes: 2 }]);
  const byName = await getJson(`${s.url}/api/queries/affected-jobs?library=libdemo.so`);
  assert.equal(byName.body.jobs.map((j: any) => j.job_id), ['4242', '4243']);
  const byApp = await getJson(`${s.url}/api/queries/affected-jobs?signature=${APP_SIG}`);
  assert.equal(byApp.body.matched.map((m: any) => [m.kind, m.path]), [['executable', path.join(dir, 'app')]]);
});

test("a job's story shows the program, its signature and its libraries", async () => {
  const story = await getJson(`${s.url}/api/queries/job/4242`);
  const [p] = story.body.processes;
  assert.equal([story.body.total, p.binpath, p.signature, p.username], [1, path.join(dir, 'app'), APP_SIG, 'newcomer']);
  const libs = p.libraries.map((l: any) => [path.basename(l.path), l.signature]);
  assert.ok(libs.some(([name, sig]: [string, string]) => name === 'libdemo.so' && sig === LIB_SIG), JSON.stringify(libs));
  assert.ok(libs.some(([name]: [string]) => /^libc\.so/.test(name)), JSON.stringify(libs));
});

test.run();
