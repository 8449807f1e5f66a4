/**
 * Plugin registry: built-ins by `type` (src/core/builtin-plugins.ts), site
 * plugins by path or package name (src/core/plugin-resolve.ts). Every
 * definition is checked once — shape, kind, API version — before the core
 * uses it.
 *
 * A site plugin module exports either a definition or a factory: a function
 * called once with the public API (OGRT_API, the values of the 'ogrt'
 * package), returning the definition. The factory form needs no `import
 * 'ogrt'`, so a plugin file works from any directory, ESM or CommonJS.
 */
import { existsSync } from 'node:fs';
import { OGRT_API, PLUGIN_API_VERSION, type PluginDefinition, type PluginKind } from './plugin-api.ts';
import { OgrtError, type ErrorCode } from './errors.ts';
import { FILTER_SHARED_KEYS, OUTPUT_SHARED_KEYS, schemaProperties } from './config-schema.ts';
import { importPluginModule, isPathType, resolvePackage, resolvePluginPath } from './plugin-resolve.ts';

export type { PluginKind } from './plugin-api.ts';

/** A plugin factory that has not returned after this long is a load error (it must not wait for a network). */
export const PLUGIN_FACTORY_TIMEOUT_MS = 10_000;

const KINDS: readonly PluginKind[] = ['input', 'output', 'filter'];
const CORE_KEYS: Readonly<Record<PluginKind, readonly string[]>> = {
  input: ['type'],
  output: ['type', ...OUTPUT_SHARED_KEYS],
  filter: ['type', ...FILTER_SHARED_KEYS],
};

/** Why a `type` could not be turned into a plugin; the config loader adds the location. */
export interface PluginProblem {
  readonly code: ErrorCode;
  /** Template arguments after the location. */
  readonly args: readonly unknown[];
  readonly cause?: unknown;
}

export type Resolved = { readonly plugin: PluginDefinition } | { readonly problem: PluginProblem };

export class PluginRegistry {
  private readonly builtins = new Map<string, PluginDefinition>();
  private readonly loaded = new Map<string, Promise<Resolved>>();

  constructor(definitions: readonly PluginDefinition[] = []) {
    for (const def of definitions) this.register(def);
  }

  /** Adds a built-in (or a test's) plugin under its `type`. Throws on a malformed definition. */
  register(def: PluginDefinition): this {
    const problem = checkDefinition(def, `built-in ${String((def as { type?: unknown })?.type)}`);
    if (problem !== undefined) throw new OgrtError(problem.code, ['plugin registry', ...problem.args]);
    const key = `${def.kind}:${def.type}`;
    if (this.builtins.has(key)) throw new Error(`${def.kind} plugin type "${def.type}" is registered twice`);
    this.builtins.set(key, def);
    return this;
  }

  /** Built-in types of a kind, sorted. */
  types(kind: PluginKind): string[] {
    const out: string[] = [];
    for (const def of this.builtins.values()) if (def.kind === kind) out.push(def.type);
    return out.sort();
  }

  /** The plugin for `type = "..."` in an `[inputs.*]`, `[filters.*]` or `[outputs.*]` table. Never throws. */
  async resolve(kind: PluginKind, type: string, configDir: string): Promise<Resolved> {
    const builtin = this.builtins.get(`${kind}:${type}`);
    if (builtin !== undefined) return { plugin: builtin };

    let file: string | undefined;
    if (isPathType(type)) {
      file = resolvePluginPath(type, configDir);
      if (!existsSync(file)) return fail('OGRT_ERR_CONFIG_PLUGIN_LOAD', [JSON.stringify(type), `no such file: ${file}`]);
    } else {
      try {
        file = resolvePackage(type, configDir);
      } catch (err) {
        return fail('OGRT_ERR_CONFIG_PLUGIN_LOAD', [JSON.stringify(type), (err as Error).message], err);
      }
      if (file === undefined) return fail('OGRT_ERR_CONFIG_UNKNOWN_TYPE', [kind, type, kind, this.types(kind).join(', ') || '(none)']);
    }

    const key = `${kind}:${file}`;
    let pending = this.loaded.get(key);
    if (pending === undefined) {
      pending = loadSitePlugin(kind, type, file);
      this.loaded.set(key, pending);
    }
    return pending;
  }
}

async function loadSitePlugin(kind: PluginKind, type: string, file: string): Promise<Resolved> {
  const name = `${JSON.stringify(type)} (${file})`;
  let def: unknown;
  try {
    def = await importPluginModule(file);
  } catch (err) {
    return fail('OGRT_ERR_CONFIG_PLUGIN_LOAD', [name, (err as Error)?.message ?? String(err)], err);
  }
  const factory = factoryOf(def);
  if (factory !== undefined) {
    try {
      def = await callFactory(factory);
    } catch (err) {
      return fail('OGRT_ERR_CONFIG_PLUGIN_LOAD', [name, `its exported function failed: ${(err as Error)?.message ?? String(err)}`], err);
    }
  }
  const problem = checkDefinition(def, name);
  if (problem !== undefined) return { problem };
  const plugin = def as PluginDefinition;
  if (plugin.kind !== kind) return fail('OGRT_ERR_CONFIG_PLUGIN_LOAD', [name, `it is ${article(plugin.kind)} plugin, not ${article(kind)} plugin`]);
  SOURCE_FILES.set(plugin, file);
  return { plugin };
}

const SOURCE_FILES = new WeakMap<PluginDefinition, string>();

/** The file a site plugin was loaded from (undefined for built-ins): errors thrown from it can be attributed to it. */
export function pluginSourceFile(plugin: PluginDefinition): string | undefined {
  return SOURCE_FILES.get(plugin);
}

/**
 * The factory a module exports, if any: `export default (ogrt) => ...`,
 * `module.exports = (ogrt) => ...`, or TypeScript's CommonJS output of
 * `export default function` (`exports.default = ...`).
 */
function factoryOf(exported: unknown): ((api: typeof OGRT_API) => unknown) | undefined {
  if (typeof exported === 'function') return exported as (api: typeof OGRT_API) => unknown;
  const inner = (exported as { default?: unknown } | null | undefined)?.default;
  if (typeof exported === 'object' && exported !== null && !('kind' in exported) && typeof inner === 'function') {
    return inner as (api: typeof OGRT_API) => unknown;
  }
  return undefined;
}

async function callFactory(factory: (api: typeof OGRT_API) => unknown): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`it did not return within ${PLUGIN_FACTORY_TIMEOUT_MS} ms`)), PLUGIN_FACTORY_TIMEOUT_MS);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => factory(OGRT_API)), late]);
  } finally {
    clearTimeout(timer);
  }
}

function article(kind: string): string {
  return /^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`;
}

/** Undefined when `def` is a usable plugin definition for this server. */
export function checkDefinition(def: unknown, name: string): PluginProblem | undefined {
  const bad = (why: string): PluginProblem => ({ code: 'OGRT_ERR_CONFIG_PLUGIN_LOAD', args: [name, why] });
  if (typeof def !== 'object' || def === null) {
    return bad('the module exports no plugin (expected `export default definePlugin({...})`, `export default (ogrt) => ogrt.definePlugin({...})` or an export named `plugin`)');
  }
  const d = def as Record<string, unknown>;
  if (!KINDS.includes(d.kind as PluginKind)) return bad('`kind` must be "input", "output" or "filter"');
  if (d.apiVersion !== PLUGIN_API_VERSION) {
    return { code: 'OGRT_ERR_CONFIG_PLUGIN_API', args: [name, d.apiVersion === undefined ? '(none)' : String(d.apiVersion), PLUGIN_API_VERSION] };
  }
  if (typeof d.type !== 'string' || d.type === '') return bad('`type` must be a non-empty string');
  if (typeof d.create !== 'function') return bad('`create` must be a function');
  if (d.batchFormat !== undefined && (d.kind !== 'output' || (d.batchFormat !== 'records' && d.batchFormat !== 'json'))) {
    return bad('`batchFormat` is for outputs and must be "records" or "json"');
  }
  const options = d.options as Record<string, unknown> | undefined;
  if (typeof options !== 'object' || options === null || options.type !== 'object') {
    return bad('`options` must be an object schema (e.g. Type.Object({...}, { additionalProperties: false }))');
  }
  const reserved = schemaProperties(options as never).filter((k) => CORE_KEYS[d.kind as PluginKind].includes(k));
  if (reserved.length > 0) return bad(`its options declare key(s) owned by the core: ${reserved.join(', ')}`);
  return undefined;
}

function fail(code: ErrorCode, args: readonly unknown[], cause?: unknown): Resolved {
  return { problem: { code, args, cause } };
}
