/**
 * output-sqlite and the SQLite queries on a realistic stream: process
 * records with 30 shared objects (5 signed, from a pool of 300 libraries),
 * 2 000 jobs, 50 users, 100 hosts, batches of 500. Prints records/s for
 * both `synchronous` settings, then the time of each built-in query on the
 * resulting database. Not a test.
 *   node --import tsx bench/sqlite.bench.ts [records]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import plugin from '../plugins/output-sqlite/index.ts';
import type { SqliteOutput } from '../plugins/output-sqlite/output.ts';
import type { OgrtRecord, OutputContext } from '../src/core/plugin-api.ts';
import { SqliteQueryBackend } from '../src/core/queries/sqlite-backend.ts';
import { DEFAULT_SYSTEM_PREFIXES } from '../src/core/http/config.ts';

const N = Number(process.argv[2] ?? 50_000);
const BATCH = 500;
const SIG = (i: number) => `0b9c5e21-7d4a-4f6e-8b3c-${String(i).padStart(12, '0')}`;

function records(n: number): OgrtRecord[] {
  const out: OgrtRecord[] = [];
  const t0 = Date.UTC(2026, 10, 1);
  for (let i = 0; i < n; i++) {
    const libs = Array.from({ length: 30 }, (_, k) => {
      const lib = (i * 7 + k * 13) % 300;
      return lib % 60 === 0 ? { path: `/opt/lib${lib}/liblib${lib}.so.1`, signature: SIG(lib) } : { path: `/usr/lib64/lib${lib}.so.${lib % 4}` };
    });
    out.push({
      uuid: randomUUID(),
      kind: 'process',
      time: new Date(t0 + i * 1000).toISOString().replace('Z', '123Z'),
      hostname: `node${String(i % 100).padStart(3, '0')}`,
      job_id: String(100_000 + (i % 2000)),
      pid: 1000 + (i % 30_000),
      parent_pid: 999,
      uid: 1000 + (i % 50),
      username: `user${i % 50}`,
      binpath: i % 10 === 0 ? `/home/user${i % 50}/bin/sim` : `/usr/bin/tool${i % 40}`,
      cmdline: `tool --input /scratch/run${i}`,
      shared_objects: libs,
      loaded_modules: [{ name: 'gcc/12.2.0' }],
      environment_variables: [{ name: 'OMP_NUM_THREADS', value: '4' }],
    });
  }
  return out;
}

const silent = () => undefined;
const ctx = (dir: string): OutputContext => ({
  id: 'bench',
  log: { debug: silent, info: silent, warn: silent, error: silent },
  metrics: { increment: silent, setGauge: silent },
  signal: new AbortController().signal,
  configDir: dir,
});

async function write(sync: 'normal' | 'full', data: readonly OgrtRecord[], dir: string): Promise<string> {
  const file = `ogrt-${sync}.db`;
  const out = plugin.create(ctx(dir), { path: file, retention_days: 0, max_size_mb: 0, retention_interval_s: 3600, synchronous: sync, mode: '0640', busy_timeout_ms: 5000 }) as SqliteOutput;
  await out.start();
  const started = performance.now();
  for (let i = 0; i < data.length; i += BATCH) {
    const r = await out.send({ records: data.slice(i, i + BATCH), bytes: 0, attempt: 1 });
    if (r.status !== 'ok') throw new Error(JSON.stringify(r));
  }
  const seconds = (performance.now() - started) / 1000;
  await out.stop();
  const full = path.join(dir, file);
  console.log(`write synchronous=${sync}: ${Math.round(data.length / seconds)} records/s (${data.length} records, ${(statSync(full).size / 1_048_576).toFixed(1)} MiB)`);
  return full;
}

async function time(label: string, fn: () => Promise<unknown>): Promise<void> {
  const started = performance.now();
  await fn();
  console.log(`${label}: ${(performance.now() - started).toFixed(1)} ms`);
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'ogrt-sqlite-bench-'));
try {
  const data = records(N);
  await write('normal', data, dir);
  const file = await write('full', data, dir);
  const q = new SqliteQueryBackend({ file, systemPrefixes: DEFAULT_SYSTEM_PREFIXES });
  await time('affected-jobs by signature', () => q.affectedJobs({ signature: SIG(60), limit: 1000 }));
  await time('affected-jobs by library glob', () => q.affectedJobs({ library: 'liblib1*.so*', limit: 1000 }));
  await time('census', () => q.census({ limit: 20 }));
  await time('job story', () => q.jobStory({ jobId: '100042', limit: 1000 }));
  await q.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
