/**
 * Worker thread that answers the SQLite queries (sqlite-threaded.ts): a
 * census over millions of rows takes seconds, and better-sqlite3 is
 * synchronous — run on the server's event loop it would stall every input
 * and output meanwhile. Messages: { id, op, query } in, { id, result } or
 * { id, error: { code, message } } out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteQueryBackend, type SqliteBackendOptions } from './sqlite-backend.ts';
import type { QueryBackend } from './types.ts';

export type QueryOp = 'affectedJobs' | 'census' | 'jobStory';

export interface WorkerRequest {
  readonly id: number;
  readonly op: QueryOp;
  readonly query: unknown;
}

export type WorkerReply =
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: { readonly code?: string; readonly message: string } };

const port = parentPort;
if (port !== null) {
  const backend: QueryBackend = new SqliteQueryBackend(workerData as SqliteBackendOptions);
  port.on('message', (req: WorkerRequest) => {
    void answer(backend, req).then((reply) => port.postMessage(reply));
  });
}

async function answer(backend: QueryBackend, req: WorkerRequest): Promise<WorkerReply> {
  try {
    const result = await (backend[req.op] as (q: unknown) => Promise<unknown>).call(backend, req.query);
    return { id: req.id, result };
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    return { id: req.id, error: { code: typeof code === 'string' ? code : undefined, message: (err as Error)?.message ?? String(err) } };
  }
}
