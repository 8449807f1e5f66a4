/**
 * The one door into the core for plugins, built-in and site-written alike.
 * A plugin folder imports only from here; site plugins import the same
 * through the package: 'ogrt' (src/index.ts) and, for inputs, the toolkit
 * 'ogrt/kit' (src/kit.ts). A built-in may import from here only what those
 * two publish (test/core/plugin-isolation-boundary.test.ts).
 * docs/plugins.md is the guide; this file is the contract.
 *
 * Three kinds: inputs receive records, filters drop, enrich or rewrite them,
 * outputs store them. Lifecycle (owned by the core, see src/core/server.ts):
 *   options validated against `options` schema → create(ctx, options) →
 *   start() (outputs, then filters, then inputs) → inputs emit, filters
 *   process, outputs send … → stop() (inputs first; then filters, once the
 *   records they hold reached the output queues; outputs after their queues
 *   drained and flush()).
 */
import { Type } from '@sinclair/typebox';
import type { Static, TSchema } from '@sinclair/typebox';
import type { OgrtRecord } from './record.ts';
import { OgrtError } from './errors.ts';
import { OgrtRecordSchema } from './record-schema.ts';
import { recordToJson } from './record-json.ts';
import * as kit from './plugin-kit.ts';
import { ProblemLog } from './problem-log.ts';
import { parseUtcPattern, formatUtcPattern, UTC_PATTERN_REGEX, type UtcPatternPart } from './time-pattern.ts';

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
   * when they could not be taken at once — an output queue is full and its
   * `when_full` is `block`, a disk buffer is writing them, or an async filter
   * is still processing them: the input must stop reading (pause the
   * socket) until the promise resolves. This is the backpressure signal;
   * honouring it keeps memory bounded. The records belong to the server
   * once emitted: do not change them afterwards.
   */
  emit(records: readonly OgrtRecord[], wireBytes: number): Promise<void> | undefined;
}

export interface OutputContext extends PluginContext {}

export interface FilterContext extends PluginContext {}

/** A batch handed to an output. Records keep their uuids across retries. */
export interface Batch {
  readonly records: readonly OgrtRecord[];
  /**
   * For outputs declared with `batchFormat: 'json'`: each record's JSON
   * (UTF-8, no newline; as output-file writes it), in the order of
   * `records`. Absent when a record of the batch has no JSON form (it
   * could not be serialized, or came from a disk buffer): use `records`.
   * Reading `records` of such a batch builds the objects from the JSON.
   */
  readonly json?: readonly Uint8Array[];
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

/**
 * What an instance says about itself when the core asks (every
 * HEALTH_INTERVAL_MS and on RunningServer.health()): `ok: false` with a
 * short `detail` such as "webhook answered 503 three times in a row". Shown
 * as the gauge `ogrt_component_healthy` (1 or 0) and logged when it changes.
 * A health() that throws or takes longer than HEALTH_TIMEOUT_MS counts as
 * unhealthy. Health is informative only: the core never stops or restarts
 * a component because of it.
 */
export interface HealthStatus {
  readonly ok: boolean;
  readonly detail?: string;
}

export interface InputInstance {
  /**
   * Bind sockets; resolve once ready to receive. A start() that fails (or
   * has not settled after PLUGIN_START_TIMEOUT_MS) stops the server from
   * starting: a port in use is a configuration problem.
   */
  start(): Promise<void>;
  /** Stop accepting, finish frames already read (emit them), close. */
  stop(): Promise<void>;
  /**
   * Addresses actually bound, e.g. `127.0.0.1:40312` (port 0 resolved) or a
   * socket path; valid after start(). The core logs one "listening" line per
   * address and reports them in RunningServer.inputs.
   */
  addresses?(): string[];
  health?(): Promise<HealthStatus> | HealthStatus;
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
  /**
   * Make what was acknowledged so far durable (fsync a file, flush a client
   * library's own buffer). Optional: an output whose `ok` already means
   * "durably stored" needs none. Called at shutdown once the output's queue
   * is drained, right before stop(), and on RunningServer.flush() (SIGUSR2
   * in ogrt-server). Failures are logged and counted, never retried.
   */
  flush?(): Promise<void> | void;
  /** Called after the last batch (and flush()); close. */
  stop?(): Promise<void>;
  /** SIGHUP: reopen files (logrotate). */
  reopen?(): Promise<void> | void;
  health?(): Promise<HealthStatus> | HealthStatus;
}

/**
 * A filter sees every batch an input emits, before the records are offered
 * to the outputs, and returns the records to pass on:
 *  - drop: leave records out of the returned array;
 *  - enrich or rewrite: change them in place, or return new objects; either
 *    way every returned record must still be a valid OgrtRecord (the core
 *    checks, see below), so extra information goes into existing fields;
 *  - add: return more records than were given (each with its own uuid).
 * The records belong to the filter until process() returns or its promise
 * settles, and never after: do not keep references to change them later.
 *
 * Filters run one after the other in the order of their `[filters.NAME]`
 * tables in ogrt.conf. Calls for the batches of one input are never
 * concurrent and keep their order; batches of different inputs may be in
 * process() at the same time.
 *
 * Containment: when process() throws, rejects, has not settled after the
 * filter's `timeout_ms`, or returns something that is not an array of valid
 * records, the error is logged and counted and the batch goes on exactly as
 * this filter received it (records are never lost because of a filter).
 * A synchronous process() is not timed: it blocks the whole server while it
 * runs, so keep it quick, or make it async.
 */
export interface FilterInstance {
  /**
   * Load lookup tables, open clients. A start() that fails (or has not
   * settled after PLUGIN_START_TIMEOUT_MS) stops the server from starting:
   * running without the filter would silently change what is stored.
   */
  start?(): Promise<void>;
  process(records: readonly OgrtRecord[]): readonly OgrtRecord[] | Promise<readonly OgrtRecord[]>;
  /** Called once no more batches come (after the inputs stopped and the last batch went through). */
  stop?(): Promise<void>;
  health?(): Promise<HealthStatus> | HealthStatus;
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
   * docs/configuration.md), by all filters (`timeout_ms`, `inputs`) and
   * `type` are the core's and are not part of it; a schema that declares
   * one of them is refused.
   */
  readonly options: S;
}

export interface InputPluginDefinition<S extends TSchema = TSchema> extends PluginDefinitionBase<S> {
  readonly kind: 'input';
  create(ctx: InputContext, options: Static<S>): InputInstance;
}

export interface OutputPluginDefinition<S extends TSchema = TSchema> extends PluginDefinitionBase<S> {
  readonly kind: 'output';
  /**
   * 'json' for an output whose send() reads `batch.json` (each record's
   * JSON) rather than `batch.records`. Its memory buffer then holds each
   * record as JSON bytes, encoded once as the record enters it, instead of
   * the record objects: records waiting in a deep buffer cost the garbage
   * collector more CPU than anything else the server does (docs/benchmarks.md).
   * `batch.records` is built from the JSON only if send() reads it.
   * Default 'records'.
   */
  readonly batchFormat?: 'records' | 'json';
  create(ctx: OutputContext, options: Static<S>): OutputInstance;
}

export interface FilterPluginDefinition<S extends TSchema = TSchema> extends PluginDefinitionBase<S> {
  readonly kind: 'filter';
  create(ctx: FilterContext, options: Static<S>): FilterInstance;
}

export type PluginDefinition = InputPluginDefinition<any> | OutputPluginDefinition<any> | FilterPluginDefinition<any>;

export type PluginKind = PluginDefinition['kind'];

/** Declare a plugin; the result is frozen. Use as `export default definePlugin({...})`. */
export function definePlugin<S extends TSchema>(def: InputPluginDefinition<S>): Readonly<InputPluginDefinition<S>>;
export function definePlugin<S extends TSchema>(def: OutputPluginDefinition<S>): Readonly<OutputPluginDefinition<S>>;
export function definePlugin<S extends TSchema>(def: FilterPluginDefinition<S>): Readonly<FilterPluginDefinition<S>>;
export function definePlugin(def: PluginDefinition): Readonly<PluginDefinition> {
  return Object.freeze(def);
}

/** How long start() may take: an input or filter that exceeds it stops the server from starting; an output is retried with a new instance. */
export const PLUGIN_START_TIMEOUT_MS = 30_000;
/** How often the core asks every instance's health(). */
export const HEALTH_INTERVAL_MS = 15_000;
/** A health() that has not settled after this long counts as unhealthy. */
export const HEALTH_TIMEOUT_MS = 5_000;

/**
 * What a plugin module that exports a function instead of a definition is
 * called with: the values of the 'ogrt' package, from the running server.
 * This is how a site plugin that cannot import 'ogrt' (a single file in
 * /etc/ogrt/plugins/) gets definePlugin and Type:
 *
 *   export default (ogrt) => ogrt.definePlugin({ apiVersion: ogrt.PLUGIN_API_VERSION, ... });
 *   module.exports = (ogrt) => ogrt.definePlugin({ ... });     // CommonJS
 *
 * The function may be async; it is called once per server start.
 */
export interface OgrtApi {
  readonly PLUGIN_API_VERSION: typeof PLUGIN_API_VERSION;
  readonly PLUGIN_START_TIMEOUT_MS: number;
  readonly HEALTH_INTERVAL_MS: number;
  readonly HEALTH_TIMEOUT_MS: number;
  readonly definePlugin: typeof definePlugin;
  readonly Type: typeof Type;
  readonly OgrtError: typeof OgrtError;
  /** JSON Schema of the records filters receive and must return (and outputs receive). */
  readonly RecordSchema: typeof OgrtRecordSchema;
  /** A record as one line of JSON, as output-file writes it and `batch.json` holds it. */
  readonly recordToJson: typeof recordToJson;
  /** The input toolkit, as published in 'ogrt/kit' (see plugin-kit.ts); may change in minor versions. */
  readonly kit: typeof kit;
  /** Logs a lasting problem of an output once, and its end once (problem-log.ts). */
  readonly ProblemLog: typeof ProblemLog;
  /** strftime-like UTC patterns (%Y %m %d %H %j %%) for index names and file paths (time-pattern.ts). */
  readonly parseUtcPattern: typeof parseUtcPattern;
  readonly formatUtcPattern: typeof formatUtcPattern;
  readonly UTC_PATTERN_REGEX: typeof UTC_PATTERN_REGEX;
}

export type PluginFactory = (ogrt: OgrtApi) => PluginDefinition | Promise<PluginDefinition>;

/** The runtime values of the 'ogrt' package (src/index.ts), handed to plugin factories. */
export const OGRT_API: OgrtApi = Object.freeze({
  PLUGIN_API_VERSION,
  PLUGIN_START_TIMEOUT_MS,
  HEALTH_INTERVAL_MS,
  HEALTH_TIMEOUT_MS,
  definePlugin,
  Type,
  OgrtError,
  RecordSchema: OgrtRecordSchema,
  recordToJson,
  kit,
  ProblemLog,
  parseUtcPattern,
  formatUtcPattern,
  UTC_PATTERN_REGEX,
});

export { Type };
export type { Static, TSchema } from '@sinclair/typebox';

export { OgrtRecordSchema as RecordSchema } from './record-schema.ts';
/** A record as one line of JSON, as output-file writes it and `batch.json` holds it. */
export { recordToJson } from './record-json.ts';
export { OgrtError, type ErrorCode } from './errors.ts';
export { ProblemLog };
export { parseUtcPattern, formatUtcPattern, UTC_PATTERN_REGEX, type UtcPatternPart };

// The input toolkit (framing, syslog and wire codecs, reassembly, listeners,
// record intake): for the built-ins here, for site inputs as 'ogrt/kit'
// (src/kit.ts) or `ogrt.kit`. Unlike the rest of this file it may change in
// minor versions while PLUGIN_API_VERSION stays.
export { kit };
export * from './plugin-kit.ts';
