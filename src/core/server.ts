/**
 * Server lifecycle. Start: outputs are created and started first (an output
 * whose start() fails keeps retrying in the background while records queue),
 * then inputs; an input that cannot start (port in use) fails the whole
 * start. Stop (SIGTERM/SIGINT): inputs stop accepting and emit what they
 * have, every output queue is drained (retrying as configured), outputs stop;
 * all within server.shutdown_timeout_ms. Past that deadline the records each
 * output still held are logged as not flushed (OGRT_ERR_SHUTDOWN_TIMEOUT) and
 * the server stops anyway.
 */
import type { InputInstance, InputPluginDefinition, OutputInstance, OutputPluginDefinition } from './plugin-api.ts';
import { loadConfig, type InputConfig, type OgrtConfig, type OutputConfig } from './config.ts';
import type { PluginRegistry } from './registry.ts';
import { componentLogger, componentName, createLogger, errorFields, type ServerLogger } from './logger.ts';
import { MetricsRegistry } from './metrics.ts';
import { OgrtError } from './errors.ts';
import { OutputRunner } from './output-runner.ts';
import { Pipeline } from './pipeline.ts';

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
}

export interface RunningInput {
  readonly id: string;
  readonly type: string;
  /** Bound addresses, as reported by the plugin's addresses() after start. */
  readonly addresses: readonly string[];
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
  /** Graceful shutdown (see file comment). Calling it again returns the same promise. */
  stop(reason?: string): Promise<ShutdownReport>;
  /** SIGHUP: every output's reopen() (logrotate). */
  reopen(): Promise<void>;
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
  const runners = config.outputs.map((o) => createOutput(o, config, logger, metrics, outputsAbort.signal, options.random));
  const pipeline = new Pipeline(runners, logger, metrics);
  const inputs = config.inputs.map((i) => createInput(i, config, logger, metrics, inputsAbort.signal, pipeline));

  await Promise.all(runners.map((r) => r.start()));
  let stopping: Promise<ShutdownReport> | undefined;
  const stop = (reason = 'stop requested'): Promise<ShutdownReport> =>
    (stopping ??= shutdown(reason, config, logger, inputs, runners, pipeline, inputsAbort, outputsAbort));

  const started = await Promise.allSettled(
    inputs.map(async (i) => {
      await i.instance.start();
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
  logger.info({ config: config.source.file, inputs: inputs.length, outputs: runners.length }, 'ogrt-server started');

  return Object.freeze({
    config,
    logger,
    metrics,
    inputs: Object.freeze(running),
    stop,
    reopen: async () => {
      await Promise.all(runners.map((r) => r.reopen()));
    },
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
  const ctx = {
    id: config.id,
    log,
    metrics: metrics.forComponent('input', config.plugin.type, config.id),
    signal,
    configDir: ogrt.source.dir,
    emit: pipeline.emitter(config.id, config.plugin.type),
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
  random: (() => number) | undefined,
): OutputRunner {
  const component = componentName('output', config.plugin.type, config.id);
  const log = componentLogger(logger, 'output', config.plugin.type, config.id);
  const ctx = { id: config.id, log, metrics: metrics.forComponent('output', config.plugin.type, config.id), signal, configDir: ogrt.source.dir };
  const instance = create(component, () => (config.plugin as OutputPluginDefinition).create(ctx, config.options));
  requireMethods(component, instance, ['send']);
  return new OutputRunner(config, instance as OutputInstance, component, log, metrics, random);
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
  runners: readonly OutputRunner[],
  pipeline: Pipeline,
  inputsAbort: AbortController,
  outputsAbort: AbortController,
): Promise<ShutdownReport> {
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
    for (const r of runners) {
      const count = unflushed[r.config.id];
      if (count === 0) continue;
      const e = new OgrtError('OGRT_ERR_SHUTDOWN_TIMEOUT', [timeoutMs, `${count} record(s) of output ${r.config.id}`]);
      logger.error({ code: e.code, output: r.config.id, unflushed: count, started: r.isStarted }, e.message);
    }
  }

  outputsAbort.abort();
  const grace = Math.max(deadline - Date.now(), STOP_GRACE_MS);
  if (!(await beforeDeadline(Promise.all(runners.map((r) => r.stop())), Date.now() + grace))) {
    logger.warn({ waited_ms: grace }, 'outputs did not finish stopping');
  }
  const total = Object.values(unflushed).reduce((a, b) => a + b, 0);
  logger.info({ reason, unflushed: total }, 'stopped');
  return Object.freeze({ reason, timedOut: !drained, unflushed: Object.freeze(unflushed) });
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
