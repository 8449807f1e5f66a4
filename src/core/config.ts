/**
 * ogrt.conf → a validated, frozen OgrtConfig. The whole file is checked at
 * start and every problem is reported at once (OGRT_ERR_CONFIG_ERRORS), each
 * naming the file, the line where known, the TOML key path and what was
 * expected. Plugins are resolved here too, so a bad `type` is a config error.
 */
import path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { PluginDefinition } from './plugin-api.ts';
import { OgrtError } from './errors.ts';
import { KeyLines } from './config-locate.ts';
import { ConfigProblems } from './config-errors.ts';
import { findConfig, type ConfigSource, type FindConfigOptions } from './config-source.ts';
import {
  FILTER_SHARED_KEYS,
  INSTANCE_NAME,
  OUTPUT_SHARED_KEYS,
  OutputSharedSchema,
  ServerSchema,
  TOP_LEVEL_KEYS,
  type OutputSettings,
  type OutputShared,
  type ServerSettings,
} from './config-schema.ts';
import { compileSchema, pluginValidator } from './config-validate.ts';
import { resolveBufferSettings, sharedBufferPaths } from './disk-buffer-config.ts';
import type { PluginKind, PluginRegistry } from './registry.ts';
import { filterSettings, finishFilters, type FilterConfig, type FilterSettings } from './filters-config.ts';
import { readDashboard, type DashboardSettings } from './http/config.ts';

export type { ConfigSource } from './config-source.ts';
export type { OutputSettings, ServerSettings } from './config-schema.ts';
export type { FilterConfig, FilterSettings } from './filters-config.ts';

export interface ComponentConfig {
  readonly kind: PluginKind;
  /** Instance name: `[inputs.NAME]` / `[filters.NAME]` / `[outputs.NAME]`. */
  readonly id: string;
  /** `type` as written in ogrt.conf. */
  readonly type: string;
  readonly plugin: PluginDefinition;
  /** The plugin's own options, validated, defaults applied, frozen. */
  readonly options: unknown;
}

export interface InputConfig extends ComponentConfig {
  readonly kind: 'input';
}

export interface OutputConfig extends ComponentConfig {
  readonly kind: 'output';
  readonly settings: OutputSettings;
}

export interface OgrtConfig {
  readonly source: Omit<ConfigSource, 'text'>;
  /** `[server]`, with data_dir made absolute. */
  readonly server: Readonly<ServerSettings>;
  readonly inputs: readonly InputConfig[];
  readonly outputs: readonly OutputConfig[];
  /** `[filters.NAME]`, in file order (the order they run in); empty when there is none. */
  readonly filters: readonly FilterConfig[];
  /** `[dashboard]` (src/core/http/config.ts); undefined when the table is absent. */
  readonly dashboard?: Readonly<DashboardSettings>;
}

export interface LoadConfigOptions extends FindConfigOptions {
  registry: PluginRegistry;
}

/** Finds (see config-source.ts), reads and validates the configuration. */
export async function loadConfig(options: LoadConfigOptions): Promise<OgrtConfig> {
  return parseConfig(findConfig(options), options.registry);
}

const validateServer = compileSchema(ServerSchema);
const validateOutputShared = compileSchema(OutputSharedSchema);

export async function parseConfig(source: ConfigSource, registry: PluginRegistry): Promise<OgrtConfig> {
  const doc = parseTomlDocument(source);
  const problems = new ConfigProblems(source.file, new KeyLines(source.text));

  for (const key of Object.keys(doc)) {
    if (!TOP_LEVEL_KEYS.includes(key)) problems.add('OGRT_ERR_CONFIG_UNKNOWN_KEY', [key], [TOP_LEVEL_KEYS.join(', ')]);
  }

  const server = structuredClone(isTable(doc.server) ? doc.server : doc.server === undefined ? {} : doc.server) as ServerSettings;
  if (!validateServer(server)) problems.addAjv(validateServer.errors, ['server']);
  const dataDir = path.resolve(source.dir, typeof server.data_dir === 'string' ? server.data_dir : 'data');

  const [inputs, outputs, filters] = await Promise.all([
    readInstances('input', doc.inputs, source, registry, problems, () => undefined),
    readInstances('output', doc.outputs, source, registry, problems, (id, table) => outputSettings(id, table, source, dataDir, problems)),
    readInstances('filter', doc.filters, source, registry, problems, (id, table) => filterSettings(id, table, problems)),
  ]);
  const orderedFilters = finishFilters(filters as FilterConfig[], Object.keys(isTable(doc.inputs) ? doc.inputs : {}), source.text, problems);
  for (const [id, other, dir] of sharedBufferPaths((outputs as OutputConfig[]).map((o) => ({ id: o.id, buffer: o.settings.buffer })))) {
    problems.add('OGRT_ERR_CONFIG_INVALID', ['outputs', id, 'buffer', 'path'], [`${dir} is already the disk buffer of output ${other}; each output needs its own`]);
  }
  const dashboard = readDashboard(doc.dashboard, outputs.map((o) => ({ id: o.id, type: o.plugin.type })), problems);
  problems.throwIfAny();

  return deepFreeze({
    source: { file: source.file, path: source.path, dir: source.dir },
    server: { ...server, data_dir: dataDir },
    inputs: inputs as InputConfig[],
    outputs: outputs as OutputConfig[],
    filters: orderedFilters,
    ...(dashboard === undefined ? {} : { dashboard }),
  });
}

function parseTomlDocument(source: ConfigSource): Record<string, unknown> {
  try {
    return parseToml(source.text) as Record<string, unknown>;
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    const where = `${source.file}:${err.line}:${err.column}`;
    const what = err.message.split('\n')[0].replace(/^Invalid TOML document: /, '');
    throw new OgrtError('OGRT_ERR_CONFIG_SYNTAX', [where, what], {
      cause: err,
      context: { file: source.file, line: err.line, column: err.column, codeblock: err.codeblock },
    });
  }
}

const SECTION = { input: 'inputs', output: 'outputs', filter: 'filters' } as const;
const SHARED_KEYS = { input: ['type'], output: ['type', ...OUTPUT_SHARED_KEYS], filter: ['type', ...FILTER_SHARED_KEYS] } as const;

type Extra = (id: string, table: Record<string, unknown>) => OutputSettings | FilterSettings | undefined;

async function readInstances(
  kind: PluginKind,
  section: unknown,
  source: ConfigSource,
  registry: PluginRegistry,
  problems: ConfigProblems,
  extra: Extra,
): Promise<ComponentConfig[]> {
  const name = SECTION[kind];
  if (section === undefined || (isTable(section) && Object.keys(section).length === 0)) {
    // Filters are optional.
    if (kind === 'filter') return [];
    problems.add('OGRT_ERR_CONFIG_INVALID', [name], [`at least one [${name}.NAME] table is required`]);
    return [];
  }
  if (!isTable(section)) {
    problems.add('OGRT_ERR_CONFIG_INVALID', [name], [`must be a table of [${name}.NAME] tables`]);
    return [];
  }
  const pending = Object.entries(section).map(([id, table]) => readInstance(kind, id, table, source, registry, problems, extra));
  const all = await Promise.all(pending);
  return all.filter((c): c is ComponentConfig => c !== undefined);
}

async function readInstance(
  kind: PluginKind,
  id: string,
  table: unknown,
  source: ConfigSource,
  registry: PluginRegistry,
  problems: ConfigProblems,
  extra: Extra,
): Promise<ComponentConfig | undefined> {
  const at = [SECTION[kind], id];
  if (!INSTANCE_NAME.test(id)) {
    problems.add('OGRT_ERR_CONFIG_INVALID', at, ['instance names are 1-64 letters, digits, "_" or "-", starting with a letter or digit']);
  }
  if (!isTable(table)) {
    problems.add('OGRT_ERR_CONFIG_INVALID', at, ['must be a table']);
    return undefined;
  }
  // Shared keys are checked even when the plugin is unknown, so every problem shows at once.
  const settings = extra(id, table);
  const type = table.type;
  if (type === undefined) {
    problems.add('OGRT_ERR_CONFIG_MISSING_TYPE', at, [kind, registry.types(kind).join(', ') || '(none)']);
    return undefined;
  }
  if (typeof type !== 'string' || type === '') {
    problems.add('OGRT_ERR_CONFIG_INVALID', [...at, 'type'], [`must be a plugin type name, path or package (known ${kind} types: ${registry.types(kind).join(', ')})`]);
    return undefined;
  }
  const resolved = await registry.resolve(kind, type, source.dir);
  if ('problem' in resolved) {
    problems.add(resolved.problem.code, [...at, 'type'], resolved.problem.args, resolved.problem.cause);
    return undefined;
  }
  const plugin = resolved.plugin;
  const shared: readonly string[] = SHARED_KEYS[kind];
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(table)) if (!shared.includes(key)) options[key] = structuredClone(value);

  let validate;
  try {
    validate = pluginValidator(plugin);
  } catch (err) {
    problems.add('OGRT_ERR_CONFIG_PLUGIN_LOAD', [...at, 'type'], [JSON.stringify(type), `its options schema does not compile: ${(err as Error).message}`], err);
    return undefined;
  }
  if (!validate(options)) {
    problems.addAjv(validate.errors, at, shared);
    return undefined;
  }
  if (kind !== 'input') {
    if (settings === undefined) return undefined;
    return { kind, id, type, plugin, options, settings } as OutputConfig | FilterConfig;
  }
  return { kind, id, type, plugin, options } as InputConfig;
}

function outputSettings(id: string, table: Record<string, unknown>, source: ConfigSource, dataDir: string, problems: ConfigProblems): OutputSettings | undefined {
  const at = ['outputs', id];
  const raw: Record<string, unknown> = {};
  for (const key of OUTPUT_SHARED_KEYS) if (key in table) raw[key] = structuredClone(table[key]);

  const shorthand = raw.when_full;
  const explicit = isTable(raw.buffer) ? raw.buffer.when_full : undefined;
  let ok = true;
  if (shorthand !== undefined && explicit !== undefined && shorthand !== explicit) {
    problems.add('OGRT_ERR_CONFIG_INVALID', [...at, 'when_full'], [`${JSON.stringify(shorthand)} conflicts with buffer.when_full = ${JSON.stringify(explicit)}; set only one of them`]);
    ok = false;
  }
  if (!validateOutputShared(raw)) {
    problems.addAjv(validateOutputShared.errors, at);
    return undefined;
  }
  const shared = raw as OutputShared;
  const buffer = resolveBufferSettings(shared.buffer, shared.when_full ?? shared.buffer.when_full, id, source.dir, dataDir);
  if ('problems' in buffer) {
    for (const [key, message] of buffer.problems) problems.add('OGRT_ERR_CONFIG_INVALID', [...at, 'buffer', key], [message]);
    return undefined;
  }
  if (!ok) return undefined;
  return {
    batch: shared.batch,
    buffer: buffer.settings,
    retry: shared.retry,
    dead_letter_path: shared.dead_letter_path !== undefined
      ? path.resolve(source.dir, shared.dead_letter_path)
      : path.join(dataDir, 'dead-letter', `${id}.jsonl`),
    concurrency: shared.concurrency,
    send_timeout_ms: shared.send_timeout_ms,
  };
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) {
      // Plugin definitions are frozen by definePlugin and hold schemas other code may share.
      if (typeof v === 'object' && v !== null && !('create' in v)) deepFreeze(v);
    }
  }
  return value;
}
