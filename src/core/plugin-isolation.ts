/**
 * Errors no call of the server can catch: a site plugin that throws from its
 * own timer or socket callback (an uncaught exception), or leaves a promise
 * rejection unhandled. The process-level handlers (src/core/cli.ts) ask
 * RunningServer.containUncaught(err); when the error comes from a site
 * plugin's code, it is logged naming the plugin (OGRT_ERR_PLUGIN_UNCAUGHT),
 * counted, and the server goes on — exiting would lose every record waiting
 * in memory for a bug in one plugin. Errors thrown by the server's own code
 * (or by code we cannot place) are not contained: the CLI logs them as fatal
 * and exits, and the service manager restarts the server.
 *
 * The error is placed by its stack: it is a plugin's when one of its frames
 * lies in a site plugin's file (or directory) and its first frame that is
 * not Node.js's own lies outside the server's code. Built-in plugins are the
 * server's code here: they are bundled with it.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerLogger } from './logger.ts';
import { componentLabels, type MetricsRegistry } from './metrics.ts';
import { OgrtError } from './errors.ts';

/** Where the server's code lives: src/core/ when run from sources, dist/ when bundled. */
const CORE_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface PluginOrigin {
  readonly kind: 'input' | 'filter' | 'output';
  readonly type: string;
  readonly id: string;
  readonly component: string;
  /** The site plugin's entry file; undefined for built-ins. */
  readonly file: string | undefined;
}

export type UncaughtOrigin = 'uncaughtException' | 'unhandledRejection';

export class UncaughtAttributor {
  private readonly sites: readonly PluginOrigin[];

  constructor(components: readonly PluginOrigin[], private readonly coreDir = CORE_DIR) {
    this.sites = components.filter((c) => c.file !== undefined);
  }

  /** The components whose plugin code `err` came from; empty when it is not (only) a site plugin's. */
  attribute(err: unknown): PluginOrigin[] {
    if (this.sites.length === 0) return [];
    const frames = stackFiles(err);
    const first = frames.find((f) => !f.startsWith('node:'));
    if (first === undefined || isWithin(first, this.coreDir)) return [];
    // The plugin's own file first; then its directory (helpers it imports).
    for (const frame of frames) {
      const exact = this.sites.filter((c) => c.file === frame);
      if (exact.length > 0) return exact;
    }
    for (const frame of frames) {
      const near = this.sites.filter((c) => isWithin(frame, path.dirname(c.file!)));
      if (near.length > 0) return near;
    }
    return [];
  }

  /**
   * For the process handlers: logs and counts `err` against its plugin and
   * returns true, or returns false (not a site plugin's error) so the caller
   * treats it as fatal.
   */
  contain(err: unknown, origin: UncaughtOrigin, logger: ServerLogger, metrics: MetricsRegistry): boolean {
    const owners = this.attribute(err);
    if (owners.length === 0) return false;
    const message = (err as Error)?.message ?? String(err);
    for (const o of owners) {
      metrics
        .counter('component_errors_total', 'Errors by type and stage.')
        .get({ ...componentLabels(o.kind, o.type, o.id), error_type: 'uncaught', stage: 'running' }).value++;
      const e = new OgrtError('OGRT_ERR_PLUGIN_UNCAUGHT', [o.component, origin, message], { cause: err });
      logger.error({ code: e.code, component: o.component, origin, err }, `${e.message}; the server goes on`);
    }
    return true;
  }
}

/** Files (absolute paths, or `node:...`) of the frames of an error's stack, innermost first. */
export function stackFiles(err: unknown): string[] {
  const stack = (err as { stack?: unknown })?.stack;
  if (typeof stack !== 'string') return [];
  const files: string[] = [];
  for (const line of stack.split('\n')) {
    const m = /^\s+at (?:.*\()?((?:file:\/\/|node:|\/)[^)]*?)(?::\d+)?(?::\d+)?\)?$/.exec(line);
    if (m === null) continue;
    let location = m[1];
    if (location.startsWith('file://')) {
      try {
        location = fileURLToPath(location);
      } catch {
        continue;
      }
    }
    files.push(location);
  }
  return files;
}

function isWithin(file: string, dir: string): boolean {
  return file.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
}
