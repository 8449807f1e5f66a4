/**
 * The SQLite queries for the running server: the same SqliteQueryBackend,
 * in a worker thread (sqlite-worker.ts), so a long query never blocks
 * intake. The worker starts on the first query and is started again after
 * it died; queries run one after the other in it. The CLI, which has no
 * event loop to protect, uses SqliteQueryBackend directly.
 */
import { Worker } from 'node:worker_threads';
import { CATALOGUE, OgrtError, type ErrorCode } from '../errors.ts';
import type { SqliteBackendOptions } from './sqlite-backend.ts';
import type { QueryOp, WorkerReply } from './sqlite-worker.ts';
import type {
  AffectedJobsQuery, AffectedJobsResult, CensusQuery, CensusResult, JobStoryQuery, JobStoryResult, QueryBackend,
} from './types.ts';

interface Pending {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/**
 * The worker: dist/sqlite-worker.js in the bundle. From source (tsx), the
 * worker registers tsx's loader itself before importing sqlite-worker.ts —
 * Node 20 does not apply the parent's `--import tsx` to worker threads.
 */
function createWorker(workerData: unknown): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./sqlite-worker.js', here), { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./sqlite-worker.ts', here).href;
  const boot = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

export class ThreadedSqliteBackend implements QueryBackend {
  readonly description: string;
  readonly label: string;
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly options: SqliteBackendOptions) {
    this.description = `sqlite ${options.file}`;
    this.label = `sqlite ${options.shownFile ?? options.file}`;
  }

  affectedJobs(q: AffectedJobsQuery): Promise<AffectedJobsResult> {
    return this.call('affectedJobs', q) as Promise<AffectedJobsResult>;
  }

  census(q: CensusQuery): Promise<CensusResult> {
    return this.call('census', q) as Promise<CensusResult>;
  }

  jobStory(q: JobStoryQuery): Promise<JobStoryResult> {
    return this.call('jobStory', q) as Promise<JobStoryResult>;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w !== undefined) await w.terminate();
  }

  private call(op: QueryOp, query: unknown): Promise<unknown> {
    const worker = this.start();
    worker.ref();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, op, query });
    });
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = createWorker({ file: this.options.file, shownFile: this.options.shownFile, systemPrefixes: [...this.options.systemPrefixes] });
    // Only a query in flight keeps the process alive.
    worker.unref();
    worker.on('message', (reply: WorkerReply) => this.settle(reply));
    worker.on('error', (err) => this.fail(worker, err));
    worker.on('exit', (code) => this.fail(worker, new Error(`query worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private settle(reply: WorkerReply): void {
    const p = this.pending.get(reply.id);
    if (p === undefined) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if ('result' in reply) {
      p.resolve(reply.result);
      return;
    }
    const code = reply.error.code;
    if (code !== undefined && code in CATALOGUE) {
      const err = new OgrtError(code as ErrorCode, []);
      err.message = reply.error.message;
      p.reject(err);
    } else {
      p.reject(new OgrtError('OGRT_ERR_QUERY_STORE', [this.description, reply.error.message]));
    }
  }

  /** The worker died: every query in flight fails; the next one starts a new worker. */
  private fail(worker: Worker, err: Error): void {
    if (this.worker === worker) this.worker = undefined;
    for (const p of this.pending.values()) p.reject(new OgrtError('OGRT_ERR_QUERY_STORE', [this.description, err.message], { cause: err }));
    this.pending.clear();
  }
}
