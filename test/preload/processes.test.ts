/**
 * libogrt.so across threads, fork, vfork, posix_spawn and exec: every exec
 * is a new process record; a forked child that does not exec is the same
 * program (no record of its own, its dlopens tie to the parent's uuid); a
 * library listed twice in LD_PRELOAD records once.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { baseEnv, drain, gcc, LIB, processRecords, runPreloaded, signatureAsm, unixReceiver, withoutSentinels } from './harness.ts';
import { tempDir, removeDir } from '../helpers/temp.ts';

const U_PLUG = '0b9c6a2e-2f7d-4c41-9a38-5e1f0d6c7b21';
let dir = '';

const PROG = `
#include <dlfcn.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
extern char **environ;
static const char *plug;

static void *worker(void *arg) {
  char tag[32];
  snprintf(tag, sizeof tag, "thread-%ld", (long)arg);
  pid_t pid = fork();
  if (pid == 0) { execl("/bin/true", "/bin/true", tag, (char *)NULL); _exit(127); }
  int st;
  waitpid(pid, &st, 0);
  return (void *)(long)(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(int argc, char **argv) {
  plug = argv[1];
  pthread_t t[4];
  for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, worker, (void *)i);
  int ok = 1;
  for (int i = 0; i < 4; i++) { void *r; pthread_join(t[i], &r); ok &= r != NULL; }
  /* fork without exec: the same program; its dlopen is reported with its pid */
  pid_t child = fork();
  if (child == 0) {
    if (!dlopen(plug, RTLD_NOW)) _exit(3);
    printf("child %d\\n", (int)getpid());
    fflush(stdout);
    exit(0);
  }
  int st;
  waitpid(child, &st, 0);
  ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
  pid_t v = vfork();
  if (v == 0) { execl("/bin/true", "/bin/true", "vfork", (char *)NULL); _exit(127); }
  waitpid(v, &st, 0);
  ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
  char *sargv[] = { "/bin/true", "spawn", NULL };
  pid_t s;
  ok &= posix_spawn(&s, "/bin/true", NULL, NULL, sargv, environ) == 0;
  waitpid(s, &st, 0);
  ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
  return ok ? 0 : 1;
}
`;

test.before(async () => {
  dir = await tempDir('ogrt-proc-');
  writeFileSync(path.join(dir, 'prog.c'), PROG);
  writeFileSync(path.join(dir, 'plug.c'), 'int plug_value(void) { return 7; }\n');
  writeFileSync(path.join(dir, 'stamp.S'), signatureAsm(U_PLUG));
  gcc(dir, ['-O2', '-pthread', '-o', 'prog', 'prog.c', '-ldl']);
  gcc(dir, ['-shared', '-fPIC', '-o', 'libplug.so', 'plug.c', 'stamp.S']);
});

test.after(async () => {
  await removeDir(dir);
});

test('threads fork+exec, fork without exec, vfork, posix_spawn', async () => {
  const rx = await unixReceiver(dir);
  try {
    const plug = path.join(dir, 'libplug.so');
    const r = await runPreloaded(path.join(dir, 'prog'), [plug], baseEnv({ OGRT_TRANSPORT: rx.transport, OGRT_EXIT_RECORD: '1' }));
    assert.is(r.code, 0, r.stderr.toString());
    const childPid = Number(/child (\d+)/.exec(r.stdout.toString())?.[1]);
    await rx.waitRecords(7);
    await drain(rx);
    const recs = withoutSentinels(rx.records());
    const procs = processRecords(recs);
    const main = procs.find((p) => p.pid === r.pid)!;
    assert.ok(main, 'record of the program');
    const cmdlines = procs.filter((p) => p !== main).map((p) => p.cmdline).sort();
    assert.equal(cmdlines, ['/bin/true spawn', '/bin/true thread-0', '/bin/true thread-1', '/bin/true thread-2', '/bin/true thread-3', '/bin/true vfork']);
    for (const p of procs) if (p !== main) assert.is(p.parent_pid, r.pid);
    assert.not.ok(procs.some((p) => p.pid === childPid), 'no process record for the forked child');
    const dl = recs.filter((x) => x.kind === 'dlopen');
    assert.is(dl.length, 1, JSON.stringify(dl));
    assert.is(dl[0].pid, childPid);
    assert.is(dl[0].process_uuid, main.uuid);
    assert.equal(dl[0].shared_objects, [{ path: plug, signature: U_PLUG }]);
    const exits = recs.filter((x) => x.kind === 'exit' && x.process_uuid === main.uuid);
    assert.is(exits.length, 1, 'one exit record for the program, none for the forked child');
    assert.is(exits[0].pid, r.pid);
  } finally {
    await rx.close();
  }
});

test('the library listed twice in LD_PRELOAD (same path, and a second copy) records once', async () => {
  const rx = await unixReceiver(dir);
  try {
    const copy = path.join(dir, 'libogrt-copy.so');
    copyFileSync(LIB, copy);
    const env = baseEnv({ OGRT_TRANSPORT: rx.transport, OGRT_EXIT_RECORD: '1' });
    let r = await runPreloaded('/bin/true', ['same'], { ...env, LD_PRELOAD: `${LIB}:${LIB}` });
    assert.is(r.code, 0);
    r = await runPreloaded('/bin/true', ['copy'], { ...env, LD_PRELOAD: `${LIB} ${copy}` });
    assert.is(r.code, 0);
    r = await runPreloaded(path.join(dir, 'prog'), [path.join(dir, 'libplug.so')], { ...env, LD_PRELOAD: `${copy}:${LIB}` });
    assert.is(r.code, 0);
    await rx.waitRecords(4);
    await drain(rx);
    const recs = withoutSentinels(rx.records());
    const byCmd = (c: string) => recs.filter((x) => x.kind === 'process' && x.cmdline === c).length;
    assert.is(byCmd('/bin/true same'), 1);
    assert.is(byCmd('/bin/true copy'), 1);
    assert.is(byCmd(`${path.join(dir, 'prog')} ${path.join(dir, 'libplug.so')}`), 1);
    assert.is(recs.filter((x) => x.kind === 'dlopen').length, 1, 'dlopen reported once through two interposers');
    const procUuids = recs.filter((x) => x.kind === 'process').map((x) => x.uuid).sort();
    const exitOf = recs.filter((x) => x.kind === 'exit').map((x) => x.process_uuid).sort();
    assert.equal(exitOf, procUuids, 'exactly one exit record per process record');
  } finally {
    await rx.close();
  }
});

test.run();
