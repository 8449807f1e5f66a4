/**
 * Test helpers for output plugins: records, a recording context, options with
 * the schema's defaults applied (as the core does), and a tiny stand-in for
 * the core's retry loop (resend the whole batch on retry, the retry indexes
 * on partial, collect rejects) so tests can check what ends up in a store.
 */
import { randomUUID } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import type { Batch, OgrtRecord, OutputContext, OutputInstance, OutputPluginDefinition, SendResult } from '../../../src/core/plugin-api.ts';

export interface LogLine {
  level: string;
  obj: unknown;
  msg?: string;
}

export interface TestContext {
  ctx: OutputContext;
  logs: LogLine[];
  metrics: { name: string; by: number; labels?: Record<string, string> }[];
  abort: AbortController;
  /** Every log line as one string, to search for leaked secrets. */
  logText(): string;
}

export function makeContext(id = 'test', configDir = process.cwd()): TestContext {
  const logs: LogLine[] = [];
  const metrics: TestContext['metrics'] = [];
  const abort = new AbortController();
  const line = (level: string) => (obj: object | string, msg?: string) => {
    logs.push({ level, obj, msg });
  };
  const ctx: OutputContext = {
    id,
    log: { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') },
    metrics: {
      increment: (name, by = 1, labels) => metrics.push({ name, by, labels }),
      setGauge: () => undefined,
    },
    signal: abort.signal,
    configDir,
  };
  return { ctx, logs, metrics, abort, logText: () => logs.map((l) => JSON.stringify(l.obj) + ' ' + (l.msg ?? '')).join('\n') };
}

/** Options as the core hands them over: defaults applied, schema checked. */
export function options<S extends TSchema>(schema: S, given: Record<string, unknown>): any {
  const value = Value.Default(schema, structuredClone(given));
  const errors = [...Value.Errors(schema, value)];
  if (errors.length > 0) throw new Error(`invalid options: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
  return value;
}

export function createOutput<S extends TSchema>(plugin: OutputPluginDefinition<S>, tc: TestContext, given: Record<string, unknown>): OutputInstance {
  return plugin.create(tc.ctx, options(plugin.options, given));
}

let counter = 0;

export function makeRecord(over: Partial<OgrtRecord> = {}): OgrtRecord {
  counter++;
  return {
    uuid: randomUUID(),
    kind: 'process',
    time: `2026-11-24T21:40:${String(counter % 60).padStart(2, '0')}.123456Z`,
    hostname: 'node042',
    job_id: '4711',
    pid: 10000 + counter,
    parent_pid: 1,
    uid: 1000,
    username: 'alice',
    binpath: '/usr/bin/python3.11',
    signature: 'b73c604d-c2e9-4057-ae31-586aa5ee29e3',
    cmdline: 'python3 -c pass',
    shared_objects: [{ path: '/lib/x86_64-linux-gnu/libc.so.6' }, { path: '/opt/blas/libopenblas.so.0', signature: '0b9c2f4e-5a0e-4c8e-9f54-4e0e1b2a3c4d' }],
    loaded_modules: [{ name: 'gcc/12.2.0' }],
    environment_variables: [{ name: 'OMP_NUM_THREADS', value: '4' }],
    receive: { input: 'direct', peer: '127.0.0.1:40312', time: '2026-11-24T21:40:08.125001Z' },
    ...over,
  };
}

export function makeRecords(n: number, over: Partial<OgrtRecord> = {}): OgrtRecord[] {
  return Array.from({ length: n }, () => makeRecord(over));
}

export function batchOf(records: readonly OgrtRecord[], attempt = 1): Batch {
  return { records, bytes: records.length * 600, attempt };
}

export interface Delivery {
  attempts: number;
  results: SendResult[];
  rejected: { record: OgrtRecord; reason: string }[];
}

/**
 * The core's retry loop in miniature: retry → same records again; partial →
 * only its retry indexes; reject → dead letters. `between` runs after each
 * failed attempt (e.g. to heal the store).
 */
export async function deliver(out: OutputInstance, records: readonly OgrtRecord[], maxAttempts = 10, between?: (attempt: number) => void | Promise<void>): Promise<Delivery> {
  let pending = records;
  const d: Delivery = { attempts: 0, results: [], rejected: [] };
  while (pending.length > 0) {
    if (d.attempts >= maxAttempts) throw new Error(`not delivered after ${maxAttempts} attempts: ${JSON.stringify(d.results.at(-1))}`);
    d.attempts++;
    const r = await out.send(batchOf(pending, d.attempts));
    d.results.push(r);
    if (r.status === 'ok') break;
    if (r.status === 'reject') {
      for (const record of pending) d.rejected.push({ record, reason: r.reason });
      break;
    }
    if (r.status === 'partial') {
      for (const x of r.rejected ?? []) d.rejected.push({ record: pending[x.index], reason: x.reason });
      pending = (r.retry ?? []).map((i) => pending[i]);
    }
    if (pending.length > 0) await between?.(d.attempts);
  }
  return d;
}

/** Polls `cond` until true or the deadline; never a fixed sleep as synchronization. */
export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** `retry` indexes of a partial result (undefined otherwise). */
export function retryOf(r: SendResult): readonly number[] | undefined {
  return r.status === 'partial' ? r.retry : undefined;
}

/** `rejected` entries of a partial result (undefined otherwise). */
export function rejectedOf(r: SendResult): readonly { index: number; reason: string }[] | undefined {
  return r.status === 'partial' ? r.rejected : undefined;
}

export function reasonOf(r: SendResult): string {
  return r.status === 'ok' ? '' : (r.reason ?? '');
}
