/**
 * Which store answers the queries, found through the configuration (the
 * server's dashboard and `ogrt-server query` use the same rule):
 * `dashboard.query_backend = "<output name>"` when set, otherwise the first
 * output of type "sqlite". The store is read where that output writes.
 */
import path from 'node:path';
import type { OgrtConfig, OutputConfig } from '../config.ts';
import { DEFAULT_SYSTEM_PREFIXES } from '../http/config.ts';
import { SqliteQueryBackend } from './sqlite-backend.ts';
import { ThreadedSqliteBackend } from './sqlite-threaded.ts';
import type { QueryBackend } from './types.ts';

export type OpenedBackend = { readonly backend: QueryBackend } | { readonly backend?: undefined; readonly reason: string };

/** The output whose store the queries read, or why there is none. */
export function queryOutput(config: OgrtConfig): OutputConfig | string {
  const chosen = config.dashboard?.query_backend ?? '';
  if (chosen !== '') {
    const output = config.outputs.find((o) => o.id === chosen);
    return output ?? `dashboard.query_backend names "${chosen}", which is not an output`;
  }
  const sqlite = config.outputs.find((o) => o.plugin.type === 'sqlite');
  return sqlite ?? 'no output of type "sqlite" and no dashboard.query_backend in the configuration';
}

export interface OpenOptions {
  /** Run SQLite queries in a worker thread (the server: its event loop must not stall); the CLI runs them inline. */
  readonly threaded?: boolean;
}

export async function openQueryBackend(config: OgrtConfig, options: OpenOptions = {}): Promise<OpenedBackend> {
  const output = queryOutput(config);
  if (typeof output === 'string') return { reason: output };
  const systemPrefixes = config.dashboard?.system_prefixes ?? DEFAULT_SYSTEM_PREFIXES;
  switch (output.plugin.type) {
    case 'sqlite': {
      const file = path.resolve(config.source.dir, (output.options as { path: string }).path);
      const settings = { file, shownFile: shownPath(config.source.dir, file), systemPrefixes };
      return { backend: options.threaded === true ? new ThreadedSqliteBackend(settings) : new SqliteQueryBackend(settings) };
    }
    case 'elasticsearch': {
      // Loaded only when chosen: the clients are large.
      const { elasticsearchBackendFromOutput } = await import('./elasticsearch-backend.ts');
      return { backend: elasticsearchBackendFromOutput(output, config.source.dir, systemPrefixes) };
    }
    default:
      return { reason: `output "${output.id}" is of type "${output.plugin.type}", whose store the queries cannot read` };
  }
}

/**
 * The store file as the dashboard shows it: relative to the directory of
 * ogrt.conf when inside it (`data/ogrt.db`), else its name alone — the
 * viewer needs to recognise the store, not learn the server's directories.
 */
export function shownPath(configDir: string, file: string): string {
  const rel = path.relative(configDir, file);
  const outside = rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel);
  return outside ? path.basename(file) : rel;
}
