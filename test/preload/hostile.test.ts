/**
 * libogrt.so must never disturb the program: missing or stalled receivers,
 * OGRT_ACTIVE unset, non-UTF-8 argv and environment, a huge environment,
 * hundreds of shared objects, closed standard fds, programs that close all
 * fds or exhaust them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { baseEnv, buildPreload, drain, gcc, LIB, RECEIVER, runPreloaded, signatureAsm, unixReceiver, withoutSentinels } from './harness.ts';
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
#include <unistd.h>
int main(int argc, char **argv) {
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
});

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

test('receiver missing (unix, tcp, udp): same exit status and output as without the library, quickly', async () => {
  const want = plain();
  const port = await freePort();
  for (const transport of [`unix://${dir}/nobody.sock`, `tcp://127.0.0.1:${port}`, `udp://127.0.0.1:${port}`]) {
    const r = await runPreloaded('/bin/bash', ['-c', SCRIPT], baseEnv({ OGRT_TRANSPORT: transport, OGRT_EXIT_RECORD: '1' }));
    assert.is(r.code, want.status, transport);
    assert.is(r.stdout.toString(), want.stdout, transport);
    assert.is(r.stderr.toString(), want.stderr, transport);
    assert.ok(r.ms < 1000, `${transport}: ${r.ms} ms`);
  }
});

/** Starts `receiver MODE ARGS`, resolves with its ready line and a stop function. */
async function stalled(args: string[]): Promise<{ line: string; stop: () => void }> {
  const child = spawn(RECEIVER, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  await waitFor(() => out.includes('\n'), 5000, 'stalled receiver ready');
  return { line: out.trim(), stop: () => child.stdin.end() };
}

test('receiver stalled (tcp backlog full, unix queue full): the program finishes within OGRT_TIMEOUT_MS', async () => {
  const tcp = await stalled(['stall-tcp']);
  const unix = await stalled(['stall-unix', path.join(dir, 'stall.sock')]);
  try {
    const port = tcp.line.split(' ')[1];
    for (const transport of [`tcp://127.0.0.1:${port}`, `unix://${path.join(dir, 'stall.sock')}`]) {
      const quick = await runPreloaded('/bin/true', [], baseEnv({ OGRT_TRANSPORT: transport, OGRT_TIMEOUT_MS: '30' }));
      assert.is(quick.code, 0);
      assert.ok(quick.ms < 1000, `${transport}: ${quick.ms} ms with a 30 ms bound`);
      // A longer bound is waited out: the receiver really is stalled, and the bound is what ends the wait.
      const slow = await runPreloaded('/bin/true', [], baseEnv({ OGRT_TRANSPORT: transport, OGRT_TIMEOUT_MS: '400' }));
      assert.is(slow.code, 0);
      assert.ok(slow.ms >= 390 && slow.ms < 2500, `${transport}: ${slow.ms} ms with a 400 ms bound`);
      assert.is(slow.stdout.length + slow.stderr.length, 0);
    }
  } finally {
    tcp.stop();
    unix.stop();
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

test.run();
