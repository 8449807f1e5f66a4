/**
 * Plugin registry: built-ins by `type` (src/core/builtin-plugins.ts), site
 * plugins by path or package name (src/core/plugin-resolve.ts). Every
 * definition is checked once — shape, kind, API version — before the core
 * uses it.
 */
import { existsSync } from 'node:fs';
import { PLUGIN_API_VERSION, type PluginDefinition } from './plugin-api.ts';
import { OgrtError, type ErrorCode } from './errors.ts';
import { OUTPUT_SHARED_KEYS, schemaProperties } from './config-schema.ts';
import { importPluginModule, isPathType, resolvePackage, resolvePluginPath } from './plugin-resolve.ts';

export type PluginKind = 'input' | 'output';

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

  /** The plugin for `type = "..."` in an `[inputs.*]` or `[outputs.*]` table. Never throws. */
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
  const problem = checkDefinition(def, name);
  if (problem !== undefined) return { problem };
  const plugin = def as PluginDefinition;
  if (plugin.kind !== kind) return fail('OGRT_ERR_CONFIG_PLUGIN_LOAD', [name, `it is an ${plugin.kind} plugin, not an ${kind} plugin`]);
  return { plugin };
}

/** Undefined when `def` is a usable plugin definition for this server. */
export function checkDefinition(def: unknown, name: string): PluginProblem | undefined {
  const bad = (why: string): PluginProblem => ({ code: 'OGRT_ERR_CONFIG_PLUGIN_LOAD', args: [name, why] });
  if (typeof def !== 'object' || def === null) {
    return bad('the module exports no plugin (expected `export default definePlugin({...})` or an export named `plugin`)');
  }
  const d = def as Record<string, unknown>;
  if (d.kind !== 'input' && d.kind !== 'output') return bad('`kind` must be "input" or "output"');
  if (d.apiVersion !== PLUGIN_API_VERSION) {
    return { code: 'OGRT_ERR_CONFIG_PLUGIN_API', args: [name, d.apiVersion === undefined ? '(none)' : String(d.apiVersion), PLUGIN_API_VERSION] };
  }
  if (typeof d.type !== 'string' || d.type === '') return bad('`type` must be a non-empty string');
  if (typeof d.create !== 'function') return bad('`create` must be a function');
  const options = d.options as Record<string, unknown> | undefined;
  if (typeof options !== 'object' || options === null || options.type !== 'object') {
    return bad('`options` must be an object schema (e.g. Type.Object({...}, { additionalProperties: false }))');
  }
  const reserved = schemaProperties(options as never).filter((k) => k === 'type' || (d.kind === 'output' && OUTPUT_SHARED_KEYS.includes(k)));
  if (reserved.length > 0) return bad(`its options declare key(s) owned by the core: ${reserved.join(', ')}`);
  return undefined;
}

function fail(code: ErrorCode, args: readonly unknown[], cause?: unknown): Resolved {
  return { problem: { code, args, cause } };
}
