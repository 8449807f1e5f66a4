/**
 * In-process fake plugins for core tests: an input the test drives (emit on
 * demand) and an output whose send() the test scripts. Each factory call
 * makes a separate plugin with its own state.
 */
import {
  PLUGIN_API_VERSION,
  Type,
  definePlugin,
  type Batch,
  type InputContext,
  type OutputContext,
  type SendResult,
} from '../../src/core/plugin-api.ts';
import type { OgrtRecord } from '../../src/core/record.ts';

/** Shared order of lifecycle calls across fakes: "output:out:start", "input:in:stop", ... */
export type Timeline = string[];

export interface FakeInput {
  readonly ctx: InputContext;
  readonly options: { address: string; fail_start: boolean };
  started: boolean;
  stopped: boolean;
  /** ctx.emit. */
  emit(records: readonly OgrtRecord[], wireBytes?: number): Promise<void> | undefined;
  /** Runs during stop(), before it resolves (e.g. emit the last records). */
  onStop?: () => Promise<void> | void;
}

export function fakeInputPlugin(type = 'fake-in', timeline: Timeline = []) {
  const instances = new Map<string, FakeInput>();
  const plugin = definePlugin({
    apiVersion: PLUGIN_API_VERSION,
    kind: 'input',
    type,
    description: 'test input driven by the test',
    options: Type.Object(
      {
        address: Type.String({ default: '', description: 'Reported by addresses() when not empty.' }),
        fail_start: Type.Boolean({ default: false, description: 'start() throws, like a port in use.' }),
      },
      { additionalProperties: false },
    ),
    create(ctx, options) {
      const input: FakeInput = {
        ctx,
        options,
        started: false,
        stopped: false,
        emit: (records, wireBytes = records.length * 100) => ctx.emit(records, wireBytes),
      };
      instances.set(ctx.id, input);
      return {
        async start() {
          timeline.push(`input:${ctx.id}:start`);
          if (options.fail_start) throw new Error(`listen EADDRINUSE: address already in use ${options.address}`);
          input.started = true;
        },
        async stop() {
          timeline.push(`input:${ctx.id}:stop`);
          await input.onStop?.();
          input.stopped = true;
        },
        addresses: () => (options.address === '' ? [] : [options.address]),
      };
    },
  });
  return {
    plugin,
    instances,
    get(id: string): FakeInput {
      const i = instances.get(id);
      if (i === undefined) throw new Error(`no fake input ${id}`);
      return i;
    },
  };
}

export type SendHandler = (batch: Batch, call: number) => Promise<SendResult> | SendResult | unknown;

export interface FakeOutput {
  ctx?: OutputContext;
  /** Scripted send(); default: ok. `call` counts send() calls of this instance from 1. */
  send: SendHandler;
  /** Scripted start(); default: resolves. */
  start: (call: number) => Promise<void> | void;
  /** Every batch send() was called with (records copied), in call order. */
  readonly batches: { uuids: string[]; attempt: number; bytes: number }[];
  /** uuids acknowledged with status ok (only records of ok batches). */
  readonly stored: string[];
  startCalls: number;
  stopCalls: number;
  reopenCalls: number;
  /** send() calls currently running. */
  inFlight: number;
  maxInFlight: number;
}

export function fakeOutputPlugin(type = 'fake-out', timeline: Timeline = [], batchFormat: 'records' | 'json' = 'records') {
  const instances = new Map<string, FakeOutput>();
  const instance = (id: string): FakeOutput => {
    let o = instances.get(id);
    if (o === undefined) {
      o = { send: () => ({ status: 'ok' }), start: () => undefined, batches: [], stored: [], startCalls: 0, stopCalls: 0, reopenCalls: 0, inFlight: 0, maxInFlight: 0 };
      instances.set(id, o);
    }
    return o;
  };
  const plugin = definePlugin({
    apiVersion: PLUGIN_API_VERSION,
    kind: 'output',
    type,
    description: 'test output scripted by the test',
    batchFormat,
    options: Type.Object({ label: Type.String({ default: '', description: 'Free text.' }) }, { additionalProperties: false }),
    create(ctx) {
      const o = instance(ctx.id);
      o.ctx = ctx;
      return {
        async start() {
          o.startCalls++;
          timeline.push(`output:${ctx.id}:start`);
          await o.start(o.startCalls);
        },
        async send(batch) {
          o.batches.push({ uuids: batch.records.map((r) => r.uuid), attempt: batch.attempt, bytes: batch.bytes });
          o.inFlight++;
          o.maxInFlight = Math.max(o.maxInFlight, o.inFlight);
          try {
            const result = (await o.send(batch, o.batches.length)) as SendResult;
            if ((result as { status?: unknown })?.status === 'ok') for (const r of batch.records) o.stored.push(r.uuid);
            return result;
          } finally {
            o.inFlight--;
          }
        },
        async stop() {
          o.stopCalls++;
          timeline.push(`output:${ctx.id}:stop`);
        },
        reopen() {
          o.reopenCalls++;
        },
      };
    },
  });
  return { plugin, instances, instance };
}
