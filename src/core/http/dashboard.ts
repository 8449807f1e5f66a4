/**
 * The dashboard as part of the server's lifecycle (src/core/server.ts): the
 * query store chosen by the configuration (queries/open.ts) plus the HTTP
 * server, started after the inputs and closed first on shutdown.
 */
import type { OgrtConfig } from '../config.ts';
import type { ServerLogger } from '../logger.ts';
import type { MetricsRegistry } from '../metrics.ts';
import { openQueryBackend } from '../queries/open.ts';
import type { QueryBackend } from '../queries/types.ts';
import { startDashboardServer } from './http-server.ts';
import type { ComponentRef } from './metrics-view.ts';

export interface RunningDashboard {
  /** `http://127.0.0.1:8080`, with the port actually bound. */
  readonly url: string;
  readonly address: string;
  close(): Promise<void>;
}

/** undefined when `[dashboard]` is absent or `enabled = false`. Throws OgrtError when it cannot start. */
export async function startDashboard(config: OgrtConfig, metrics: MetricsRegistry, logger: ServerLogger): Promise<RunningDashboard | undefined> {
  const settings = config.dashboard;
  if (settings === undefined || !settings.enabled) return undefined;
  const log = logger.child({ component: 'dashboard' });
  const components: ComponentRef[] = [
    ...config.inputs.map((i) => ({ kind: 'input' as const, type: i.plugin.type, id: i.id })),
    ...config.outputs.map((o) => ({ kind: 'output' as const, type: o.plugin.type, id: o.id })),
  ];
  const opened = await openQueryBackend(config, { threaded: true });
  const queries: QueryBackend | undefined = opened.backend;
  const noQueriesReason = 'reason' in opened ? opened.reason : undefined;
  if (noQueriesReason !== undefined) log.warn({ reason: noQueriesReason }, 'queries are not available');
  try {
    const server = await startDashboardServer({
      settings,
      configDir: config.source.dir,
      metrics,
      components,
      queries,
      noQueriesReason,
      log,
    });
    return {
      url: server.url,
      address: server.address,
      close: async () => {
        await server.close();
        await queries?.close();
      },
    };
  } catch (err) {
    await queries?.close();
    throw err;
  }
}
