import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import plugin from '../../../plugins/output-sqlite/index.ts';
import type { SqliteOutput } from '../../../plugins/output-sqlite/output.ts';
import type { SqliteOutputOptions } from '../../../plugins/output-sqlite/config.ts';
import { OgrtError } from '../../../src/core/errors.ts';
import type { OgrtRecord, SendResult } from '../../../src/core/plugin-api.ts';
import { fakeContext, gaugeKey, type FakeContext } from '../../helpers/fake-context.ts';
import { makeRecord } from '../../helpers/records.ts';
import { removeDir, tempDir } from '../../helpers/temp.ts';

const DEFAULTS: SqliteOutputOptions = { path: 'data/ogrt.db', retention_days: 0, max_size_mb: 0, retention_interval_s: 300, synchronous: 'full', mode: '0640', busy_timeout_ms: 5_000 };

interface Harness {
  readonly dir: string;
  readonly file: string;
  readonly fc: FakeContext;
  readonly out: SqliteOutput;
  send(records: readonly OgrtRecord[], attempt?: number): Promise<SendResult>;
  /** A separate read-only connection, as the queries use. */
  read<T = any>(sql: string, ...params: unknown[]): T[];
  close(): Promise<void>;
}

let open: Harness[] = [];
test.after.each(async () => {
  for (const h of open) await h.close();
  open = [];
});

async function harness(options: Partial<SqliteOutputOptions> = {}): Promise<Harness> {
  const dir = await tempDir('ogrt-sqlite-');
  const fc = fakeContext({ id: 'store', configDir: dir });
  const out = plugin.create(fc.ctx, { ...DEFAULTS, ...options }) as SqliteOutput;
  await out.start();
  const file = path.join(dir, options.path ?? DEFAULTS.path);
  let reader: Database.Database | undefined;
  let closed = false;
  const h: Harness = {
    dir,
    file,
    fc,
    out,
    send: (records, attempt = 1) => out.send({ records, bytes: 100 * records.length, attempt }),
    read(sql, ...params) {
      reader ??= new Database(file, { readonly: true, fileMustExist: true });
      return reader.prepare(sql).all(...params) as any[];
    },
    async close() {
      if (closed) return;
      closed = true;
      reader?.close();
      await out.stop();
      await removeDir(dir);
    },
  };
  open.push(h);
  return h;
}

const proc = (n: number, over: Partial<OgrtRecord> = {}): OgrtRecord =>
  makeRecord({ uuid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, pid: n, ...over });

test('start creates the database (and its directory) in WAL mode with incremental auto-vacuum and schema version 1', async () => {
  const h = await harness();
  await h.send([proc(1)]);
  const umask = process.umask(0o022);
  process.umask(umask);
  for (const f of [h.file, `${h.file}-wal`, `${h.file}-shm`]) assert.is(statSync(f).mode & 0o777, 0o640, `${f} mode, whatever the umask (${umask.toString(8)})`);
  assert.is(statSync(path.dirname(h.file)).mode & 0o777, 0o750 & ~umask);
  const db = new Database(h.file, { readonly: true });
  assert.is(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.is(db.pragma('auto_vacuum', { simple: true }), 2);
  assert.is(db.pragma('user_version', { simple: true }), 1);
  const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all();
  assert.equal(tables, ['event', 'object', 'process', 'process_object']);
  db.close();
});

test('one batch: processes, each (path, signature) stored once, links in load order; ok only after commit', async () => {
  const h = await harness();
  const sig = 'b73c604d-c2e9-4057-ae31-586aa5ee29e3';
  const result = await h.send([
    proc(1, { job_id: '7', username: 'alice', binpath: '/usr/bin/a', cmdline: 'a -x', shared_objects: [{ path: '/lib/libc.so.6' }, { path: '/opt/libblas.so', signature: sig }], loaded_modules: [{ name: 'gcc/12' }], environment_variables: [{ name: 'A', value: 'b=c' }] }),
    proc(2, { job_id: '7', binpath: '/usr/bin/b', shared_objects: [{ path: '/opt/libblas.so', signature: sig }, { path: '/lib/libc.so.6' }, { path: '/opt/libblas.so' }] }),
  ]);
  assert.equal(result, { status: 'ok' });
  assert.equal(h.read('SELECT path, signature FROM object ORDER BY id'), [
    { path: '/lib/libc.so.6', signature: '' },
    { path: '/opt/libblas.so', signature: sig },
    { path: '/opt/libblas.so', signature: '' },
  ]);
  assert.equal(h.read('SELECT p.pid, o.path, o.signature, po.seq FROM process_object po JOIN process p ON p.id = po.process_id JOIN object o ON o.id = po.object_id ORDER BY p.pid, po.seq'), [
    { pid: 1, path: '/lib/libc.so.6', signature: '', seq: 0 },
    { pid: 1, path: '/opt/libblas.so', signature: sig, seq: 1 },
    { pid: 2, path: '/opt/libblas.so', signature: sig, seq: 0 },
    { pid: 2, path: '/lib/libc.so.6', signature: '', seq: 1 },
    { pid: 2, path: '/opt/libblas.so', signature: '', seq: 2 },
  ]);
  const [p1] = h.read('SELECT * FROM process WHERE pid = 1');
  assert.equal([p1.job_id, p1.username, p1.binpath, p1.cmdline, p1.modules, p1.environment, p1.time_us, p1.complete],
    ['7', 'alice', '/usr/bin/a', 'a -x', '["gcc/12"]', '[["A","b=c"]]', Date.UTC(2026, 10, 24, 21, 40, 8) * 1000 + 123456, 1]);
});

test('a batch sent again (a retry after a lost answer) stores nothing twice and counts the duplicates', async () => {
  const h = await harness();
  const batch = [proc(1, { shared_objects: [{ path: '/lib/libc.so.6' }] }), proc(2, { kind: 'exit', process_uuid: proc(1).uuid, exit_status: 3 })];
  assert.equal(await h.send(batch), { status: 'ok' });
  assert.equal(await h.send(batch, 2), { status: 'ok' });
  assert.equal(await h.send([batch[0], batch[0]], 3), { status: 'ok' });
  assert.equal(h.read('SELECT (SELECT count(*) FROM process) AS p, (SELECT count(*) FROM event) AS e, (SELECT count(*) FROM process_object) AS l'), [{ p: 1, e: 2, l: 1 }]);
  assert.is(h.fc.count('duplicates_total'), 4);
});

test('dlopen and exit records before their process record: the process row is completed when it arrives', async () => {
  const h = await harness();
  const p = proc(1, { time: '2026-11-24T10:00:00.000000Z', job_id: '9', binpath: '/usr/bin/python3', cmdline: 'python3 x.py', shared_objects: [{ path: '/lib/libc.so.6' }] });
  const dlopen = proc(2, { kind: 'dlopen', process_uuid: p.uuid, time: '2026-11-24T10:00:01.000000Z', job_id: '9', shared_objects: [{ path: '/opt/plugin.so' }] });
  const exit = proc(3, { kind: 'exit', process_uuid: p.uuid, time: '2026-11-24T10:00:02.000000Z', job_id: '9', exit_status: 137, wall_time_us: 2_000_000, max_rss_kb: 1024 });
  assert.equal(await h.send([dlopen, exit]), { status: 'ok' });
  assert.equal(h.read('SELECT complete, binpath FROM process'), [{ complete: 0, binpath: null }]);
  assert.equal(await h.send([p]), { status: 'ok' });
  const rows = h.read('SELECT complete, binpath, cmdline, time, exit_status, wall_time_us, max_rss_kb, exit_time_us FROM process');
  assert.equal(rows, [{ complete: 1, binpath: '/usr/bin/python3', cmdline: 'python3 x.py', time: '2026-11-24T10:00:00.000000Z', exit_status: 137, wall_time_us: 2_000_000, max_rss_kb: 1024, exit_time_us: Date.UTC(2026, 10, 24, 10, 0, 2) * 1000 }]);
  assert.equal(h.read('SELECT o.path, po.dlopen_time_us FROM process_object po JOIN object o ON o.id = po.object_id ORDER BY po.dlopen_time_us IS NOT NULL'), [
    { path: '/lib/libc.so.6', dlopen_time_us: null },
    { path: '/opt/plugin.so', dlopen_time_us: Date.UTC(2026, 10, 24, 10, 0, 1) * 1000 },
  ]);
  assert.equal(h.read('SELECT kind FROM event ORDER BY kind'), [{ kind: 'dlopen' }, { kind: 'exit' }, { kind: 'process' }]);
});

test('a write lock held elsewhere (SQLITE_BUSY) is "retry", and the batch goes in once the lock is gone', async () => {
  const h = await harness({ busy_timeout_ms: 0 });
  const other = new Database(h.file);
  other.exec('BEGIN IMMEDIATE');
  const busy = await h.send([proc(1)]);
  assert.is(busy.status, 'retry');
  assert.match((busy as { reason: string }).reason, /^SQLITE_BUSY/);
  assert.is(h.fc.count('component_errors_total', { error_type: 'busy', stage: 'sending' }), 1);
  other.exec('ROLLBACK');
  other.close();
  assert.equal(await h.send([proc(1)], 2), { status: 'ok' });
  assert.is(h.read('SELECT count(*) AS n FROM process')[0].n, 1);
});

test('a record SQLite cannot take is rejected alone; the rest of the batch is stored', async () => {
  const h = await harness();
  const bad = proc(2, { hostname: { not: 'a string' } as unknown as string });
  const result = await h.send([proc(1), bad, proc(3)]);
  assert.is(result.status, 'partial');
  const rejected = (result as { readonly rejected: readonly { index: number; reason: string }[] }).rejected;
  assert.equal(rejected.map((r) => r.index), [1]);
  assert.ok(rejected[0].reason.length > 0, 'says why');
  assert.equal(h.read('SELECT pid FROM process ORDER BY pid'), [{ pid: 1 }, { pid: 3 }]);
  assert.equal(await h.send([bad]), { status: 'reject', reason: rejected[0].reason });
});

test('retention by age: old processes go with their links and events; objects nobody uses any more go too', async () => {
  const h = await harness({ retention_days: 30 });
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');
  const old = proc(1, { time: iso(now - 40 * 86_400_000), shared_objects: [{ path: '/lib/libc.so.6' }, { path: '/old/libgone.so' }] });
  const fresh = proc(2, { time: iso(now - 86_400_000), shared_objects: [{ path: '/lib/libc.so.6' }] });
  const oldExit = proc(3, { kind: 'exit', process_uuid: old.uuid, time: iso(now - 40 * 86_400_000 + 1000), exit_status: 0 });
  assert.equal(await h.send([old, fresh, oldExit]), { status: 'ok' });
  await h.out.runRetention();
  assert.equal(h.read('SELECT pid FROM process'), [{ pid: 2 }]);
  assert.equal(h.read('SELECT path FROM object'), [{ path: '/lib/libc.so.6' }]);
  assert.equal(h.read('SELECT count(*) AS n FROM event')[0].n, 1);
  assert.is(h.fc.count('retention_deleted_processes_total', { reason: 'age' }), 1);
  // The writer forgot the deleted object: storing it again works.
  assert.equal(await h.send([proc(4, { time: iso(now), shared_objects: [{ path: '/old/libgone.so' }] })]), { status: 'ok' });
  assert.equal(h.read('SELECT count(*) AS n FROM process_object po JOIN object o ON o.id = po.object_id WHERE o.path = ?', '/old/libgone.so')[0].n, 1);
});

/** Bytes of the pages in use (not free), through the reader connection. */
function usedBytes(h: Harness): number {
  const [r] = h.read<{ pages: number; size: number }>(
    'SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()) AS pages, (SELECT page_size FROM pragma_page_size()) AS size',
  );
  return r.pages * r.size;
}

/**
 * Fills a store with `records`, then runs size retention with max_size_mb
 * set so that 90% of it is `fraction` of the data. Returns how many of the
 * newest processes would ideally stay: those that fit in 90% of the limit
 * at the density they had, beyond what the empty store takes.
 */
async function sizeRetention(records: readonly OgrtRecord[], fraction: number) {
  const fill = await harness();
  const empty = usedBytes(fill);
  for (let i = 0; i < records.length; i += 100) assert.equal(await fill.send(records.slice(i, i + 100)), { status: 'ok' });
  const full = usedBytes(fill);
  const dir = fill.dir;
  open = open.filter((x) => x !== fill);
  await fill.out.stop();
  const maxBytes = (full * fraction) / 0.9;
  const fc = fakeContext({ id: 'store', configDir: dir });
  const out = plugin.create(fc.ctx, { ...DEFAULTS, max_size_mb: maxBytes / 1_048_576 }) as SqliteOutput;
  await out.start();
  await out.runRetention();
  const reader = new Database(path.join(dir, DEFAULTS.path), { readonly: true });
  const kept = (reader.prepare('SELECT pid FROM process ORDER BY time_us').pluck().all() as number[]);
  reader.close();
  await out.stop();
  await removeDir(dir);
  const ideal = Math.floor((0.9 * maxBytes - empty) / ((full - empty) / records.length));
  return { kept, ideal, maxBytes, full, fc, used: fc.gauges.get(gaugeKey('database_bytes')) ?? NaN };
}

const minuteTime = (i: number) => `2026-11-24T${String(10 + Math.floor(i / 3600)).padStart(2, '0')}:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000000Z`;

test('retention by size: the newest processes that fit in 90% of max_size_mb stay, no fewer; pages go back to the file system', async () => {
  const maxMb = 0.5;
  const h = await harness({ max_size_mb: maxMb });
  const empty = usedBytes(h);
  const filler = 'x'.repeat(2000);
  const records: OgrtRecord[] = [];
  for (let i = 1; i <= 800; i++) records.push(proc(i, { time: minuteTime(i), cmdline: `${i} ${filler}` }));
  for (let i = 0; i < records.length; i += 100) assert.equal(await h.send(records.slice(i, i + 100)), { status: 'ok' });
  const before = statSync(h.file).size;
  const full = usedBytes(h);
  assert.ok(before > maxMb * 1_048_576, `filled to ${before} bytes`);
  await h.out.runRetention();
  const used = h.fc.gauges.get(gaugeKey('database_bytes'));
  assert.ok(used !== undefined && used <= maxMb * 1_048_576, `data ${used} bytes`);
  assert.ok(statSync(h.file).size < before / 2, `file shrank from ${before} to ${statSync(h.file).size}`);
  const kept = h.read<{ pid: number }>('SELECT pid FROM process ORDER BY pid').map((r) => r.pid);
  const ideal = Math.floor((0.9 * maxMb * 1_048_576 - empty) / ((full - empty) / records.length));
  // No fewer than 95% of them; a page's worth more is rounding (the empty store's pages are counted a little differently).
  assert.ok(kept.length >= 0.95 * ideal && kept.length <= ideal + 2, `kept ${kept.length} of the ${ideal} that fit`);
  assert.equal(kept, records.slice(800 - kept.length).map((r) => r.pid), 'the newest are kept');
  assert.is(h.fc.count('retention_deleted_processes_total', { reason: 'size' }), 800 - kept.length);
});

test('retention by size with random uuids and shared libraries (half-empty index pages): close to the ideal, under the limit', async () => {
  const records: OgrtRecord[] = [];
  for (let i = 1; i <= 1200; i++) {
    records.push(makeRecord({
      pid: i,
      time: minuteTime(i),
      cmdline: `${i} ${'x'.repeat(200 + (i % 300))}`,
      shared_objects: Array.from({ length: 20 }, (_, k) => ({ path: `/opt/lib/lib${(i * 7 + k) % 200}.so` })),
    }));
  }
  // Cutting a store in half (0.5) leaves more index pages half empty than trimming a fifth: the file limit then costs more records.
  for (const [fraction, least] of [[0.8, 0.95], [0.5, 0.8]]) {
    const r = await sizeRetention(records, fraction);
    assert.ok(r.used <= r.maxBytes, `fraction ${fraction}: ${r.used} bytes in use, limit ${r.maxBytes}`);
    assert.ok(r.kept.length >= least * r.ideal && r.kept.length <= r.ideal + 2, `fraction ${fraction}: kept ${r.kept.length} of the ${r.ideal} that fit`);
    assert.equal(r.kept, records.slice(records.length - r.kept.length).map((x) => x.pid), 'the newest are kept');
  }
});

test('options: path is relative to the config dir; ":memory:" and directory paths are configuration errors', async () => {
  const h = await harness({ path: 'sub/dir/store.db' });
  assert.is(h.file, path.join(h.dir, 'sub/dir/store.db'));
  assert.ok(statSync(h.file).isFile());
  for (const bad of [':memory:', 'data/']) {
    try {
      plugin.create(fakeContext({ id: 'x' }).ctx, { ...DEFAULTS, path: bad });
      assert.unreachable('must fail');
    } catch (err) {
      assert.instance(err, OgrtError);
      assert.is((err as OgrtError).code, 'OGRT_ERR_CONFIG_INVALID');
      assert.match((err as OgrtError).message, /^outputs\.x: path: /);
    }
  }
});

test('a file that is not an OGRT store is refused at start, and left alone', async () => {
  const dir = await tempDir('ogrt-sqlite-');
  try {
    const file = path.join(dir, 'other.db');
    const db = new Database(file);
    db.exec('CREATE TABLE mine (x)');
    db.close();
    const out = plugin.create(fakeContext({ configDir: dir }).ctx, { ...DEFAULTS, path: 'other.db' }) as SqliteOutput;
    try {
      await out.start();
      assert.unreachable('must fail');
    } catch (err) {
      assert.match((err as Error).message, /not an OGRT store/);
    }
    const check = new Database(file, { readonly: true });
    assert.equal(check.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all(), ['mine']);
    check.close();
  } finally {
    await removeDir(dir);
  }
});

test.run();
