import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import filePlugin from '../../../plugins/output-file/index.ts';
import { FileOutputOptions, resolveSettings } from '../../../plugins/output-file/config.ts';
import { FileOutput } from '../../../plugins/output-file/output.ts';
import type { Batch, OgrtRecord, OutputInstance } from '../../../src/core/plugin-api.ts';
import { fakeContext, type FakeContext } from '../../helpers/fake-context.ts';
import { hostileRecord, plainRecord } from './records.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ogrt-file-'));
  dirs.push(dir);
  return dir;
}
test.after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function options(over: Partial<FileOutputOptions> = {}): FileOutputOptions {
  return { ...(Value.Default(FileOutputOptions, {}) as FileOutputOptions), ...over };
}

function batch(records: OgrtRecord[], attempt = 1): Batch {
  return { records, bytes: 100 * records.length, attempt };
}

async function readLines(file: string): Promise<OgrtRecord[]> {
  const text = await readFile(file, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), `${file} ends with a newline`);
  return text === '' ? [] : text.slice(0, -1).split('\n').map((l) => JSON.parse(l));
}

async function started(fake: FakeContext, over: Partial<FileOutputOptions>): Promise<OutputInstance> {
  const out = filePlugin.create(fake.ctx, options(over));
  await out.start?.();
  return out;
}

test('descriptor: type "file", output kind, defaults as documented', () => {
  assert.is(filePlugin.type, 'file');
  assert.is(filePlugin.kind, 'output');
  const defaults = Value.Default(FileOutputOptions, {});
  assert.equal(defaults, { path: 'data/ogrt-%Y-%m-%d.jsonl', max_size: 0, fsync: 'batch', mode: '0640' });
  assert.ok(Value.Check(FileOutputOptions, defaults));
  assert.not.ok(Value.Check(FileOutputOptions, { ...defaults, path: 'x-%q.jsonl' }), 'unknown %q');
  assert.not.ok(Value.Check(FileOutputOptions, { ...defaults, bogus: 1 }), 'unknown key');
  assert.not.ok(Value.Check(FileOutputOptions, { ...defaults, fsync: 'always' }));
  assert.not.ok(Value.Check(FileOutputOptions, { ...defaults, mode: '0999' }));
});

test('create() refuses a path naming a directory, with the instance in the message', () => {
  const fake = fakeContext({ id: 'archive' });
  assert.throws(() => filePlugin.create(fake.ctx, options({ path: 'data/' })), (err: Error & { code?: string }) => {
    return err.code === 'OGRT_ERR_CONFIG_INVALID' && /outputs\.archive/.test(err.message) && /directory/.test(err.message);
  });
});

test('batches are appended as JSON lines equal to the records, in a dated file under configDir', async () => {
  const dir = await tempDir();
  const fake = fakeContext({ configDir: dir });
  const out = await started(fake, { path: 'sub/dir/ogrt-%Y-%m-%d.jsonl' });
  const first = [plainRecord(), hostileRecord()];
  const second = [plainRecord()];
  assert.equal(await out.send(batch(first)), { status: 'ok' });
  assert.equal(await out.send(batch(second)), { status: 'ok' });
  await out.stop?.();
  const today = new Date().toISOString().slice(0, 10);
  const file = path.join(dir, 'sub/dir', `ogrt-${today}.jsonl`);
  assert.equal(await readLines(file), [...first, ...second]);
  const bytes = await readFile(file);
  assert.not.ok(bytes.includes(Buffer.from([0xef, 0xbf, 0xbd])), 'non-UTF-8 bytes kept as \\udcXX, not U+FFFD');
  assert.is((await stat(file)).mode & 0o777, 0o640);
});

test('mode is applied exactly, whatever the umask', async () => {
  const dir = await tempDir();
  const old = process.umask(0o077);
  try {
    const out = await started(fakeContext({ configDir: dir }), { path: 'a.jsonl', mode: '0644' });
    await out.send(batch([plainRecord()]));
    await out.stop?.();
  } finally {
    process.umask(old);
  }
  assert.is((await stat(path.join(dir, 'a.jsonl'))).mode & 0o777, 0o644);
});

test('start() cuts a torn last line left by a crash and logs how many bytes it removed', async () => {
  const dir = await tempDir();
  const file = path.join(dir, 'ogrt.jsonl');
  const kept = [plainRecord(), plainRecord()];
  const torn = '{"uuid":"00000000-0000-4000-8000-00000000ffff","kind":"proc';
  await writeFile(file, kept.map((r) => JSON.stringify(r) + '\n').join('') + torn);
  const fake = fakeContext({ configDir: dir });
  const out = await started(fake, { path: 'ogrt.jsonl' });
  const repaired = fake.logged(/torn/, 'warn');
  assert.is(repaired.length, 1);
  assert.is((repaired[0].obj as { removed_bytes: number }).removed_bytes, Buffer.byteLength(torn));
  const next = plainRecord();
  assert.equal(await out.send(batch([next])), { status: 'ok' });
  await out.stop?.();
  assert.equal(await readLines(file), [...kept, next]);
});

test('torn-tail repair: a file with no newline at all is emptied; an intact file is left alone', async () => {
  const dir = await tempDir();
  const tornOnly = path.join(dir, 'torn.jsonl');
  // Longer than one 64 KiB scan block, so the backward scan crosses blocks.
  await writeFile(tornOnly, '{"a":"' + 'z'.repeat(200_000));
  const fake = fakeContext({ configDir: dir });
  const out = await started(fake, { path: 'torn.jsonl' });
  await out.stop?.();
  assert.is((await stat(tornOnly)).size, 0);
  assert.is((fake.logged(/torn/)[0].obj as { removed_bytes: number }).removed_bytes, 200_006);

  const intact = path.join(dir, 'intact.jsonl');
  const content = JSON.stringify(plainRecord()) + '\n';
  await writeFile(intact, content);
  const fake2 = fakeContext({ configDir: dir });
  const out2 = await started(fake2, { path: 'intact.jsonl' });
  await out2.stop?.();
  assert.is(await readFile(intact, 'utf8'), content);
  assert.equal(fake2.logged(/torn/), []);
});

test('max_size rotation: PATH.1, PATH.2 (higher is newer), batches never split, nothing lost', async () => {
  const dir = await tempDir();
  const fake = fakeContext({ configDir: dir });
  const oneLine = Buffer.byteLength(JSON.stringify(plainRecord()) + '\n');
  // Room for two records per file (records differ in a few digits only).
  const out = await started(fake, { path: 'ogrt.jsonl', max_size: oneLine * 2 + 10 });
  const sent: OgrtRecord[][] = [];
  for (let i = 0; i < 5; i++) {
    const b = [plainRecord()];
    sent.push(b);
    assert.equal(await out.send(batch(b)), { status: 'ok' });
  }
  const big = [plainRecord(), plainRecord(), plainRecord()]; // larger than max_size on its own
  assert.equal(await out.send(batch(big)), { status: 'ok' });
  await out.stop?.();
  const names = (await readdir(dir)).sort();
  assert.equal(names, ['ogrt.jsonl', 'ogrt.jsonl.1', 'ogrt.jsonl.2', 'ogrt.jsonl.3']);
  assert.equal(await readLines(path.join(dir, 'ogrt.jsonl.1')), [...sent[0], ...sent[1]]);
  assert.equal(await readLines(path.join(dir, 'ogrt.jsonl.2')), [...sent[2], ...sent[3]]);
  assert.equal(await readLines(path.join(dir, 'ogrt.jsonl.3')), sent[4]);
  assert.equal(await readLines(path.join(dir, 'ogrt.jsonl')), big);
  assert.is(fake.logged(/rotated/).length, 3);
});

test('max_size rotation continues after the highest existing suffix', async () => {
  const dir = await tempDir();
  await writeFile(path.join(dir, 'ogrt.jsonl.7'), '');
  await writeFile(path.join(dir, 'ogrt.jsonl.old'), '');
  const out = await started(fakeContext({ configDir: dir }), { path: 'ogrt.jsonl', max_size: 10 });
  await out.send(batch([plainRecord()]));
  await out.send(batch([plainRecord()]));
  await out.stop?.();
  assert.ok(existsSync(path.join(dir, 'ogrt.jsonl.8')));
});

test('date rotation: crossing midnight UTC (injected clock) starts the next day\'s file', async () => {
  const dir = await tempDir();
  const fake = fakeContext({ configDir: dir });
  let now = Date.parse('2026-11-24T23:59:59.900Z');
  const settings = resolveSettings(options({ path: '%Y/%m/ogrt-%Y-%m-%d-%H.jsonl' }), dir);
  const out = new FileOutput(fake.ctx, settings, () => now);
  await out.start();
  const before = [plainRecord()];
  const after = [plainRecord(), plainRecord()];
  assert.equal(await out.send(batch(before)), { status: 'ok' });
  now += 200;
  assert.equal(await out.send(batch(after)), { status: 'ok' });
  await out.stop();
  assert.equal(await readLines(path.join(dir, '2026/11/ogrt-2026-11-24-23.jsonl')), before);
  assert.equal(await readLines(path.join(dir, '2026/11/ogrt-2026-11-25-00.jsonl')), after);
});

test('reopen() after logrotate moved the file: new records go to a new file at the same path', async () => {
  const dir = await tempDir();
  const out = await started(fakeContext({ configDir: dir }), { path: 'ogrt.jsonl' });
  const old = [plainRecord()];
  const fresh = [plainRecord()];
  await out.send(batch(old));
  await rename(path.join(dir, 'ogrt.jsonl'), path.join(dir, 'ogrt.jsonl-20261124'));
  await out.reopen?.();
  assert.ok(existsSync(path.join(dir, 'ogrt.jsonl')), 'reopen creates the file at once');
  await out.send(batch(fresh));
  await out.stop?.();
  assert.equal(await readLines(path.join(dir, 'ogrt.jsonl-20261124')), old);
  assert.equal(await readLines(path.join(dir, 'ogrt.jsonl')), fresh);
});

test('a file where a directory is expected: send() returns retry (never throws), counts and logs; recovers once fixed', async () => {
  const dir = await tempDir();
  await writeFile(path.join(dir, 'blocker'), 'not a directory');
  const fake = fakeContext({ configDir: dir });
  const out = await started(fake, { path: 'blocker/ogrt.jsonl' });
  assert.ok(fake.logged(/cannot write/, 'error').length >= 1, 'start() logs, does not throw');
  const records = [plainRecord()];
  const result = await out.send(batch(records));
  assert.is(result.status, 'retry');
  assert.match((result as { reason: string }).reason, /ENOTDIR/);
  assert.match((result as { reason: string }).reason, /blocker/);
  assert.is(fake.count('component_errors_total', { error_type: 'write_failed', stage: 'sending' }), 1);

  await rm(path.join(dir, 'blocker'));
  assert.equal(await out.send(batch(records, 2)), { status: 'ok' });
  await out.stop?.();
  assert.equal(await readLines(path.join(dir, 'blocker/ogrt.jsonl')), records);
});

test('a full disk (/dev/full, ENOSPC): send() returns retry with the errno in the reason', async () => {
  if (!existsSync('/dev/full')) throw new Error('/dev/full is needed for this test');
  const fake = fakeContext();
  const out = await started(fake, { path: '/dev/full', fsync: 'none' });
  const result = await out.send(batch([plainRecord()]));
  assert.is(result.status, 'retry');
  assert.match((result as { reason: string }).reason, /ENOSPC/);
  // The writer stays usable: the next attempt fails the same way, still without throwing.
  assert.is((await out.send(batch([plainRecord()], 2))).status, 'retry');
  await out.stop?.();
});

test('a directory that cannot be created, even by root (/proc/...): retry, and no endless mkdir loop', async () => {
  const fake = fakeContext();
  const out = await started(fake, { path: '/proc/ogrt-test/ogrt.jsonl' });
  const result = await out.send(batch([plainRecord()]));
  assert.is(result.status, 'retry');
  assert.match((result as { reason: string }).reason, /^open \/proc\/ogrt-test\/ogrt\.jsonl: (ENOENT|EACCES|EROFS|EPERM)/);
  await out.stop?.();
});

test('records that cannot be serialized are rejected by index, the rest is written (partial)', async () => {
  const dir = await tempDir();
  const out = await started(fakeContext({ configDir: dir }), { path: 'ogrt.jsonl', fsync: 'none' });
  const good = plainRecord();
  const bad = plainRecord({ pid: Number.NaN });
  const result = await out.send(batch([bad, good]));
  assert.is(result.status, 'partial');
  assert.equal((result as { rejected?: readonly { index: number }[] }).rejected?.map((r) => r.index), [0]);
  const onlyBad = await out.send(batch([bad]));
  assert.is(onlyBad.status, 'reject');
  await out.stop?.();
  assert.equal(await readLines(path.join(dir, 'ogrt.jsonl')), [good]);
});

test('missing parent directories are created with 0750', async () => {
  const dir = await tempDir();
  const out = await started(fakeContext({ configDir: dir }), { path: 'a/b/ogrt.jsonl' });
  assert.equal(await out.send(batch([plainRecord()])), { status: 'ok' });
  await out.stop?.();
  for (const sub of ['a', 'a/b']) assert.is((await stat(path.join(dir, sub))).mode & 0o777, 0o750 & ~process.umask());
});

test('a write cut short by the kernel (EFBIG under ulimit -f) is undone: whole batch or nothing', async () => {
  const dir = await tempDir();
  const child = fileURLToPath(new URL('./efbig.child.ts', import.meta.url));
  // 64 KiB limit: the first record fits, the 200-record batch (~100 KiB) is cut in the middle.
  const r = spawnSync('bash', ['-c', 'ulimit -f 64; trap "" XFSZ; exec "$0" --import tsx "$1"', process.execPath, child], {
    env: { ...process.env, OGRT_EFBIG_DIR: dir },
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.is(r.status, 0, r.stderr);
  const { results, first } = JSON.parse(r.stdout) as { results: { status: string; reason?: string }[]; first: OgrtRecord[] };
  assert.is(results[0].status, 'ok');
  assert.is(results[1].status, 'retry');
  assert.match(results[1].reason!, /EFBIG/);
  assert.equal(await readLines(path.join(dir, 'ogrt.jsonl')), first);
});

test.run();
