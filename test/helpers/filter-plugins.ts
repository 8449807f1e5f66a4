/**
 * Scriptable filter plugins for core tests, and a server starter that also
 * passes StartServerOptions the shared helper does not (startTimeoutMs).
 */
import path from 'node:path';
import {
  PLUGIN_API_VERSION,
  Type,
  definePlugin,
  type FilterContext,
  type FilterInstance,
  type OgrtRecord,
  type PluginDefinition,
} from '../../src/core/plugin-api.ts';
import { PluginRegistry } from '../../src/core/registry.ts';
import { loadConfig } from '../../src/core/config.ts';
import { startServer, type StartServerOptions } from '../../src/core/server.ts';
import { captureLogs } from './logs.ts';
import { removeDir, tempDir, writeFiles } from './temp.ts';
import type { TestServer } from './server.ts';

export type Process = (records: readonly OgrtRecord[], call: number, ctx: FilterContext) => unknown;

export interface ScriptedFilter {
  process: Process;
  start?: () => Promise<void> | void;
  stop?: () => Promise<void> | void;
  health?: FilterInstance['health'];
  /** Every batch process() was given: the uuids, in call order. */
  readonly calls: string[][];
  ctx?: FilterContext;
  stopped: boolean;
}

/** A filter plugin whose behaviour the test scripts (per instance, by id). */
export function scriptedFilterPlugin(type = 'scripted') {
  const instances = new Map<string, ScriptedFilter>();
  const instance = (id: string): ScriptedFilter => {
    let f = instances.get(id);
    if (f === undefined) {
      f = { process: (records) => records, calls: [], stopped: false };
      instances.set(id, f);
    }
    return f;
  };
  const plugin = definePlugin({
    apiVersion: PLUGIN_API_VERSION,
    kind: 'filter',
    type,
    description: 'test filter scripted by the test',
    options: Type.Object({ tag: Type.String({ default: '', description: 'Free text.' }) }, { additionalProperties: false }),
    create(ctx) {
      const f = instance(ctx.id);
      f.ctx = ctx;
      const out: FilterInstance = {
        process(records) {
          f.calls.push(records.map((r) => r.uuid));
          return f.process(records, f.calls.length, ctx) as readonly OgrtRecord[];
        },
        async start() {
          await f.start?.();
        },
        async stop() {
          f.stopped = true;
          await f.stop?.();
        },
      };
      if (f.health !== undefined) out.health = () => f.health!();
      return out;
    },
  });
  return { plugin, instances, instance };
}

/** A filter that appends `{ name: "SEEN_BY", value: <its tag option> }` to every record's environment (in place). */
export function taggingFilterPlugin(type = 'tagger') {
  return definePlugin({
    apiVersion: PLUGIN_API_VERSION,
    kind: 'filter',
    type,
    description: 'appends an environment variable naming the filter',
    options: Type.Object({ tag: Type.String({ default: 'x', description: 'Value appended.' }) }, { additionalProperties: false }),
    create(_ctx, options) {
      return {
        process(records) {
          for (const r of records) r.environment_variables.push({ name: 'SEEN_BY', value: options.tag });
          return records;
        },
      };
    },
  });
}

/** Values of SEEN_BY in a record's environment, in order. */
export function seenBy(record: OgrtRecord): string[] {
  return record.environment_variables.filter((e) => e.name === 'SEEN_BY').map((e) => e.value);
}

/** Like startTestServer, with any StartServerOptions. */
export async function startWith(
  toml: string,
  plugins: readonly PluginDefinition[],
  options: Omit<StartServerOptions, 'config' | 'logger' | 'configPath' | 'registry'> & { files?: Record<string, string> } = {},
): Promise<TestServer> {
  const dir = await tempDir('ogrt-filters-');
  await writeFiles(dir, { 'ogrt.conf': toml, ...(options.files ?? {}) });
  const logs = captureLogs();
  try {
    const config = await loadConfig({ configPath: path.join(dir, 'ogrt.conf'), registry: new PluginRegistry(plugins) });
    const server = await startServer({ config, logger: logs.logger, random: () => 0.5, ...options });
    return {
      server,
      config,
      dir,
      logs,
      close: async () => {
        await server.stop('test done');
        await removeDir(dir);
      },
    };
  } catch (err) {
    (err as { logs?: unknown }).logs = logs;
    await removeDir(dir);
    throw err;
  }
}
