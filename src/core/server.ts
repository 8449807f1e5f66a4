/**
 * Server lifecycle. Start: outputs are created and started first (an output
 * whose start() fails, or has not settled after the start timeout, keeps
 * retrying in the background while records queue),
 * then filters, then inputs; a filter or an input that cannot start (a
 * lookup file missing, a port in use), or whose start() has not settled
 * after PLUGIN_START_TIMEOUT_MS, fails the whole start. Stop (SIGTERM/SIGINT):
 * inputs stop accepting and emit what they have, batches inside filters
 * reach the queues, every output queue is drained (retrying as configured),
 * filters stop, outputs flush and stop; all within
 * server.shutdown_timeout_ms. Past that deadline the records each output
 * still held are logged as not flushed (OGRT_ERR_SHUTDOWN_TIMEOUT): a
 * memory-buffered output first writes them to its dead-letter file (reason
 * "shutdown_timeout", for replay), a disk-buffered one keeps them on disk;
 * then the server stops anyway. Component health is checked every
 * HEALTH_INTERVAL_MS (health.ts).
 */
import { HEALTH_INTERVAL_MS, type InputInstance, type InputPluginDefinition, type OutputInstance, type OutputPluginDefinition } from './plugin-api.ts';
import { loadConfig, type InputConfig, type OgrtConfig, type OutputConfig } from './config.ts';
import type { PluginRegistry } from './registry.ts';
import { componentLogger, componentName, createLogger, errorFields, type ServerLogger } from './logger.ts';
import { MetricsRegistry, componentLabels, createStandardSeries } from './metrics.ts';
import { OgrtError } from './errors.ts';
import { OutputRunner, SHUTDOWN_DEAD_LETTER_REASON, type ShutdownDeadLetters } from './output-runner.ts';
import { Pipeline } from './pipeline.ts';
import { createFilterStage, type FilterStage } from './filters.ts';
import { HealthMonitor, type ComponentHealth } from './health.ts';
import { flushOutputs, healthTargets, startFilters, stopFilters, withStartTimeout } from './plugin-lifecycle.ts';
import { UncaughtAttributor, type UncaughtOrigin } from './plugin-isolation.ts';
import { pluginSourceFile } from './registry.ts';
import type { RunningDashboard } from './http/dashboard.ts';

export interface StartServerOptions {
  /** A loaded configuration; when absent it is looked up (see config-source.ts). */
  config?: OgrtConfig;
  /** `--config FILE`, used when `config` is absent. */
  configPath?: string;
  /** Plugins available by type, used when `config` is absent; default: the built-ins. */
  registry?: PluginRegistry;
  /** Default: pino on stderr at server.log_level. */
  logger?: ServerLogger;
  /** Where ./ogrt.conf is looked for; default process.cwd(). */
  cwd?: string;
  /** Random source for retry jitter (tests). */
  random?: () => number;
  /** How long each start() of a plugin may take; default PLUGIN_START_TIMEOUT_MS (tests shorten it). */
  startTimeoutMs?: number;
}

export interface RunningInput {
  readonly id: string;
  readonly type: string;
  /** Bound addresses, as reported by the plugin's addresses() after start. */
  readonly addresses: readonly string[];
}

export interface RunningFilter {
  readonly id: string;
  readonly type: string;
}

export interface ShutdownReport {
  readonly reason: string;
  /** True when the deadline passed before every queue was flushed. */
  readonly timedOut: boolean;
  /** Records each output could not deliver (all 0 after a clean drain). */
  readonly unflushed: Readonly<Record<string, number>>;
}

export interface RunningServer {
  readonly config: OgrtConfig;
  readonly logger: ServerLogger;
  readonly metrics: MetricsRegistry;
  readonly inputs: readonly RunningInput[];
  /** `[filters.NAME]` in the order they run. */
  readonly filters: readonly RunningFilter[];
  /** The `[dashboard]` HTTP server, when configured: its bound address and base URL. */
  readonly dashboard?: { readonly url: string; readonly address: string };
  /** Graceful shutdown (see file comment). Calling it again returns the same promise. */
  stop(reason?: string): Promise<ShutdownReport>;
  /** SIGHUP: every output's reopen() (logrotate). */
  reopen(): Promise<void>;
  /** Every component's health now (see health.ts); also refreshes `ogrt_component_healthy`. */
  health(): Promise<ComponentHealth[]>;
  /** Every started output's flush() (SIGUSR2 in ogrt-server); failures are logged and counted. */
  flush(): Promise<void>;
  /**
   * For process-level 'uncaughtException' / 'unhandledRejection' handlers:
   * true when `err` came from a site plugin's code (then it has been logged
   * naming the plugin, and counted; the server can go on), false otherwise.
   * See plugin-isolation.ts.
   */
  containUncaught(err: unknown, origin: UncaughtOrigin): boolean;
}

/** Built-ins are loaded only when needed: a caller with a loaded config does not pull in every plugin. */
async function builtins(): Promise<PluginRegistry> {
  const { builtinRegistry } = await import('./builtin-plugins.ts');
  return builtinRegistry();
}

/** Minimum time given to outputs' stop() even when the drain used up the deadline. */
const STOP_GRACE_MS = 1_000;

export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const config = options.config ?? (await loadConfig({ configPath: options.configPath, cwd: options.cwd, registry: options.registry ?? (await builtins()) }));
  const logger = options.logger ?? createLogger({ level: config.server.log_level });
  const metrics = new MetricsRegistry();
  const inputsAbort = new AbortController();
  const outputsAbort = new AbortController();

  // Everything is created before anything starts, so a create() failure leaves nothing running.
  const runners = config.outputs.map((o) => createOutput(o, config, logger, metrics, outputsAbort.signal, options));
  // Filters see outputsAbort too: it fires once the last batch went through them.
  const filters = config.filters.map((f) => createFilterStage(f, { logger, metrics, signal: outputsAbort.signal, configDir: config.source.dir }));
  for (const f of filters) createStandardSeries(metrics, 'filter', componentLabels('filter', f.config.plugin.type, f.id));
  const pipeline = new Pipeline(runners, logger, metrics, filters);
  const inputs = config.inputs.map((i) => createInput(i, config, logger, metrics, inputsAbort.signal, pipeline));

  await Promise.all(runners.map((r) => r.start()));
  let stopping: Promise<ShutdownReport> | undefined;
  let dashboard: RunningDashboard | undefined;
  // The dashboard closes first: no queries against stores that are shutting down.
  const stop = (reason = 'stop requested'): Promise<ShutdownReport> =>
    (stopping ??= closeDashboard(dashboard, logger).then(() => shutdown(reason, config, logger, inputs, filters, runners, pipeline, inputsAbort, outputsAbort, metrics, health)));
  const health = new HealthMonitor(healthTargets(inputs, filters, runners), metrics, logger);
  const attributor = new UncaughtAttributor(
    [...config.inputs, ...config.filters, ...config.outputs].map((c) => ({
      kind: c.kind, type: c.plugin.type, id: c.id, component: componentName(c.kind, c.plugin.type, c.id), file: pluginSourceFile(c.plugin),
    })),
  );

  try {
    await startFilters(filters, logger, options.startTimeoutMs);
  } catch (err) {
    await stop('a filter failed to start');
    throw err;
  }

  const started = await Promise.allSettled(
    inputs.map(async (i) => {
      await withStartTimeout(i.component, i.instance.start(), options.startTimeoutMs, () => i.instance.stop());
      i.started = true;
    }),
  );
  const failures = started.flatMap((r, n) => (r.status === 'rejected' ? [{ input: inputs[n], err: r.reason as unknown }] : []));
  if (failures.length > 0) {
    const errors = failures.map(({ input, err }) =>
      err instanceof OgrtError ? err : new OgrtError('OGRT_ERR_INPUT_START', [input.config.id, (err as Error)?.message ?? String(err)], { cause: err }),
    );
    for (const e of errors) logger.error({ ...errorFields(e), code: e.code }, e.message);
    await stop('an input failed to start');
    throw errors[0];
  }

  const running: RunningInput[] = inputs.map((i) => {
    const addresses = Object.freeze([...(i.instance.addresses?.() ?? [])]);
    for (const address of addresses) i.log.info({ address }, 'listening');
    if (addresses.length === 0) i.log.info('started');
    return Object.freeze({ id: i.config.id, type: i.config.type, addresses });
  });
  try {
    // Loaded only when configured: Fastify, prom-client and the query backends
    // are about 30 MiB of resident memory a headless server does not need.
    if (config.dashboard?.enabled === true) {
      const { startDashboard } = await import('./http/dashboard.ts');
      dashboard = await startDashboard(config, metrics, logger);
    }
  } catch (err) {
    logger.error({ ...errorFields(err) }, (err as Error).message);
    await stop('the dashboard failed to start');
    throw err;
  }
  health.start(HEALTH_INTERVAL_MS);
  logger.info({ config: config.source.file, inputs: inputs.length, filters: filters.length, outputs: runners.length }, 'ogrt-server started');

  return Object.freeze({
    config,
    logger,
    metrics,
    inputs: Object.freeze(running),
    filters: Object.freeze(filters.map((f) => Object.freeze({ id: f.id, type: f.config.type }))),
    ...(dashboard === undefined ? {} : { dashboard: Object.freeze({ url: dashboard.url, address: dashboard.address }) }),
    stop,
    reopen: async () => {
      await Promise.all(runners.map((r) => r.reopen()));
    },
    health: () => health.check(),
    flush: () => flushOutputs(runners, logger, metrics),
    containUncaught: (err: unknown, origin: UncaughtOrigin) => attributor.contain(err, origin, logger, metrics),
  });
}

interface StartedInput {
  readonly config: InputConfig;
  readonly component: string;
  readonly log: ServerLogger;
  readonly instance: InputInstance;
  /** Only inputs whose start() succeeded are stopped. */
  started: boolean;
}

function createInput(
  config: InputConfig,
  ogrt: OgrtConfig,
  logger: ServerLogger,
  metrics: MetricsRegistry,
  signal: AbortSignal,
  pipeline: Pipeline,
): StartedInput {
  // Names and metric labels use the plugin's declared type, short and bounded even for plugins loaded by path.
  const component = componentName('input', config.plugin.type, config.id);
  const log = componentLogger(logger, 'input', config.plugin.type, config.id);
  createStandardSeries(metrics, 'input', componentLabels('input', config.plugin.type, config.id));
  const ctx = {
    id: config.id,
    log,
    metrics: metrics.forComponent('input', config.plugin.type, config.id),
    signal,
    configDir: ogrt.source.dir,
    emit: pipeline.emitter(config.id, config.plugin.type, pluginSourceFile(config.plugin)),
  };
  const instance = create(component, () => (config.plugin as InputPluginDefinition).create(ctx, config.options));
  requireMethods(component, instance, ['start', 'stop']);
  return { config, component, log, instance: instance as InputInstance, started: false };
}

function createOutput(
  config: OutputConfig,
  ogrt: OgrtConfig,
  logger: ServerLogger,
  metrics: MetricsRegistry,
  signal: AbortSignal,
  options: StartServerOptions,
): OutputRunner {
  const component = componentName('output', config.plugin.type, config.id);
  const log = componentLogger(logger, 'output', config.plugin.type, config.id);
  const ctx = { id: config.id, log, metrics: metrics.forComponent('output', config.plugin.type, config.id), signal, configDir: ogrt.source.dir };
  // Called again for a new instance when a start() did not settle in time (output-start.ts).
  const make = (): OutputInstance => {
    const instance = create(component, () => (config.plugin as OutputPluginDefinition).create(ctx, config.options));
    requireMethods(component, instance, ['send']);
    return instance as OutputInstance;
  };
  return new OutputRunner(config, make, component, log, metrics, { random: options.random, startTimeoutMs: options.startTimeoutMs });
}

function create<T>(component: string, make: () => T): T {
  try {
    return make();
  } catch (err) {
    throw err instanceof OgrtError ? err : new OgrtError('OGRT_ERR_PLUGIN_CREATE', [component, (err as Error)?.message ?? String(err)], { cause: err });
  }
}

function requireMethods(component: string, instance: unknown, methods: readonly string[]): void {
  const missing = methods.filter((m) => typeof (instance as Record<string, unknown> | null)?.[m] !== 'function');
  if (missing.length > 0) {
    throw new OgrtError('OGRT_ERR_PLUGIN_CONTRACT', [component, `create() must return an object with ${missing.map((m) => `${m}()`).join(', ')}`]);
  }
}

async function shutdown(
  reason: string,
  config: OgrtConfig,
  logger: ServerLogger,
  inputs: readonly StartedInput[],
  filters: readonly FilterStage[],
  runners: readonly OutputRunner[],
  pipeline: Pipeline,
  inputsAbort: AbortController,
  outputsAbort: AbortController,
  metrics: MetricsRegistry,
  health: HealthMonitor,
): Promise<ShutdownReport> {
  health.stop();
  const timeoutMs = config.server.shutdown_timeout_ms;
  const deadline = Date.now() + timeoutMs;
  logger.info({ reason, shutdown_timeout_ms: timeoutMs }, 'stopping');
  inputsAbort.abort();

  const inputsStopped = Promise.all(
    inputs.filter((i) => i.started).map(async (i) => {
      try {
        await i.instance.stop();
      } catch (err) {
        i.log.error(errorFields(err), 'stop() failed');
      }
    }),
  );
  const inputsInTime = await beforeDeadline(inputsStopped, deadline);
  if (!inputsInTime) logger.warn('inputs did not finish stopping before the shutdown deadline');

  const { drained, unflushed } = await pipeline.drain(deadline);
  if (!drained) {
    // Memory buffers write what they still hold to their dead-letter files; disk buffers keep it on disk.
    const written = await deadLetterUnflushed(runners, unflushed);
    for (const r of runners) {
      const count = unflushed[r.config.id];
      if (count === 0) continue;
      const saved = written.get(r);
      const e = new OgrtError('OGRT_ERR_SHUTDOWN_TIMEOUT', [timeoutMs, `${count} record(s) of output ${r.config.id}${whereTheyWent(saved)}`]);
      const fields = saved === undefined ? {} : { dead_letter_path: saved.path, dead_lettered: saved.error === undefined ? saved.records : 0, ...(saved.error === undefined ? {} : errorFields(saved.error)) };
      logger.error({ ...fields, code: e.code, output: r.config.id, unflushed: count, started: r.isStarted }, e.message);
    }
    const inFilters = pipeline.recordsInFilters;
    if (inFilters > 0) {
      const e = new OgrtError('OGRT_ERR_SHUTDOWN_TIMEOUT', [timeoutMs, `${inFilters} record(s) still inside filters`]);
      logger.error({ code: e.code, unflushed: inFilters, stage: 'filters' }, e.message);
    }
  }

  outputsAbort.abort();
  const grace = Math.max(deadline - Date.now(), STOP_GRACE_MS);
  const closing = async (): Promise<void> => {
    await stopFilters(filters);
    await flushOutputs(runners, logger, metrics);
    await Promise.all(runners.map((r) => r.stop()));
  };
  if (!(await beforeDeadline(closing(), Date.now() + grace))) {
    logger.warn({ waited_ms: grace }, 'filters or outputs did not finish stopping');
  }
  const total = Object.values(unflushed).reduce((a, b) => a + b, 0);
  logger.info({ reason, unflushed: total }, 'stopped');
  return Object.freeze({ reason, timedOut: !drained, unflushed: Object.freeze(unflushed) });
}

/**
 * Each memory-buffered output's unflushed records to its dead-letter file,
 * within STOP_GRACE_MS (a dead-letter directory on a hung file system must
 * not hold the exit forever).
 */
async function deadLetterUnflushed(runners: readonly OutputRunner[], unflushed: Readonly<Record<string, number>>): Promise<Map<OutputRunner, ShutdownDeadLetters>> {
  const results = new Map<OutputRunner, ShutdownDeadLetters>();
  const writes = runners
    .filter((r) => r.disk === undefined && unflushed[r.config.id] > 0)
    .map(async (r) => {
      const result = await r.deadLetterUnflushed();
      if (result !== undefined) results.set(r, result);
    });
  if (!(await beforeDeadline(Promise.all(writes), Date.now() + STOP_GRACE_MS))) {
    for (const r of runners) {
      if (r.disk !== undefined || unflushed[r.config.id] === 0 || results.has(r)) continue;
      results.set(r, { records: unflushed[r.config.id], path: r.config.settings.dead_letter_path, error: new Error(`the write did not finish within ${STOP_GRACE_MS} ms`), unsure: true });
    }
  }
  return results;
}

function whereTheyWent(saved: ShutdownDeadLetters | undefined): string {
  if (saved === undefined) return '';
  if (saved.error !== undefined) {
    const fate = saved.unsure === true ? 'they may be lost' : 'they are lost';
    return `; writing them to the dead-letter file ${saved.path} failed, ${fate}: ${(saved.error as Error)?.message ?? String(saved.error)}`;
  }
  return `; ${saved.records} written to the dead-letter file ${saved.path} (reason "${SHUTDOWN_DEAD_LETTER_REASON}"), replay them from there`;
}

async function closeDashboard(dashboard: RunningDashboard | undefined, logger: ServerLogger): Promise<void> {
  try {
    await dashboard?.close();
  } catch (err) {
    logger.warn(errorFields(err), 'dashboard did not close cleanly');
  }
}

/** True when `work` settles before `deadline` (a Date.now() value). */
async function beforeDeadline(work: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, deadline - Date.now()), false);
  });
  const result = await Promise.race([work.then(() => true as const), late]);
  clearTimeout(timer);
  return result;
}
