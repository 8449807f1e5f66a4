/**
 * The one door into the core for plugins, built-in and site-written alike.
 * A plugin folder imports only from here (or, once published, from 'ogrt').
 *
 * Lifecycle (owned by the core, see src/core/server.ts):
 *   options validated against `options` schema → create(ctx, options) →
 *   start() → inputs emit / outputs send … → stop() (inputs first; outputs
 *   after their queues drained) .
 */
import type { Static, TSchema } from '@sinclair/typebox';
import type { OgrtRecord } from './record.ts';

export type { OgrtRecord, RecordKind, SharedObject, LoadedModule, EnvironmentVariable, ReceiveInfo } from './record.ts';

/** Bumped when a change to this file would break existing plugins. */
export const PLUGIN_API_VERSION = 1;

/** pino-compatible subset: `log.warn({ peer }, 'frame too large')`. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export type MetricLabels = Readonly<Record<string, string>>;

/**
 * Per-component metrics. Names follow Vector's scheme (`_total` counters,
 * bounded label values), e.g.
 *   increment('component_errors_total', 1, { error_type: 'malformed_frame', stage: 'receiving' }).
 * The core adds the component labels (component_kind, component_type,
 * component_id) and the `ogrt_` prefix itself.
 *
 * Counted by the core, do not count them again: for inputs
 * `component_sent_events_total` / `component_sent_event_bytes_total` (what
 * went through emit()); for outputs everything about queues, batches and
 * delivery (received, sent, errors of send(), retries, dead letters,
 * buffer_events/buffer_bytes). Inputs count what they receive
 * (`component_received_events_total`, `component_received_bytes_total`) and
 * their own errors.
 */
export interface ComponentMetrics {
  increment(name: string, by?: number, labels?: MetricLabels): void;
  setGauge(name: string, value: number, labels?: MetricLabels): void;
}

export interface PluginContext {
  /** The instance name from ogrt.conf (`[outputs.NAME]`). */
  readonly id: string;
  /** Child logger whose lines carry `component: "output:file:NAME"`. */
  readonly log: Logger;
  readonly metrics: ComponentMetrics;
  /**
   * Aborted when the server shuts down: for inputs as soon as shutdown
   * begins; for outputs only once their queues are drained (or the shutdown
   * deadline passed), right before stop(), so in-flight sends may finish.
   */
  readonly signal: AbortSignal;
  /** Directory of the ogrt.conf in use; relative paths in options resolve against it. */
  readonly configDir: string;
}

export interface InputContext extends PluginContext {
  /**
   * Hand decoded records to the pipeline (fan-out to every output queue).
   * `wireBytes` is their size on the wire, for the outputs' byte limits.
   *
   * Returns `undefined` when every output accepted them at once, or a promise
   * when an output queue is full and its `when_full` is `block`: the input
   * must stop reading (pause the socket) until the promise resolves. This is
   * the backpressure signal; honouring it keeps memory bounded.
   */
  emit(records: readonly OgrtRecord[], wireBytes: number): Promise<void> | undefined;
}

export interface OutputContext extends PluginContext {}

/** A batch handed to an output. Records keep their uuids across retries. */
export interface Batch {
  readonly records: readonly OgrtRecord[];
  /** Wire bytes of the records (approximate payload size). */
  readonly bytes: number;
  /** 1 on the first try, then 2, 3, … for retries of the same records. */
  readonly attempt: number;
}

/**
 * What an output says about a batch. The core owns retries (exponential
 * backoff with jitter), dead-lettering and counters.
 *  - ok: every record is stored;
 *  - retry: nothing (or nothing certain) is stored, try the whole batch again;
 *  - reject: the batch will never be accepted; it is dead-lettered;
 *  - partial: indexes into batch.records that should be retried, and those
 *    rejected for good (with a reason each); all others are stored.
 */
export type SendResult =
  | { readonly status: 'ok' }
  | { readonly status: 'retry'; readonly reason: string; readonly retryAfterMs?: number }
  | { readonly status: 'reject'; readonly reason: string }
  | {
      readonly status: 'partial';
      readonly retry?: readonly number[];
      readonly rejected?: readonly { readonly index: number; readonly reason: string }[];
      readonly reason?: string;
    };

export interface InputInstance {
  /** Bind sockets; resolve once ready to receive. */
  start(): Promise<void>;
  /** Stop accepting, finish frames already read (emit them), close. */
  stop(): Promise<void>;
  /**
   * Addresses actually bound, e.g. `127.0.0.1:40312` (port 0 resolved) or a
   * socket path; valid after start(). The core logs one "listening" line per
   * address and reports them in RunningServer.inputs.
   */
  addresses?(): string[];
}

export interface OutputInstance {
  /**
   * Open files or clients. Must not fail just because a remote store is
   * down. If it throws, the core logs it and calls start() again with
   * backoff; records queue meanwhile.
   */
  start?(): Promise<void>;
  /**
   * Store one batch and say what happened. The core calls it with at most
   * `concurrency` batches in flight. A send() that throws or resolves to
   * something that is not a SendResult is logged, counted and retried; one
   * that has not settled after `send_timeout_ms` is retried too, and its
   * late result is ignored. The records are shared with other outputs: do
   * not modify them.
   */
  send(batch: Batch): Promise<SendResult>;
  /** Called after the last batch; flush and close. */
  stop?(): Promise<void>;
  /** SIGHUP: reopen files (logrotate). */
  reopen?(): Promise<void> | void;
}

interface PluginDefinitionBase<S extends TSchema> {
  /** The PLUGIN_API_VERSION the plugin was written for. */
  readonly apiVersion: number;
  /** Value of `type =` in ogrt.conf for built-ins; informative for plugins loaded by path. */
  readonly type: string;
  readonly description: string;
  /**
   * JSON Schema (TypeBox) of the plugin's own options, with a default and a
   * description for every key and `additionalProperties: false`. The core
   * validates ogrt.conf against it (applying defaults) before create().
   * Keys shared by all outputs (`batch`, `buffer`, `when_full`, `retry`,
   * `dead_letter_path`, `concurrency`, `send_timeout_ms`; see
   * docs/configuration.md) and `type` are the core's and are not part of it;
   * a schema that declares one of them is refused.
   */
  readonly options: S;
}

export interface InputPluginDefinition<S extends TSchema = TSchema> extends PluginDefinitionBase<S> {
  readonly kind: 'input';
  create(ctx: InputContext, options: Static<S>): InputInstance;
}

export interface OutputPluginDefinition<S extends TSchema = TSchema> extends PluginDefinitionBase<S> {
  readonly kind: 'output';
  create(ctx: OutputContext, options: Static<S>): OutputInstance;
}

export type PluginDefinition = InputPluginDefinition<any> | OutputPluginDefinition<any>;

/** Declare a plugin; the result is frozen. Use as `export default definePlugin({...})`. */
export function definePlugin<S extends TSchema>(def: InputPluginDefinition<S>): Readonly<InputPluginDefinition<S>>;
export function definePlugin<S extends TSchema>(def: OutputPluginDefinition<S>): Readonly<OutputPluginDefinition<S>>;
export function definePlugin(def: PluginDefinition): Readonly<PluginDefinition> {
  return Object.freeze(def);
}

export { Type } from '@sinclair/typebox';
export type { Static, TSchema } from '@sinclair/typebox';

// --- re-exports for input-tcp / output-file (framing, wire decoding, record schema) ---
export { FrameSplitter, type FramingMode, type FrameSplitterOptions } from './framing.ts';
export { OgrtRecordSchema as RecordSchema } from './record-schema.ts';
export { OgrtError, type ErrorCode } from './errors.ts';
export { decodeMessage, Reassembler, type WirePart, type WireHeader } from './wire.ts';
export { microsToIso } from './wire-time.ts';
