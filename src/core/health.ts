/**
 * Component health: every HEALTH_INTERVAL_MS (and on RunningServer.health())
 * each instance's optional health() is asked, within HEALTH_TIMEOUT_MS. The
 * answer becomes the gauge `ogrt_component_healthy` (1 or 0, with the
 * component labels) in the metrics snapshot, and a change is logged
 * (OGRT_ERR_PLUGIN_UNHEALTHY when it turns bad, "healthy again" when it
 * recovers). An instance without health() is healthy once started; an
 * output whose start() keeps failing is not.
 */
import { HEALTH_TIMEOUT_MS, type HealthStatus } from './plugin-api.ts';
import type { ServerLogger } from './logger.ts';
import { componentLabels, type MetricsRegistry, type Series } from './metrics.ts';
import { OgrtError } from './errors.ts';

export interface HealthTarget {
  readonly kind: 'input' | 'filter' | 'output';
  readonly type: string;
  readonly id: string;
  readonly component: string;
  readonly instance: { health?(): Promise<HealthStatus> | HealthStatus };
  /** False while the instance cannot be asked (an output whose start() has not succeeded). */
  readonly started: () => boolean;
}

export interface ComponentHealth {
  readonly kind: 'input' | 'filter' | 'output';
  readonly type: string;
  readonly id: string;
  readonly ok: boolean;
  readonly detail?: string;
}

export class HealthMonitor {
  private timer: NodeJS.Timeout | undefined;
  private readonly gauges: Series[];
  private readonly last: (boolean | undefined)[];

  constructor(
    private readonly targets: readonly HealthTarget[],
    registry: MetricsRegistry,
    private readonly logger: ServerLogger,
    private readonly timeoutMs = HEALTH_TIMEOUT_MS,
  ) {
    const family = registry.gauge('component_healthy', '1 when the component reports itself healthy, else 0.');
    this.gauges = targets.map((t) => family.get(componentLabels(t.kind, t.type, t.id)));
    this.last = targets.map(() => undefined);
  }

  /** Asks every instance now; updates gauges and logs changes. Never rejects. */
  async check(): Promise<ComponentHealth[]> {
    const answers = await Promise.all(this.targets.map((t) => ask(t, this.timeoutMs)));
    return answers.map((status, n) => {
      const t = this.targets[n];
      this.gauges[n].value = status.ok ? 1 : 0;
      this.report(n, t, status);
      const out: ComponentHealth = { kind: t.kind, type: t.type, id: t.id, ok: status.ok };
      return status.detail === undefined ? out : { ...out, detail: status.detail };
    });
  }

  /** Periodic checks; the timer does not keep the process alive. */
  start(intervalMs: number): void {
    void this.check();
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private report(n: number, t: HealthTarget, status: HealthStatus): void {
    const was = this.last[n];
    this.last[n] = status.ok;
    if (was === status.ok || (was === undefined && status.ok)) return;
    if (status.ok) {
      this.logger.info({ component: t.component }, 'healthy again');
      return;
    }
    const e = new OgrtError('OGRT_ERR_PLUGIN_UNHEALTHY', [t.component, status.detail ?? 'no detail given']);
    this.logger.warn({ component: t.component, code: e.code, detail: status.detail }, e.message);
  }
}

const TIMED_OUT = Symbol('timed out');

async function ask(t: HealthTarget, timeoutMs: number): Promise<HealthStatus> {
  if (!t.started()) return { ok: false, detail: 'not started (start() has not succeeded yet)' };
  if (typeof t.instance.health !== 'function') return { ok: true };
  let timer: NodeJS.Timeout | undefined;
  try {
    const pending = Promise.resolve(t.instance.health());
    const late = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(resolve, timeoutMs, TIMED_OUT);
    });
    const answer = await Promise.race([pending, late]);
    if (answer === TIMED_OUT) {
      pending.catch(() => undefined);
      return { ok: false, detail: `health() did not settle within ${timeoutMs} ms` };
    }
    if (typeof answer !== 'object' || answer === null || typeof (answer as HealthStatus).ok !== 'boolean') {
      return { ok: false, detail: 'health() did not return { ok: boolean, detail?: string }' };
    }
    const detail = (answer as HealthStatus).detail;
    return typeof detail === 'string' ? { ok: answer.ok, detail } : { ok: answer.ok };
  } catch (err) {
    return { ok: false, detail: `health() failed: ${(err as Error)?.message ?? String(err)}` };
  } finally {
    clearTimeout(timer);
  }
}
