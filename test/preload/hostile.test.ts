/**
 * libogrt.so must never disturb the program: missing receivers (stalled
 * ones: stall.test.ts), OGRT_ACTIVE unset, non-UTF-8 argv and environment, a huge environment,
 * hundreds of shared objects, closed standard fds, programs that close all
 * fds or exhaust them, daemons, programs that define libc functions
 * themselves or bring their own libm.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { baseEnv, buildPreload, drain, gcc, LIB, pairedAddedMs, runPlain, runPreloaded, signatureAsm, unixReceiver, withoutSentinels, type RunResult } from './harness.ts';
import { tempDir, removeDir } from '../helpers/temp.ts';
import { waitFor } from '../helpers/wait.ts';

let dir = '';
const U_PLUG = '0b9c6a2e-2f7d-4c41-9a38-5e1f0d6c7b21';

const FDPROG = `
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
/* The classic daemon: fork, setsid, fork again, close every fd; the
 * grandchild loads a library, leaves a marker file and execs a program. */
static int daemonize(const char *lib, const char *marker, const char *tag) {
  pid_t child = fork();
  if (child < 0) return 4;
  if (child == 0) {
    if (setsid() < 0) _exit(5);
    pid_t grandchild = fork();
    if (grandchild != 0) _exit(grandchild < 0 ? 6 : 0);
    for (int fd = 0; fd < 1024; fd++) close(fd);
    umask(022);
    void *h = dlopen(lib, RTLD_NOW);
    int (*value)(void) = h ? (int (*)(void))dlsym(h, "plug_value") : NULL;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", marker);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    dprintf(fd, "%d plug_value=%d\\n", (int)getpid(), value ? value() : -1);
    close(fd);
    if (h) dlclose(h);
    rename(tmp, marker);
    execl("/bin/true", "/bin/true", tag, (char *)NULL);
    _exit(127);
  }
  int st;
  if (waitpid(child, &st, 0) != child || !WIFEXITED(st)) return 7;
  printf("daemonized %d\\n", WEXITSTATUS(st));
  return 0;
}
int main(int argc, char **argv) {
  if (strcmp(argv[1], "daemonize") == 0) {
    int rc = daemonize(argv[2], argv[3], argv[4]);
    if (rc == 0) exit(0);
    return rc;
  }
  if (strcmp(argv[1], "close-all") == 0) {
    for (int fd = 0; fd < 1024; fd++) close(fd);
    if (!dlopen(argv[2], RTLD_NOW)) return 3;
    exit(0);
  }
  /* exhaust: every fd in use, then dlopen and exit: the records cannot be sent */
  if (!dlopen(argv[2], RTLD_NOW)) return 3;
  while (open("/dev/null", O_RDONLY) >= 0)
    ;
  puts("exhausted");
  exit(0);
}
`;

/* Sandboxes itself like a browser renderer: a seccomp filter that kills the
 * process on socket(2), then loads a library and exits normally. */
const SECCOMP = `
#include <dlfcn.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
int main(int argc, char **argv) {
  struct sock_filter f[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = { sizeof f / sizeof f[0], f };
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) return 5;
  if (!dlopen(argv[1], RTLD_NOW)) return 3;
  puts("sandboxed");
  exit(0);
}
`;

/* A program that defines getenv, strlen and memcpy itself and exports them
 * (-rdynamic), so that every object's calls to those names bind to it; its
 * getenv reads a table its own constructor sets up, and all three trap when
 * called before that. HOSTILE_NULL: getenv answers NULL until then instead.
 * It links libm from $ORIGIN/priv (RPATH), a private copy. */
const HOSTILE = `
#define _GNU_SOURCE
#include <link.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
extern char **environ;
static char **table;
__attribute__((constructor)) static void setup(void) { table = environ; }
size_t strlen(const char *s) {
  if (table == NULL) __builtin_trap();
  size_t n = 0;
  while (s[n] != '\\0') n++;
  return n;
}
void *memcpy(void *dst, const void *src, size_t n) {
  if (table == NULL) __builtin_trap();
  char *d = dst;
  const char *p = src;
  while (n-- > 0) *d++ = *p++;
  return dst;
}
char *getenv(const char *name) {
#ifdef HOSTILE_NULL
  if (table == NULL) return NULL;
#endif
  size_t len = strlen(name);
  for (char **e = table; *e != NULL; e++)
    if (strncmp(*e, name, len) == 0 && (*e)[len] == '=') return *e + len + 1;
  return NULL;
}
static int find_libm(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  if (strstr(info->dlpi_name, "libm.so.6") != NULL) *(const char **)arg = info->dlpi_name;
  return 0;
}
int main(int argc, char **argv) {
  const char *libm = "(none)", *a = getenv("HOSTILE_A");
  char copy[64] = "";
  dl_iterate_phdr(find_libm, &libm);
  memcpy(copy, argv[0], strlen(argv[0]) < sizeof copy - 1 ? strlen(argv[0]) : sizeof copy - 1);
  printf("HOSTILE_A=%s cos=%.6f libm=%s argv0=%s\\n", a ? a : "(unset)", cos(atof(argc > 1 ? argv[1] : "0")), libm, copy);
  return 3;
}
`;

test.before(async () => {
  buildPreload();
  dir = await tempDir('ogrt-hostile-');
  writeFileSync(path.join(dir, 'fdprog.c'), FDPROG);
  writeFileSync(path.join(dir, 'plug.c'), 'int plug_value(void) { return 7; }\n');
  writeFileSync(path.join(dir, 'stamp.S'), signatureAsm(U_PLUG));
  gcc(dir, ['-O2', '-o', 'fdprog', 'fdprog.c', '-ldl']);
  writeFileSync(path.join(dir, 'seccomp.c'), SECCOMP);
  gcc(dir, ['-O2', '-o', 'seccomp', 'seccomp.c', '-ldl']);
  gcc(dir, ['-shared', '-fPIC', '-o', 'libplug.so', 'plug.c', 'stamp.S']);
  writeFileSync(path.join(dir, 'hostile.c'), HOSTILE);
  mkdirSync(path.join(dir, 'priv'));
  copyFileSync(systemLibm(), path.join(dir, 'priv/libm.so.6'));
  // No builtins and no loop-to-memcpy rewriting: the program's own functions stay its own.
  const hostileFlags = ['-O2', '-fno-builtin', '-fno-tree-loop-distribute-patterns', '-rdynamic', 'hostile.c', '-Wl,--disable-new-dtags', '-Wl,-rpath,$ORIGIN/priv', '-lm'];
  gcc(dir, ['-o', 'hostile-trap', ...hostileFlags]);
  gcc(dir, ['-DHOSTILE_NULL', '-o', 'hostile-null', ...hostileFlags]);
});

/** The libm.so.6 the dynamic loader would use without an RPATH. */
function systemLibm(): string {
  const r = spawnSync('gcc', ['-print-file-name=libm.so.6'], { encoding: 'utf8' });
  const p = r.stdout.trim();
  if (r.status !== 0 || !p.startsWith('/')) throw new Error(`libm.so.6 not found: ${r.stderr}`);
  return realpathSync(p);
}

test.after(async () => {
  await removeDir(dir);
});

const SCRIPT = 'echo out; echo err >&2; exit 7';

function plain(): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync('/bin/bash', ['-c', SCRIPT], { env: baseEnv(), encoding: 'utf8' });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

test('receiver missing (unix, tcp, udp): same exit status and output as without the library, and no waiting', async () => {
  const want = plain();
  const port = await freePort();
  for (const transport of [`unix://${dir}/nobody.sock`, `tcp://127.0.0.1:${port}`, `udp://127.0.0.1:${port}`]) {
    // A long bound: a missing receiver must fail at once, not be waited for.
    const env = baseEnv({ OGRT_TRANSPORT: transport, OGRT_EXIT_RECORD: '1', OGRT_TIMEOUT_MS: '1000' });
    const r = await runPreloaded('/bin/bash', ['-c', SCRIPT], env);
    assert.is(r.code, want.status, transport);
    assert.is(r.stdout.toString(), want.stdout, transport);
    assert.is(r.stderr.toString(), want.stderr, transport);
    const { added, diffs } = await pairedAddedMs(5, () => runPlain('/bin/bash', ['-c', SCRIPT], baseEnv()), () => runPreloaded('/bin/bash', ['-c', SCRIPT], env));
    assert.ok(added < 50, `${transport}: median added ${added.toFixed(1)} ms over 5 pairs (${diffs.map((d) => d.toFixed(1)).join(', ')})`);
  }
});

function traceSockets(env: Record<string, string | undefined>): string {
  const out = path.join(dir, `strace-${Math.random().toString(36).slice(2)}.txt`);
  const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=socket,connect', '-o', out, '/usr/bin/env', '/bin/true'], {
    env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`strace: ${r.stderr}`);
  return readFileSync(out, 'utf8');
}

test('OGRT_ACTIVE unset, 0 or anything but 1: no socket is ever opened (strace)', () => {
  const env = baseEnv({ LD_PRELOAD: LIB, OGRT_TRANSPORT: `unix://${dir}/x.sock` });
  assert.match(traceSockets({ ...env, OGRT_ACTIVE: '1' }), /socket\(AF_UNIX/, 'control: active opens sockets');
  for (const active of [undefined, '0', 'yes', '', '1 ']) {
    const trace = traceSockets({ ...env, OGRT_ACTIVE: active });
    assert.not.match(trace, /socket\(|connect\(/, `OGRT_ACTIVE=${active}: ${trace}`);
  }
});

test('non-UTF-8 and control bytes in argv and environment arrive intact (percent form)', async () => {
  const rx = await unixReceiver(dir);
  try {
    const script = String.raw`export BAD=$'\xff\x01caf\xe9'; exec /bin/true $'caf\xe9' $'a\nb' '"q"]\'`;
    const r = await runPreloaded('/bin/bash', ['-c', script], baseEnv({ OGRT_TRANSPORT: rx.transport, OGRT_ENV_VARS: 'BAD' }));
    assert.is(r.code, 0);
    const recs = await rx.waitRecords(2);
    const t = recs.find((x) => x.binpath?.endsWith('/true'))!;
    assert.is(t.cmdline, '/bin/true caf\udce9 a\nb "q"]\\');
    assert.equal(t.environment_variables, [{ name: 'BAD', value: '\udcff\u0001caf\udce9' }]);
  } finally {
    await rx.close();
  }
});

test('huge environment with OGRT_ENV_VARS=all: a record in many parts, none over the size limit', async () => {
  const rx = await unixReceiver(dir);
  try {
    const extra: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) extra[`HUGE_${i}`] = String(i).padStart(6, '0') + 'x'.repeat(1000);
    const r = await runPreloaded('/bin/true', ['huge'], baseEnv({ OGRT_TRANSPORT: rx.transport, OGRT_ENV_VARS: 'all', OGRT_TIMEOUT_MS: '5000', ...extra }));
    assert.is(r.code, 0);
    const [rec] = await rx.waitRecords(1, 10_000);
    assert.ok(rx.messages().length > 100, `${rx.messages().length} parts`);
    for (const m of rx.messages()) assert.ok(m.length <= 8096, `message of ${m.length} bytes`);
    const huge = rec.environment_variables.filter((e) => e.name.startsWith('HUGE_'));
    assert.is(huge.length, 1000);
    for (const e of huge) assert.is(e.value, String(Number(e.name.slice(5))).padStart(6, '0') + 'x'.repeat(1000));
    assert.is(rec.cmdline, '/bin/true huge');
  } finally {
    await rx.close();
  }
});

test('300 shared objects (LD_PRELOAD copies): every one listed, record split into parts', async () => {
  const rx = await unixReceiver(dir);
  try {
    const libs = path.join(dir, 'many');
    mkdirSync(libs, { recursive: true });
    const paths: string[] = [];
    for (let i = 0; i < 300; i++) {
      const p = path.join(libs, `libcomponent-with-a-long-name-${String(i).padStart(4, '0')}.so`);
      copyFileSync(path.join(dir, 'libplug.so'), p);
      paths.push(p);
    }
    const r = await runPreloaded('/bin/true', ['many'], baseEnv({ OGRT_TRANSPORT: rx.transport, OGRT_MAX_MESSAGE_SIZE: '4096', LD_PRELOAD: [LIB, ...paths].join(':') }));
    assert.is(r.code, 0);
    const [rec] = await rx.waitRecords(1);
    assert.ok(rx.messages().length >= 6, `${rx.messages().length} parts`);
    for (const m of rx.messages()) assert.ok(m.length <= 4096);
    const listed = rec.shared_objects.filter((s) => s.path.startsWith(libs));
    assert.equal(listed.map((s) => s.path), paths);
    for (const s of listed) assert.is(s.signature, U_PLUG);
  } finally {
    await rx.close();
  }
});

test('closed stdin, stdout and stderr: the record is still sent', async () => {
  const rx = await unixReceiver(dir);
  try {
    const r = await runPreloaded('/bin/bash', ['-c', 'exec /bin/true closed <&- >&- 2>&-'], baseEnv({ OGRT_TRANSPORT: rx.transport }));
    assert.is(r.code, 0);
    const recs = await rx.waitRecords(2);
    assert.ok(recs.some((x) => x.cmdline === '/bin/true closed'));
  } finally {
    await rx.close();
  }
});

test('a program that closes every fd: later records open their own socket', async () => {
  const rx = await unixReceiver(dir);
  try {
    const plug = path.join(dir, 'libplug.so');
    const r = await runPreloaded(path.join(dir, 'fdprog'), ['close-all', plug], baseEnv({ OGRT_TRANSPORT: rx.transport, OGRT_EXIT_RECORD: '1' }));
    assert.is(r.code, 0);
    const recs = await rx.waitRecords(3);
    assert.equal(recs.map((x) => x.kind).sort(), ['dlopen', 'exit', 'process']);
    assert.equal(recs.find((x) => x.kind === 'dlopen')!.shared_objects, [{ path: plug, signature: U_PLUG }]);
  } finally {
    await rx.close();
  }
});

test('a daemon (fork, setsid, fork, close every fd): the grandchild\'s records arrive, the program behaves as without the library', async () => {
  const rx = await unixReceiver(dir);
  try {
    const plug = path.join(dir, 'libplug.so');
    const env = baseEnv({ OGRT_TRANSPORT: rx.transport, OGRT_EXIT_RECORD: '1' });
    const run = async (preloaded: boolean, tag: string) => {
      const marker = path.join(dir, tag);
      const args = ['daemonize', plug, marker, tag];
      const r = preloaded ? await runPreloaded(path.join(dir, 'fdprog'), args, env) : await runPlain(path.join(dir, 'fdprog'), args, env);
      await waitFor(() => existsSync(marker), 5000, `the marker of ${tag}`);
      const [pid, value] = readFileSync(marker, 'utf8').trim().split(' ');
      return { r, daemonPid: Number(pid), value };
    };
    const want = await run(false, 'daemon-plain');
    const got = await run(true, 'daemon-preloaded');
    assert.equal([got.r.code, got.r.signal, got.r.stdout.toString(), got.r.stderr.toString(), got.value],
      [want.r.code, want.r.signal, want.r.stdout.toString(), want.r.stderr.toString(), want.value]);
    assert.is(want.r.stdout.toString(), 'daemonized 0\n');
    assert.is(want.value, 'plug_value=7');
    await waitFor(() => rx.records().some((x) => x.cmdline === '/bin/true daemon-preloaded'), 5000, 'the record of the daemon\'s exec');
    await drain(rx);
    const recs = withoutSentinels(rx.records());
    const main = recs.find((x) => x.kind === 'process' && x.pid === got.r.pid)!;
    assert.ok(main, JSON.stringify(recs));
    const dl = recs.filter((x) => x.kind === 'dlopen');
    assert.is(dl.length, 1, JSON.stringify(dl));
    assert.is(dl[0].pid, got.daemonPid, 'reported by the grandchild');
    assert.is(dl[0].process_uuid, main.uuid, 'the same program as its grandparent');
    assert.equal(dl[0].shared_objects, [{ path: plug, signature: U_PLUG }]);
    const exec = recs.find((x) => x.kind === 'process' && x.cmdline === '/bin/true daemon-preloaded')!;
    assert.is(exec.pid, got.daemonPid);
    assert.equal(recs.filter((x) => x.kind === 'exit').map((x) => x.process_uuid).sort(), [main.uuid, exec.uuid].sort(),
      'exit records of the program and of the exec-ed one, none of the forks');
    assert.is(recs.length, 5, JSON.stringify(recs.map((x) => [x.kind, x.pid, x.cmdline])));
  } finally {
    await rx.close();
  }
});

test('every fd in use (EMFILE): records are given up quietly, the program is undisturbed', async () => {
  const rx = await unixReceiver(dir);
  try {
    const r = await runPreloaded('/bin/bash', ['-c', `ulimit -n 64; exec ${path.join(dir, 'fdprog')} exhaust ${path.join(dir, 'libplug.so')}`],
      baseEnv({ OGRT_TRANSPORT: rx.transport, OGRT_EXIT_RECORD: '1', OGRT_DEBUG_INFO: '0' }));
    assert.is(r.code, 0);
    assert.is(r.stdout.toString(), 'exhausted\n');
    assert.is(r.stderr.length, 0);
    await drain(rx);
    const recs = withoutSentinels(rx.records());
    assert.equal(recs.map((x) => x.kind), ['process', 'process'], 'bash and fdprog; no dlopen or exit record');
  } finally {
    await rx.close();
  }
});

test('a program that puts itself under seccomp is not killed by later records', async () => {
  const rx = await unixReceiver(dir);
  try {
    const r = await runPreloaded(path.join(dir, 'seccomp'), [path.join(dir, 'libplug.so')], baseEnv({ OGRT_TRANSPORT: rx.transport, OGRT_EXIT_RECORD: '1' }));
    assert.is(r.signal, null, 'not killed (SIGSYS)');
    assert.is(r.code, 0);
    assert.is(r.stdout.toString(), 'sandboxed\n');
    assert.is(r.stderr.length, 0);
    await drain(rx);
    assert.equal(withoutSentinels(rx.records()).map((x) => x.kind), ['process'], 'only the record sent before the sandbox');
  } finally {
    await rx.close();
  }
});

/** Stdout, stderr, exit status and signal of a run, for comparing runs. */
function outcome(r: RunResult): [number | null, string | null, string, string] {
  return [r.code, r.signal, r.stdout.toString(), r.stderr.toString()];
}

test('a program that defines and exports getenv, strlen and memcpy, with a private libm: undisturbed inactive and active, record complete', async () => {
  const rx = await unixReceiver(dir);
  try {
    const env = baseEnv({
      OGRT_TRANSPORT: rx.transport,
      OGRT_ENV_VARS: 'HOSTILE_A:OMP_NUM_THREADS:HOSTILE_MISSING',
      HOSTILE_A: 'alpha',
      OMP_NUM_THREADS: '2',
      SLURM_JOB_ID: '4242',
      USER: 'dora',
      LOADEDMODULES: 'gcc/12:hostile/1',
    });
    for (const name of ['hostile-trap', 'hostile-null']) {
      const prog = path.join(dir, name);
      const want = await runPlain(prog, ['0.5'], env);
      assert.is(want.code, 3, `${name} plain: ${want.stderr}`);
      const libm = /libm=(\S+)/.exec(want.stdout.toString())?.[1] ?? '';
      assert.ok(libm.endsWith('/priv/libm.so.6'), `${name} uses its private libm: ${want.stdout}`);
      const inactive = await runPlain(prog, ['0.5'], { ...env, LD_PRELOAD: LIB });
      assert.equal(outcome(inactive), outcome(want), `${name} preloaded, OGRT_ACTIVE unset`);
      rx.clear();
      const active = await runPreloaded(prog, ['0.5'], env);
      assert.equal(outcome(active), outcome(want), `${name} preloaded and active`);
      const [rec] = await rx.waitRecords(1);
      assert.is(rec.kind, 'process');
      assert.is(rec.pid, active.pid);
      assert.is(rec.binpath, realpathSync(prog));
      assert.is(rec.cmdline, `${prog} 0.5`);
      assert.equal(rec.environment_variables, [{ name: 'HOSTILE_A', value: 'alpha' }, { name: 'OMP_NUM_THREADS', value: '2' }]);
      assert.is(rec.job_id, '4242');
      assert.is(rec.username, 'dora');
      assert.equal(rec.loaded_modules, [{ name: 'gcc/12' }, { name: 'hostile/1' }]);
      assert.ok(rec.shared_objects.some((o) => o.path === libm), `${libm} in ${rec.shared_objects.map((o) => o.path)}`);
    }
  } finally {
    await rx.close();
  }
});

test.run();
