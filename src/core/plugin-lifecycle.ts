/**
 * Lifecycle calls around plugins that the server makes besides the per-batch
 * ones: bounded start() of inputs and filters (and of outputs, through
 * output-start.ts), stop() of filters, flush() of outputs, and the list of
 * components whose health is watched. Every call is contained: a plugin that
 * throws or hangs here is named in the log and counted, and the server goes
 * on (or, for an input's or a filter's start, refuses to start with a
 * message naming the plugin; an output's start is retried).
 */
import { PLUGIN_START_TIMEOUT_MS, type InputInstance } from './plugin-api.ts';
import type { ServerLogger } from './logger.ts';
import { errorFields } from './logger.ts';
import { ERRORS_HELP, componentLabels, type MetricsRegistry } from './metrics.ts';
import { OgrtError } from './errors.ts';
import type { FilterStage } from './filters.ts';
import type { OutputRunner } from './output-runner.ts';
import type { HealthTarget } from './health.ts';

/**
 * `work`, or OGRT_ERR_PLUGIN_START_TIMEOUT naming `component` when it has not
 * settled after `timeoutMs`. A start that succeeds after all, too late, is
 * undone with `undo` (its stop()), so it leaves no socket open behind a
 * server that did not start.
 */
export async function withStartTimeout<T>(
  component: string,
  work: Promise<T> | T,
  timeoutMs = PLUGIN_START_TIMEOUT_MS,
  undo?: () => Promise<void> | void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new OgrtError('OGRT_ERR_PLUGIN_START_TIMEOUT', [component, timeoutMs]));
    }, timeoutMs);
  });
  const pending = Promise.resolve(work);
  pending.then(
    () => {
      if (timedOut) void Promise.resolve().then(undo).catch(() => undefined);
    },
    () => undefined,
  );
  try {
    return await Promise.race([pending, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts every filter (in parallel). When one fails, the others that did
 * start stay marked so shutdown stops them, every failure is logged, and the
 * first is thrown: a filter that cannot start is a configuration problem.
 */
export async function startFilters(filters: readonly FilterStage[], logger: ServerLogger, timeoutMs = PLUGIN_START_TIMEOUT_MS): Promise<void> {
  const results = await Promise.allSettled(
    filters.map(async (f) => {
      await withStartTimeout(f.component, f.instance.start?.(), timeoutMs, () => f.instance.stop?.());
      f.started = true;
    }),
  );
  const errors: OgrtError[] = [];
  results.forEach((r, n) => {
    if (r.status === 'fulfilled') return;
    const err = r.reason as unknown;
    const e = err instanceof OgrtError ? err : new OgrtError('OGRT_ERR_FILTER_START', [filters[n].component, (err as Error)?.message ?? String(err)], { cause: err });
    logger.error({ ...errorFields(e), code: e.code, component: filters[n].component }, e.message);
    errors.push(e);
  });
  if (errors.length > 0) throw errors[0];
}

/** stop() of every started filter; failures are logged, never thrown. */
export async function stopFilters(filters: readonly FilterStage[]): Promise<void> {
  await Promise.all(
    filters.map(async (f) => {
      if (!f.started || f.instance.stop === undefined) return;
      try {
        await f.instance.stop();
      } catch (err) {
        const e = new OgrtError('OGRT_ERR_FILTER_STOP', [f.component, (err as Error)?.message ?? String(err)], { cause: err });
        f.log.error({ ...errorFields(err), code: e.code }, e.message);
      }
    }),
  );
}

/** flush() of every started output that has one; failures are logged and counted, never thrown. */
export async function flushOutputs(runners: readonly OutputRunner[], logger: ServerLogger, metrics: MetricsRegistry): Promise<void> {
  await Promise.all(
    runners.map(async (r) => {
      if (!r.isStarted || typeof r.instance.flush !== 'function') return;
      try {
        await r.instance.flush();
      } catch (err) {
        const labels = componentLabels('output', r.config.plugin.type, r.config.id);
        metrics.counter('component_errors_total', ERRORS_HELP).get({ ...labels, error_type: 'flush_failed', stage: 'flushing' }).value++;
        const e = new OgrtError('OGRT_ERR_OUTPUT_FLUSH', [r.config.id, (err as Error)?.message ?? String(err)], { cause: err });
        logger.error({ ...errorFields(err), code: e.code, component: r.component }, e.message);
      }
    }),
  );
}

interface InputLike {
  readonly config: { readonly id: string; readonly plugin: { readonly type: string } };
  readonly component: string;
  readonly instance: InputInstance;
  readonly started: boolean;
}

/** Every component, in pipeline order, for the HealthMonitor. */
export function healthTargets(inputs: readonly InputLike[], filters: readonly FilterStage[], runners: readonly OutputRunner[]): HealthTarget[] {
  return [
    ...inputs.map((i): HealthTarget => ({
      kind: 'input', type: i.config.plugin.type, id: i.config.id, component: i.component, instance: i.instance, started: () => i.started,
    })),
    ...filters.map((f): HealthTarget => ({
      kind: 'filter', type: f.config.plugin.type, id: f.id, component: f.component, instance: f.instance, started: () => f.started,
    })),
    ...runners.map((r): HealthTarget => ({
      kind: 'output', type: r.config.plugin.type, id: r.config.id, component: r.component, started: () => r.isStarted,
      // An output whose start() timed out gets a new instance: ask the current one.
      get instance() {
        return r.instance;
      },
    })),
  ];
}
