/**
 * The store's indexes serve the built-in queries: EXPLAIN QUERY PLAN of the
 * SQL the dashboard runs (src/core/queries/sqlite-sql.ts) on a store written
 * by the output shows index searches — never a full SCAN of process or
 * process_object, nor of object except for a glob that has to look at every
 * library path — both as the output leaves the file (PRAGMA optimize at
 * stop) and after a full ANALYZE.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import Database from 'better-sqlite3';
import plugin from '../../../plugins/output-sqlite/index.ts';
import type { SqliteOutput } from '../../../plugins/output-sqlite/output.ts';
import { querySql, type QuerySql } from '../../../src/core/queries/sqlite-sql.ts';
import type { OgrtRecord } from '../../../src/core/plugin-api.ts';
import { fakeContext } from '../../helpers/fake-context.ts';
import { makeRecord } from '../../helpers/records.ts';
import { removeDir, tempDir } from '../../helpers/temp.ts';

const SIG = 'b73c604d-c2e9-4057-ae31-586aa5ee29e3';
const PREFIXES = ['/usr/', '/opt/'];
const PARAMS = {
  signature: SIG, glob: '*/libblas*.so*', from: 1_700_000_000_000_000, to: 1_900_000_000_000_000, limit: 20, job: '17', sort: 'runs',
  prefix0: PREFIXES[0], prefix1: PREFIXES[1],
};

/** Query → indexes its plan must search with. */
const EXPECTED: Partial<Record<keyof QuerySql, string[]>> = {
  bySignature: ['process_signature', 'object_signature', 'process_object_object'],
  matchedBySignature: ['process_signature', 'object_signature', 'process_object_object'],
  byLibraryExact: ['sqlite_autoindex_object_1', 'process_object_object'],
  matchedByLibraryExact: ['sqlite_autoindex_object_1', 'process_object_object'],
  byLibrary: ['process_object_object'],
  matchedByLibrary: ['process_object_object'],
  jobProcesses: ['process_job'],
  jobCount: ['process_job'],
  jobLibraries: ['process_job'],
  totalsInRange: ['process_time'],
  executablesInRange: ['process_time'],
  userBuiltInRange: ['process_time'],
  librariesInRange: ['process_time'],
};

/** Glob lookups must read every library path (object is small: each distinct library once). */
const MAY_SCAN_OBJECT = new Set<keyof QuerySql>(['byLibrary', 'matchedByLibrary']);

function records(): OgrtRecord[] {
  const out: OgrtRecord[] = [];
  for (let i = 0; i < 400; i++) {
    const day = String(1 + (i % 28)).padStart(2, '0');
    out.push(makeRecord({
      time: `2026-11-${day}T10:00:00.000000Z`,
      job_id: String(i % 50),
      username: `user${i % 7}`,
      hostname: `node${i % 13}`,
      binpath: i % 5 === 0 ? `/home/user${i % 7}/bin/sim` : `/usr/bin/tool${i % 11}`,
      signature: i % 9 === 0 ? SIG : undefined,
      shared_objects: [
        { path: '/lib/x86_64-linux-gnu/libc.so.6' },
        { path: `/opt/blas${i % 3}/lib/libblas${i % 3}.so.3`, signature: i % 3 === 0 ? SIG : undefined },
        { path: `/opt/lib/libextra${i % 40}.so` },
      ],
    }));
  }
  return out;
}

/** `detail` lines of EXPLAIN QUERY PLAN. */
function plan(db: Database.Database, sql: string): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(PARAMS) as { detail: string }[]).map((r) => r.detail);
}

function checkPlans(db: Database.Database, when: string): void {
  const sql = querySql(PREFIXES.length);
  for (const [name, indexes] of Object.entries(EXPECTED) as [keyof QuerySql, string[]][]) {
    const lines = plan(db, sql[name]);
    const shown = `${name} (${when}):\n  ${lines.join('\n  ')}`;
    for (const line of lines) {
      const scanned = /^SCAN (\w+)/.exec(line)?.[1];
      if (scanned === undefined) continue;
      const table = ({ p: 'process', po: 'process_object', o: 'object' } as Record<string, string>)[scanned] ?? scanned;
      assert.ok(table !== 'process' && table !== 'process_object', `full scan of ${table}: ${shown}`);
      assert.ok(table !== 'object' || MAY_SCAN_OBJECT.has(name), `full scan of object: ${shown}`);
    }
    for (const index of indexes) assert.ok(lines.some((l) => l.startsWith('SEARCH ') && l.includes(` INDEX ${index} `)), `${name} searches with ${index}: ${shown}`);
  }
}

test('the lookups by signature, library path, job and time range search the indexes (before and after ANALYZE)', async () => {
  const dir = await tempDir('ogrt-sqlite-plans-');
  try {
    const out = plugin.create(fakeContext({ id: 'store', configDir: dir }).ctx, {
      path: 'ogrt.db', retention_days: 0, max_size_mb: 0, retention_interval_s: 300, synchronous: 'normal', mode: '0640', busy_timeout_ms: 5_000,
    }) as SqliteOutput;
    await out.start();
    const all = records();
    for (let i = 0; i < all.length; i += 100) assert.equal(await out.send({ records: all.slice(i, i + 100), bytes: 0, attempt: 1 }), { status: 'ok' });
    await out.stop();

    const file = path.join(dir, 'ogrt.db');
    const reader = new Database(file, { readonly: true, fileMustExist: true });
    try {
      assert.is(reader.prepare('SELECT count(*) FROM process').pluck().get(), all.length);
      checkPlans(reader, 'as written');
    } finally {
      reader.close();
    }
    const analyzed = new Database(file);
    try {
      analyzed.exec('ANALYZE');
      checkPlans(analyzed, 'after ANALYZE');
    } finally {
      analyzed.close();
    }
  } finally {
    await removeDir(dir);
  }
});

test.run();
