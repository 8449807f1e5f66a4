/**
 * Starting an output instance, for OutputRunner. A store that is down at
 * start must not kill the server: the first start() attempt is awaited,
 * later ones run in the background with the output's retry backoff, and
 * records queue meanwhile.
 *
 * Each attempt is bounded by the plugin start timeout. A start() that has
 * not settled by then counts as a failed start
 * (OGRT_ERR_PLUGIN_START_TIMEOUT, error_type start_failed), and the next
 * attempt starts a NEW instance (the plugin's create() again): the old one
 * is still busy in its start(), calling it again would run two starts in one
 * instance. Should the old start() finish after all, that instance is
 * stopped, so only one instance ever runs.
 */
import { PLUGIN_START_TIMEOUT_MS, type OutputInstance } from './plugin-api.ts';
import type { ServerLogger } from './logger.ts';
import { errorFields } from './logger.ts';
import type { RetrySettings } from './retry.ts';
import { backoffDelay, sleep } from './retry.ts';
import { OgrtError } from './errors.ts';
import type { OutputMetrics } from './delivery.ts';
import { withStartTimeout } from './plugin-lifecycle.ts';

export interface OutputStarterDeps {
  /** The output's name (`[outputs.NAME]`), for messages. */
  readonly id: string;
  readonly component: string;
  /** The plugin's create(), checked; throws OgrtError. Called once at once, and again after a start() that timed out. */
  readonly create: () => OutputInstance;
  readonly log: ServerLogger;
  readonly metrics: OutputMetrics;
  readonly retry: RetrySettings;
  /** Aborted when the server stops: no further attempts. */
  readonly signal: AbortSignal;
  readonly startTimeoutMs?: number;
  /** Called once, when an attempt succeeded. */
  readonly onStarted: () => void;
}

export class OutputStarter {
  private instance: OutputInstance;
  /** The current instance's start() timed out: the next attempt creates a new one. */
  private abandoned = false;
  private started = false;
  private stopping = false;

  constructor(private readonly deps: OutputStarterDeps) {
    this.instance = deps.create();
  }

  /** The running instance, or the one being started. */
  get current(): OutputInstance {
    return this.instance;
  }

  get isStarted(): boolean {
    return this.started;
  }

  /** First attempt, awaited (within the start timeout); on failure, further attempts in the background. */
  async start(): Promise<void> {
    if (await this.tryStart(1)) return;
    void this.keepStarting();
  }

  /** The instance's stop(), if it started; an attempt that succeeds later is stopped at once. Never throws. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.started) await this.stopInstance(this.instance);
  }

  private async keepStarting(): Promise<void> {
    for (let attempt = 2; ; attempt++) {
      const slept = await sleep(backoffDelay(attempt - 1, this.deps.retry), this.deps.signal);
      if (!slept || (await this.tryStart(attempt))) return;
    }
  }

  private async tryStart(attempt: number): Promise<boolean> {
    if (this.deps.signal.aborted) return false;
    let instance: OutputInstance;
    try {
      instance = this.abandoned ? this.renew() : this.instance;
    } catch (err) {
      this.failed(err, attempt);
      return false;
    }
    try {
      await withStartTimeout(this.deps.component, instance.start?.(), this.deps.startTimeoutMs ?? PLUGIN_START_TIMEOUT_MS, () => this.stopLate(instance));
    } catch (err) {
      if ((err as OgrtError)?.code === 'OGRT_ERR_PLUGIN_START_TIMEOUT') this.abandoned = true;
      this.failed(err, attempt);
      return false;
    }
    this.started = true;
    this.deps.onStarted();
    if (attempt > 1) this.deps.log.info({ attempt }, 'started');
    // Started while the server was stopping, after stop() looked: stop it now.
    if (this.stopping) await this.stopInstance(instance);
    return true;
  }

  private failed(err: unknown, attempt: number): void {
    this.deps.metrics.error('start_failed', 'starting');
    const e = err instanceof OgrtError ? err : new OgrtError('OGRT_ERR_OUTPUT_START', [this.deps.id, (err as Error)?.message ?? String(err)], { cause: err });
    const next = this.abandoned ? 'will retry with a new instance' : 'will retry';
    this.deps.log.error({ ...errorFields(err), code: e.code, attempt }, `${e.message}; ${next}, records queue meanwhile`);
  }

  /** A new instance for the next attempt; the old one is left to its pending start() (and stopped if that succeeds). */
  private renew(): OutputInstance {
    this.instance = this.deps.create();
    this.abandoned = false;
    return this.instance;
  }

  private async stopLate(instance: OutputInstance): Promise<void> {
    this.deps.log.warn('start() finished after the start timeout; stopping that instance (another one is used)');
    await this.stopInstance(instance);
  }

  private async stopInstance(instance: OutputInstance): Promise<void> {
    if (instance.stop === undefined) return;
    try {
      await instance.stop();
    } catch (err) {
      this.deps.metrics.error('stop_failed', 'stopping');
      const e = new OgrtError('OGRT_ERR_OUTPUT_STOP', [this.deps.id, (err as Error)?.message ?? String(err)], { cause: err });
      this.deps.log.error({ ...errorFields(err), code: e.code }, e.message);
    }
  }
}
