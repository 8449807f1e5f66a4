/**
 * Stores, end to end: ogrt-server (its own process, as in the ingest
 * benchmark) receives the workload stream over TCP and writes it with
 * output-elasticsearch into the fake Elasticsearch of the tests, which runs
 * in this process (it parses every bulk line and checks it against the
 * template's mappings). For batch sizes and for a memory and a disk buffer:
 * records/s from the first byte sent until the store has received every
 * record, the server's CPU per 100 000 records and its peak RSS; then every
 * uuid must be stored exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeElasticsearch } from '../test/fakes/elasticsearch-server.ts';
import { cpuSeconds, vmMiB } from './proc.ts';
import { sendStream } from './sender.ts';
import { recordAt, type LoadedStream } from './workload.ts';
import { freePort, type Receiver } from './peers/daemon.ts';
import { startOgrt, type ServerCommand } from './peers/ogrt.ts';

export type BufferType = 'memory' | 'disk';

export interface StoreRun {
  readonly buffer: BufferType;
  readonly batch: number;
  readonly recordsPerSecond: number;
  readonly cpuSecondsPer100k: number;
  readonly peakRssMiB: number;
  /** Distinct uuids stored / records sent; bulk items received (retries included). */
  readonly stored: number;
  readonly items: number;
  readonly ok: boolean;
}

export interface StoreOptions {
  readonly stream: LoadedStream;
  readonly server: ServerCommand;
  readonly buffer: BufferType;
  readonly batch: number;
  readonly timeoutMs?: number;
}

export async function runStore(es: FakeElasticsearch, opts: StoreOptions): Promise<StoreRun> {
  const n = opts.stream.meta.messages;
  es.clear();
  const dir = mkdtempSync(path.join(os.tmpdir(), `ogrt-bench-store-`));
  let server: Receiver | undefined;
  try {
    server = await startOgrt({
      dir,
      port: await freePort(),
      command: opts.server,
      template: 'ogrt-es.conf',
      values: { ES_URL: es.url, BATCH: opts.batch, BATCH_BYTES: opts.batch * 8192, BUFFER: opts.buffer },
      label: `ogrt-server → elasticsearch (${opts.buffer}, batch ${opts.batch})`,
    });
    const cpuBefore = cpuSeconds(server.pid);
    const sent = await sendStream(opts.stream, { port: server.port });
    const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
    let lastItems = -1;
    let lastChange = Date.now();
    while (es.itemCount < n) {
      if (!server.running()) throw new Error(`${server.label} exited:\n${server.output().slice(-4000)}`);
      if (es.itemCount !== lastItems) {
        lastItems = es.itemCount;
        lastChange = Date.now();
      }
      if (Date.now() > deadline || Date.now() - lastChange > 30_000) {
        throw new Error(`${server.label}: the store has ${es.itemCount}/${n} records; the server said:\n${server.output().slice(-4000)}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    const doneAt = performance.now();
    const cpu = cpuSeconds(server.pid) - cpuBefore;
    const peakRssMiB = vmMiB(server.pid, 'VmHWM');
    await server.stop();
    const ids = new Set(es.documents().map((d) => d.id));
    let known = 0;
    for (let i = 0; i < n; i++) if (ids.has(recordAt(opts.stream.meta.seed, i).uuid)) known++;
    return {
      buffer: opts.buffer,
      batch: opts.batch,
      recordsPerSecond: n / ((doneAt - sent.startedAt) / 1000),
      cpuSecondsPer100k: (cpu * 100_000) / n,
      peakRssMiB,
      stored: ids.size,
      items: es.itemCount,
      ok: known === n && ids.size === n,
    };
  } finally {
    await server?.stop(5_000);
    rmSync(dir, { recursive: true, force: true });
  }
}
