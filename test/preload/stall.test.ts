/**
 * Stalled receivers: one that never takes a record (a TCP listener with a
 * full backlog, a unix socket with a full queue) is waited for at most
 * OGRT_TIMEOUT_MS; one that hangs in the middle of a program's run (it took
 * the process record, then stopped reading) must not make each later record
 * (dlopen, exit) wait its full OGRT_TIMEOUT_MS: the first one that times out
 * ends the tracking of the process.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { baseEnv, gcc, median, RECEIVER, runPlain, runPreloaded, unixReceiver, type RunResult } from './harness.ts';
import { tempDir, removeDir } from '../helpers/temp.ts';
import { waitFor } from '../helpers/wait.ts';

let dir = '';
const libs: string[] = [];
const TIMEOUT_MS = 50;

const MANY = `
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  int loaded = 0;
  for (int i = 1; i < argc; i++) loaded += dlopen(argv[i], RTLD_NOW) != NULL;
  printf("loaded %d\\n", loaded);
  exit(0);
}
`;

/* The receiver's socket goes away between two dlopens and comes back. */
const AWAY = `
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  (void)argc;
  if (!dlopen(argv[3], RTLD_NOW)) return 3;
  if (rename(argv[1], argv[2]) != 0) return 4;
  if (!dlopen(argv[4], RTLD_NOW)) return 3; /* reports argv[3]: no socket */
  if (rename(argv[2], argv[1]) != 0) return 4;
  if (!dlopen(argv[5], RTLD_NOW)) return 3; /* reports argv[4] */
  puts("done");
  exit(0); /* reports argv[5], then the exit record */
}
`;

test.before(async () => {
  dir = await tempDir('ogrt-stall-');
  writeFileSync(path.join(dir, 'many.c'), MANY);
  writeFileSync(path.join(dir, 'plug.c'), 'int plug_value(void) { return 7; }\n');
  gcc(dir, ['-O2', '-o', 'many', 'many.c', '-ldl']);
  writeFileSync(path.join(dir, 'away.c'), AWAY);
  gcc(dir, ['-O2', '-o', 'away', 'away.c', '-ldl']);
  gcc(dir, ['-shared', '-fPIC', '-o', 'libplug.so', 'plug.c']);
  for (let i = 0; i < 20; i++) {
    const p = path.join(dir, `libplug-${String(i).padStart(2, '0')}.so`);
    copyFileSync(path.join(dir, 'libplug.so'), p);
    libs.push(p);
  }
});

test.after(async () => {
  await removeDir(dir);
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

/** Runs the program under a receiver that hangs after the process record. */
async function runStalled(name: string, extra: Record<string, string> = {}): Promise<RunResult> {
  const rx = await unixReceiver(dir, `${name}.sock`, 1);
  try {
    const r = await runPreloaded(path.join(dir, 'many'), libs, baseEnv({
      OGRT_TRANSPORT: rx.transport, OGRT_TIMEOUT_MS: String(TIMEOUT_MS), OGRT_EXIT_RECORD: '1', ...extra,
    }));
    await rx.close(); // the receiver prints what its queue held, then exits
    assert.equal(rx.records().map((x) => x.kind), ['process'], 'the receiver took the process record, then hung');
    return r;
  } finally {
    await rx.close();
  }
}

test('receiver hangs after the process record: 20 dlopens and an exit add about one OGRT_TIMEOUT_MS, not 21', async () => {
  const diffs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const plain = await runPlain(path.join(dir, 'many'), libs, baseEnv());
    assert.is(plain.stdout.toString(), 'loaded 20\n');
    const r = await runStalled(`paired-${i}`);
    assert.equal([r.code, r.signal, r.stdout.toString(), r.stderr.toString()], [plain.code, plain.signal, plain.stdout.toString(), plain.stderr.toString()]);
    diffs.push(r.ms - plain.ms);
  }
  // One record waits out the bound, then tracking stops; before the fix each
  // of the 20 later records waited it (about 1000 ms here).
  const added = median(diffs);
  assert.ok(added < 2 * TIMEOUT_MS + 60, `median added ${added.toFixed(1)} ms over 3 pairs (${diffs.map((d) => d.toFixed(1)).join(', ')}), OGRT_TIMEOUT_MS ${TIMEOUT_MS}`);
});

test('the record that timed out is the last one tried (OGRT_DEBUG_INFO tells)', async () => {
  const r = await runStalled('debug', { OGRT_DEBUG_INFO: '1' });
  const lines = r.stderr.toString().split('\n').filter((l) => / record (not )?sent/.test(l));
  assert.is(lines.length, 2, lines.join('\n'));
  assert.match(lines[0], /^ogrt: process record sent to unix:/);
  assert.match(lines[1], /^ogrt: dlopen record not sent: timeout: ETIMEDOUT .*; no more records from this process$/);
  assert.is(r.stdout.toString(), 'loaded 20\n');
});

test('a record that fails at once (receiver socket gone) is dropped alone: later records are still sent', async () => {
  const rx = await unixReceiver(dir, 'away.sock');
  try {
    const sock = rx.transport.slice('unix://'.length);
    const r = await runPreloaded(path.join(dir, 'away'), [sock, `${sock}.away`, libs[0], libs[1], libs[2]],
      baseEnv({ OGRT_TRANSPORT: rx.transport, OGRT_TIMEOUT_MS: String(TIMEOUT_MS), OGRT_EXIT_RECORD: '1' }));
    assert.is(r.code, 0, r.stderr.toString());
    assert.is(r.stdout.toString(), 'done\n');
    const recs = await rx.waitRecords(4);
    assert.equal(recs.map((x) => [x.kind, x.shared_objects.map((o) => o.path).filter((p) => p.startsWith(dir))]),
      [['process', []], ['dlopen', [libs[1]]], ['dlopen', [libs[2]]], ['exit', []]]);
  } finally {
    await rx.close();
  }
});

test.run();
