/**
 * Durability tests: ogrt-server as a child process (the real CLI) fed over
 * TCP, or in-process with a driven input; the fake Elasticsearch as the
 * store; helpers to count what arrived.
 */
import net from 'node:net';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { BUILTIN_PLUGINS } from '../../src/core/builtin-plugins.ts';
import { encodeRecord, frameOctetCounted } from '../../src/core/wire.ts';
import type { OgrtRecord } from '../../src/core/record.ts';
import { REPO_ROOT, spawnServer, type ServerProcess } from '../helpers/server.ts';
import { makeRecord } from '../helpers/records.ts';
import type { FakeElasticsearch } from '../fakes/elasticsearch-server.ts';

/** `type` of the tcp input: the built-in name once registered, else its path. */
export const TCP_INPUT = BUILTIN_PLUGINS.some((p) => p.kind === 'input' && p.type === 'tcp')
  ? 'tcp'
  : path.join(REPO_ROOT, 'plugins/input-tcp/index.ts');

/** Records of about 1.2 KB of JSON, like a real process record. */
export function realisticRecords(n: number, tag = 'r'): OgrtRecord[] {
  const out: OgrtRecord[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      makeRecord({
        pid: 1000 + i,
        job_id: `${tag}-${i}`,
        binpath: '/opt/apps/gromacs/2024.1/bin/gmx_mpi',
        cmdline: `gmx_mpi mdrun -deffnm step${i} -ntomp 8`,
        shared_objects: Array.from({ length: 12 }, (_, k) => ({ path: `/opt/apps/lib/libdep${k}.so.${k}`, signature: '0b6e4a8c-5d3f-4c2a-9e1b-7f8a9b0c1d2e' })),
        loaded_modules: [{ name: 'gcc/12.2.0' }, { name: 'openmpi/4.1.5' }, { name: 'gromacs/2024.1' }],
        environment_variables: [{ name: 'OMP_NUM_THREADS', value: '8' }, { name: 'SLURM_JOB_ID', value: String(4000 + i) }],
      }),
    );
  }
  return out;
}

/** Octet-counted frames of `records`, as libogrt sends them. */
export function frames(records: readonly OgrtRecord[]): Buffer {
  return frameOctetCounted(records.flatMap((r) => encodeRecord(r)));
}

export interface Sender {
  /** Writes the records, waiting whenever the socket buffer is full (TCP backpressure). */
  send(records: readonly OgrtRecord[]): Promise<void>;
  /** Ends the connection once everything is written. */
  end(): Promise<void>;
  readonly socket: net.Socket;
}

export async function connect(port: number): Promise<Sender> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  return {
    socket,
    async send(records) {
      if (socket.destroyed) throw new Error('connection closed');
      if (socket.write(frames(records))) return;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          socket.off('drain', done).off('close', done);
          resolve();
        };
        socket.on('drain', done).on('close', done);
      });
    },
    end: () => new Promise<void>((resolve) => socket.end(resolve)),
  };
}

export interface ChildServer {
  readonly proc: ServerProcess;
  readonly port: number;
  readonly pid: number;
}

/** Writes `toml` to dir/ogrt.conf, starts the CLI on it and waits for its tcp input's address. */
export async function startChild(dir: string, toml: string, env: NodeJS.ProcessEnv = {}): Promise<ChildServer> {
  await writeFile(path.join(dir, 'ogrt.conf'), toml);
  const proc = spawnServer(['--config', 'ogrt.conf'], { cwd: dir, env });
  const listening = await proc.waitForLog((l) => l.msg === 'listening', 20_000, 'the tcp input to listen');
  await proc.waitForLog((l) => l.msg === 'ogrt-server started', 20_000, 'the server to start');
  const port = Number(String(listening.address).split(':').pop());
  return { proc, port, pid: proc.child.pid! };
}

/** Resident set size of a process, KiB (Linux /proc). */
export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]);
}

/** _id → number of stored documents with it (always 1 in a correct store) over every index. */
export function storedIds(es: FakeElasticsearch): Map<string, number> {
  const ids = new Map<string, number>();
  for (const d of es.documents()) ids.set(d.id, (ids.get(d.id) ?? 0) + 1);
  return ids;
}

/** Bulk items the store processed beyond the documents it holds: re-deliveries, deduplicated by _id. */
export function redelivered(es: FakeElasticsearch): number {
  return es.itemCount - es.documents().length;
}
