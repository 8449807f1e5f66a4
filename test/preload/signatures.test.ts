/**
 * Signatures and dlopen, end to end: programs and libraries compiled here,
 * stamped with known uuids by a small assembler note (harness.signatureAsm),
 * run under libogrt.so.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { baseEnv, drain, gcc, processRecords, runPreloaded, signatureAsm, unixReceiver, withoutSentinels } from './harness.ts';
import { tempDir, removeDir } from '../helpers/temp.ts';

const U_DEP = '11111111-2222-4333-8444-555555555555';
const U_EXE = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const U_PLUG = '0b9c6a2e-2f7d-4c41-9a38-5e1f0d6c7b21';
const U_PLUG2 = 'fedcba98-7654-4321-8fed-cba987654321';

let dir = '';

const SOURCES: Record<string, string> = {
  'libdep.c': 'int dep_value(void) { return 42; }\n',
  'libplug.c': 'int plug_value(void) { return 7; }\n',
  // A library with RUNPATH $ORIGIN/plugins that dlopens a plugin by bare name,
  // as MKL and CUDA do: works only if dlopen still sees this library as its caller.
  'libloader.c': [
    '#include <dlfcn.h>',
    'void *loader_load(const char *name) { return dlopen(name, RTLD_NOW); }',
    '',
  ].join('\n'),
  'prog.c': [
    '#include <dlfcn.h>',
    '#include <stdio.h>',
    'int dep_value(void);',
    'void *loader_load(const char *name);',
    'int main(int argc, char **argv) {',
    '  void *h = loader_load("libplug.so");',
    '  if (!h) { printf("dlopen by RUNPATH failed: %s\\n", dlerror()); return 1; }',
    '  int (*f)(void) = (int (*)(void))dlsym(h, "plug_value");',
    '  printf("%d %d\\n", dep_value(), f());',
    '  if (dlclose(h) != 0) return 2;',
    '  if (argc > 1 && !dlopen(argv[1], RTLD_NOW)) { printf("%s\\n", dlerror()); return 3; }',
    '  if (dlopen("libnot-there.so", RTLD_NOW) != NULL) return 4;',
    '  return 0;',
    '}',
    '',
  ].join('\n'),
};

test.before(async () => {
  dir = await tempDir('ogrt-sig-');
  mkdirSync(path.join(dir, 'plugins'));
  for (const [name, text] of Object.entries(SOURCES)) writeFileSync(path.join(dir, name), text);
  for (const [name, uuid] of [['dep', U_DEP], ['exe', U_EXE], ['plug', U_PLUG], ['plug2', U_PLUG2]]) writeFileSync(path.join(dir, `stamp-${name}.S`), signatureAsm(uuid));
  gcc(dir, ['-shared', '-fPIC', '-o', 'libdep.so', 'libdep.c', 'stamp-dep.S']);
  gcc(dir, ['-shared', '-fPIC', '-o', 'plugins/libplug.so', 'libplug.c', 'stamp-plug.S']);
  gcc(dir, ['-shared', '-fPIC', '-o', 'libplug2.so', 'libplug.c', 'stamp-plug2.S']);
  gcc(dir, ['-shared', '-fPIC', '-o', 'libloader.so', 'libloader.c', '-ldl', '-Wl,--enable-new-dtags,-rpath,$ORIGIN/plugins']);
  gcc(dir, ['-o', 'prog', 'prog.c', 'stamp-exe.S', '-L.', '-ldep', '-lloader', '-ldl', '-Wl,--enable-new-dtags,-rpath,$ORIGIN']);
});

test.after(async () => {
  await removeDir(dir);
});

test('the test program works without the library (control)', () => {
  const r = spawnSync(path.join(dir, 'prog'), [path.join(dir, 'libplug2.so')], { encoding: 'utf8' });
  assert.is(r.stdout, '42 7\n');
  assert.is(r.status, 0);
});

test('process record: executable and linked library signatures from PT_NOTE in memory', async () => {
  const rx = await unixReceiver(dir);
  try {
    const r = await runPreloaded(path.join(dir, 'prog'), [], baseEnv({ OGRT_TRANSPORT: rx.transport }));
    assert.is(r.stdout.toString(), '42 7\n');
    assert.is(r.code, 0);
    const [proc] = processRecords(await rx.waitRecords(1));
    assert.is(proc.signature, U_EXE);
    assert.is(proc.binpath, path.join(dir, 'prog'));
    const dep = proc.shared_objects.find((s) => s.path === path.join(dir, 'libdep.so'));
    assert.equal(dep, { path: path.join(dir, 'libdep.so'), signature: U_DEP });
    const loader = proc.shared_objects.find((s) => s.path === path.join(dir, 'libloader.so'));
    assert.equal(loader, { path: path.join(dir, 'libloader.so') }, 'unstamped: no signature');
    const libc = proc.shared_objects.find((s) => /libc\.so\.6$/.test(s.path));
    assert.is(libc?.signature, undefined);
  } finally {
    await rx.close();
  }
});

test('dlopen: RUNPATH of the calling library still works; dlopen records carry process_uuid', async () => {
  const rx = await unixReceiver(dir);
  try {
    const plug2 = path.join(dir, 'libplug2.so');
    const r = await runPreloaded(path.join(dir, 'prog'), [plug2], baseEnv({ OGRT_TRANSPORT: rx.transport }));
    assert.is(r.stdout.toString(), '42 7\n', 'bare-name dlopen found through the RUNPATH of libloader.so');
    assert.is(r.code, 0);
    await rx.waitRecords(3);
    await drain(rx);
    const recs = withoutSentinels(rx.records());
    const [proc] = processRecords(recs);
    const dl = recs.filter((x) => x.kind === 'dlopen');
    assert.is(dl.length, 2, JSON.stringify(recs.map((x) => [x.kind, x.shared_objects])));
    for (const d of dl) {
      assert.is(d.process_uuid, proc.uuid);
      assert.is(d.pid, proc.pid);
      assert.is(d.binpath, proc.binpath);
      assert.is(d.signature, undefined);
    }
    const all = dl.flatMap((d) => d.shared_objects);
    assert.equal(all.sort((a, b) => a.path.localeCompare(b.path)), [
      { path: plug2, signature: U_PLUG2 },
      { path: path.join(dir, 'plugins/libplug.so'), signature: U_PLUG },
    ].sort((a, b) => a.path.localeCompare(b.path)));
  } finally {
    await rx.close();
  }
});

test('OGRT_DLOPEN=0: no dlopen records', async () => {
  const rx = await unixReceiver(dir);
  try {
    const r = await runPreloaded(path.join(dir, 'prog'), [path.join(dir, 'libplug2.so')], baseEnv({ OGRT_TRANSPORT: rx.transport, OGRT_DLOPEN: '0' }));
    assert.is(r.code, 0);
    await drain(rx);
    assert.equal(withoutSentinels(rx.records()).map((x) => x.kind), ['process']);
  } finally {
    await rx.close();
  }
});

test.run();
