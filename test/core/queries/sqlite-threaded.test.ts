import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import plugin from '../../../plugins/output-sqlite/index.ts';
import type { OutputInstance } from '../../../src/core/plugin-api.ts';
import { OgrtError } from '../../../src/core/errors.ts';
import { SqliteQueryBackend } from '../../../src/core/queries/sqlite-backend.ts';
import { ThreadedSqliteBackend } from '../../../src/core/queries/sqlite-threaded.ts';
import { fakeContext } from '../../helpers/fake-context.ts';
import { removeDir, tempDir } from '../../helpers/temp.ts';
import { FIXTURE, SIG_BLAS } from './store-harness.ts';

let dir: string;
let file: string;

test.before(async () => {
  dir = await tempDir('ogrt-threaded-');
  file = path.join(dir, 'ogrt.db');
  const out = plugin.create(fakeContext({ configDir: dir }).ctx, {
    path: 'ogrt.db', retention_days: 0, max_size_mb: 0, retention_interval_s: 300, synchronous: 'normal', mode: '0640', busy_timeout_ms: 1000,
  }) as OutputInstance;
  await out.start!();
  assert.equal(await out.send({ records: FIXTURE, bytes: 0, attempt: 1 }), { status: 'ok' });
  await out.stop!();
});

test.after(async () => {
  await removeDir(dir);
});

test('the worker answers exactly what the same queries answer inline', async () => {
  const options = { file, systemPrefixes: ['/usr/', '/lib/'] };
  const inline = new SqliteQueryBackend(options);
  const threaded = new ThreadedSqliteBackend(options);
  try {
    const queries = [
      (b: SqliteQueryBackend | ThreadedSqliteBackend) => b.affectedJobs({ signature: SIG_BLAS, limit: 10 }),
      (b: SqliteQueryBackend | ThreadedSqliteBackend) => b.affectedJobs({ library: 'lib*.so*', fromUs: Date.UTC(2026, 10, 2) * 1000, limit: 10 }),
      (b: SqliteQueryBackend | ThreadedSqliteBackend) => b.census({ limit: 3 }),
      (b: SqliteQueryBackend | ThreadedSqliteBackend) => b.jobStory({ jobId: '100', limit: 10 }),
    ];
    const [a, b] = await Promise.all([Promise.all(queries.map((q) => q(inline))), Promise.all(queries.map((q) => q(threaded)))]);
    assert.equal(b, a);
    assert.equal((a[0] as { jobs: { job_id: string | null }[] }).jobs.map((j) => j.job_id), ['100', '101', null]);
  } finally {
    await inline.close();
    await threaded.close();
  }
});

test('errors keep their code across the thread; a closed backend starts a new worker on the next query', async () => {
  const missing = new ThreadedSqliteBackend({ file: path.join(dir, 'nope.db'), systemPrefixes: [] });
  try {
    await missing.census({ limit: 1 });
    assert.unreachable('must fail');
  } catch (err) {
    assert.instance(err, OgrtError);
    assert.is((err as OgrtError).code, 'OGRT_ERR_QUERY_NO_STORE');
    assert.match((err as OgrtError).message, /^no store to query: cannot open .*nope\.db/);
  } finally {
    await missing.close();
  }
  const b = new ThreadedSqliteBackend({ file, systemPrefixes: [] });
  assert.is((await b.census({ limit: 1 })).totals.processes, 6);
  await b.close();
  assert.is((await b.jobStory({ jobId: '101', limit: 5 })).total, 1);
  await b.close();
});

test.run();
