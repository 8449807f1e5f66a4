/**
 * libogrt.so end to end: real programs under LD_PRELOAD, records received
 * over a unix datagram socket and over TCP, decoded with src/core/wire.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { realpathSync } from 'node:fs';
import { baseEnv, drain, processRecords, runPreloaded, tcpReceiver, unixReceiver, withoutSentinels, LIB } from './harness.ts';
import { tempDir, removeDir } from '../helpers/temp.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('bash -c true over a unix datagram socket: one process record with every field', async () => {
  const dir = await tempDir();
  const rx = await unixReceiver(dir);
  try {
    const r = await runPreloaded('/bin/bash', ['-c', 'true'], baseEnv({ OGRT_TRANSPORT: rx.transport, USER: 'alice', OMP_NUM_THREADS: '4' }));
    assert.is(r.code, 0);
    assert.is(r.stdout.length + r.stderr.length, 0, 'stdout and stderr untouched');
    const [rec] = await rx.waitRecords(1);
    assert.is(rec.kind, 'process');
    assert.ok(UUID.test(rec.uuid), rec.uuid);
    assert.is(rec.pid, r.pid);
    assert.is(rec.parent_pid, process.pid);
    assert.is(rec.uid, process.getuid!());
    assert.is(rec.username, 'alice');
    assert.is(rec.binpath, realpathSync('/bin/bash'));
    assert.is(rec.cmdline, '/bin/bash -c true');
    assert.is(rec.hostname.length > 0, true);
    assert.ok(Math.abs(Date.parse(rec.time) - Date.now()) < 60_000, rec.time);
    const paths = rec.shared_objects.map((s) => s.path);
    assert.ok(paths.includes(LIB), `libogrt.so listed: ${paths}`);
    assert.ok(paths.some((p) => /\/libc\.so\.6$/.test(p)), `libc listed: ${paths}`);
    assert.equal(rec.environment_variables, [
      { name: 'OMP_NUM_THREADS', value: '4' },
      { name: 'PATH', value: '/usr/local/bin:/usr/bin:/bin' },
    ]);
    assert.equal(rec.loaded_modules, []);
    assert.is(rec.job_id, undefined);
    assert.is(rx.messages().length, 1);
  } finally {
    await rx.close();
    await removeDir(dir);
  }
});

test('python3 -c pass over TCP (octet counting): a record, one connection', async () => {
  const rx = await tcpReceiver();
  try {
    const r = await runPreloaded('/usr/bin/python3', ['-c', 'pass'], baseEnv({ OGRT_TRANSPORT: rx.transport }));
    assert.is(r.code, 0);
    const recs = await rx.waitRecords(1);
    const proc = processRecords(recs);
    assert.is(proc.length, 1);
    assert.is(proc[0].binpath, realpathSync('/usr/bin/python3'));
    assert.is(proc[0].cmdline, '/usr/bin/python3 -c pass');
    assert.ok(rx.connections() >= 1);
  } finally {
    await rx.close();
  }
});

test('udp transport delivers the record', async () => {
  const dgram = await import('node:dgram');
  const sock = dgram.createSocket('udp4');
  const got: Buffer[] = [];
  sock.on('message', (m) => got.push(m));
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  try {
    const port = sock.address().port;
    const r = await runPreloaded('/bin/true', [], baseEnv({ OGRT_TRANSPORT: `udp://127.0.0.1:${port}` }));
    assert.is(r.code, 0);
    const { waitFor } = await import('../helpers/wait.ts');
    await waitFor(() => got.length === 1, 5000, 'a datagram');
    const { decodeMessage } = await import('../../src/core/wire.ts');
    const part = decodeMessage(got[0]);
    assert.is(part.kind, 'process');
    assert.is(part.fields?.binpath, realpathSync('/bin/true'));
  } finally {
    sock.close();
  }
});

test('forked+exec-ed children and an exec in place each get their own record', async () => {
  const dir = await tempDir();
  const rx = await unixReceiver(dir);
  try {
    const r = await runPreloaded('/bin/bash', ['-c', '/bin/true one; exec /bin/true two'], baseEnv({ OGRT_TRANSPORT: rx.transport }));
    assert.is(r.code, 0);
    const recs = await rx.waitRecords(3);
    const bash = recs.find((x) => x.cmdline?.startsWith('/bin/bash'))!;
    const trues = recs.filter((x) => x.cmdline?.startsWith('/bin/true'));
    assert.ok(bash);
    assert.equal(trues.map((t) => t.cmdline).sort(), ['/bin/true one', '/bin/true two']);
    const one = trues.find((t) => t.cmdline === '/bin/true one')!;
    const two = trues.find((t) => t.cmdline === '/bin/true two')!;
    assert.is(one.parent_pid, bash.pid, 'forked child of bash');
    assert.is(two.pid, bash.pid, 'exec in place keeps the pid');
    assert.is(two.parent_pid, bash.parent_pid);
    assert.is(new Set(recs.map((x) => x.uuid)).size, 3);
  } finally {
    await rx.close();
    await removeDir(dir);
  }
});

test('job id: first set variable of the list; OGRT_ENV_JOBID overrides; modules and env whitelist', async () => {
  const dir = await tempDir();
  const rx = await unixReceiver(dir);
  try {
    const env = baseEnv({
      OGRT_TRANSPORT: rx.transport,
      PBS_JOBID: '99.pbs',
      LSB_JOBID: '7',
      LOADEDMODULES: 'gcc/12.2.0::openmpi/4.1.5:',
      OGRT_ENV_VARS: 'B_VAR:A_VAR:MISSING',
      A_VAR: 'a=1',
      B_VAR: '',
    });
    await runPreloaded('/bin/true', [], env);
    let [rec] = await rx.waitRecords(1);
    assert.is(rec.job_id, '99.pbs');
    assert.equal(rec.loaded_modules, [{ name: 'gcc/12.2.0' }, { name: 'openmpi/4.1.5' }]);
    assert.equal(rec.environment_variables, [{ name: 'B_VAR', value: '' }, { name: 'A_VAR', value: 'a=1' }]);
    rx.clear();
    await runPreloaded('/bin/true', [], { ...env, OGRT_ENV_JOBID: 'MY_JOB', MY_JOB: 'x-1', SLURM_JOB_ID: '5', OGRT_ENV_VARS: '' });
    [rec] = await rx.waitRecords(1);
    assert.is(rec.job_id, 'x-1');
    assert.equal(rec.environment_variables, []);
    rx.clear();
    await runPreloaded('/bin/true', [], { ...env, OGRT_JOBID_VARS: 'NOPE:LSB_JOBID', OGRT_USERNAME_SOURCE: 'none', USER: 'bob' });
    [rec] = await rx.waitRecords(1);
    assert.is(rec.job_id, '7');
    assert.is(rec.username, undefined);
  } finally {
    await rx.close();
    await removeDir(dir);
  }
});

test('OGRT_USERNAME_SOURCE=nss asks the passwd database; env falls back to LOGNAME', async () => {
  const dir = await tempDir();
  const rx = await unixReceiver(dir);
  try {
    const { userInfo } = await import('node:os');
    await runPreloaded('/bin/true', [], baseEnv({ OGRT_TRANSPORT: rx.transport, OGRT_USERNAME_SOURCE: 'nss', USER: 'not-me' }));
    let [rec] = await rx.waitRecords(1);
    assert.is(rec.username, userInfo().username);
    rx.clear();
    await runPreloaded('/bin/true', [], baseEnv({ OGRT_TRANSPORT: rx.transport, LOGNAME: 'carol' }));
    [rec] = await rx.waitRecords(1);
    assert.is(rec.username, 'carol');
  } finally {
    await rx.close();
    await removeDir(dir);
  }
});

test('OGRT_EXIT_RECORD=1: exit record with status, wall time, max RSS, tied by process_uuid', async () => {
  const dir = await tempDir();
  const rx = await unixReceiver(dir);
  try {
    const r = await runPreloaded('/bin/bash', ['-c', 'exit 3'], baseEnv({ OGRT_TRANSPORT: rx.transport, OGRT_EXIT_RECORD: '1' }));
    assert.is(r.code, 3);
    const recs = await rx.waitRecords(2);
    const proc = recs.find((x) => x.kind === 'process')!;
    const exit = recs.find((x) => x.kind === 'exit')!;
    assert.ok(proc && exit, JSON.stringify(recs));
    assert.is(exit.process_uuid, proc.uuid);
    assert.is.not(exit.uuid, proc.uuid);
    assert.is(exit.exit_status, 3);
    assert.is(exit.pid, proc.pid);
    assert.ok(exit.wall_time_us! > 0 && exit.wall_time_us! < 60e6, String(exit.wall_time_us));
    assert.ok(exit.max_rss_kb! > 0, String(exit.max_rss_kb));
    assert.is(exit.shared_objects.length, 0);
  } finally {
    await rx.close();
    await removeDir(dir);
  }
});

test('exit record is off by default', async () => {
  const dir = await tempDir();
  const rx = await unixReceiver(dir);
  try {
    await runPreloaded('/bin/bash', ['-c', 'exit 0'], baseEnv({ OGRT_TRANSPORT: rx.transport }));
    await drain(rx);
    assert.equal(withoutSentinels(rx.records()).map((x) => x.kind), ['process']);
  } finally {
    await rx.close();
    await removeDir(dir);
  }
});

test('OGRT_SKIP_PREFIXES and OGRT_SKIP_PATTERNS exclude programs, others are still recorded', async () => {
  const dir = await tempDir();
  const rx = await unixReceiver(dir);
  try {
    const truePath = realpathSync('/bin/true');
    await runPreloaded('/bin/bash', ['-c', '/bin/true; /usr/bin/env true'], baseEnv({ OGRT_TRANSPORT: rx.transport, OGRT_SKIP_PREFIXES: `/nonexistent:${truePath.slice(0, -2)}` }));
    const recs = await rx.waitRecords(2);
    await runPreloaded('/bin/true', [], baseEnv({ OGRT_TRANSPORT: rx.transport, OGRT_SKIP_PATTERNS: '*/tr?e' }));
    await runPreloaded('/bin/bash', ['-c', ':'], baseEnv({ OGRT_TRANSPORT: rx.transport, OGRT_SKIP_PATTERNS: '*/tr?e' }));
    const all = await rx.waitRecords(3);
    assert.equal(recs.map((x) => x.binpath).sort(), [realpathSync('/bin/bash'), realpathSync('/usr/bin/env')].sort());
    assert.equal(all.map((x) => x.binpath).sort(), [realpathSync('/bin/bash'), realpathSync('/bin/bash'), realpathSync('/usr/bin/env')].sort());
  } finally {
    await rx.close();
    await removeDir(dir);
  }
});

test.run();
