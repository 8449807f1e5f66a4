/**
 * Finds and imports site plugins named in ogrt.conf:
 *   type = "./plugins/my-output.mjs"   a path, relative to the config file's directory
 *   type = "/opt/ogrt/plugins/x.js"    an absolute path
 *   type = "@site/ogrt-output-kafka"   a package in node_modules next to (or above) the config file
 *
 * Packages are resolved by hand (node_modules walk, `exports` with the
 * import/node/default conditions, then `main`) because Node offers no stable
 * way to resolve an ESM specifier from an arbitrary directory.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export function isPathType(type: string): boolean {
  return type.startsWith('.') || type.startsWith('/');
}

/** Absolute file of a path-type plugin. */
export function resolvePluginPath(type: string, configDir: string): string {
  return path.resolve(configDir, type);
}

/**
 * Entry file of a package plugin, or undefined when no such package is
 * installed. Throws when the package exists but names no usable entry.
 */
export function resolvePackage(specifier: string, fromDir: string): string | undefined {
  const { name, subpath } = splitSpecifier(specifier);
  if (name === '') return undefined;
  for (let dir = path.resolve(fromDir); ; ) {
    const pkgDir = path.join(dir, 'node_modules', name);
    const manifest = path.join(pkgDir, 'package.json');
    if (existsSync(manifest)) return packageEntry(pkgDir, JSON.parse(readFileSync(manifest, 'utf8')) as PackageJson, subpath, name);
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Imports a plugin module (ESM or CommonJS) and picks its definition: default export, `plugin`, or their CommonJS forms. */
export async function importPluginModule(file: string): Promise<unknown> {
  const ns = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const def = ns.default as Record<string, unknown> | undefined;
  const candidates = [def, ns.plugin, def?.plugin, def?.default];
  return candidates.find(looksLikePlugin) ?? candidates.find((c) => c !== undefined);
}

function looksLikePlugin(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'kind' in value && 'create' in value;
}

interface PackageJson {
  exports?: unknown;
  main?: string;
}

function splitSpecifier(specifier: string): { name: string; subpath: string } {
  const parts = specifier.split('/');
  const count = specifier.startsWith('@') ? 2 : 1;
  if (parts.length < count || parts.slice(0, count).some((p) => p === '' || p === '..' || p === '.')) return { name: '', subpath: '.' };
  const rest = parts.slice(count).join('/');
  return { name: parts.slice(0, count).join('/'), subpath: rest === '' ? '.' : `./${rest}` };
}

const CONDITIONS = new Set(['import', 'node', 'default']);

function packageEntry(pkgDir: string, pkg: PackageJson, subpath: string, name: string): string {
  if (pkg.exports !== undefined && pkg.exports !== null) {
    const target = exportsTarget(pkg.exports, subpath);
    if (target === undefined) throw new Error(`package ${name} does not export "${subpath}" for import`);
    return path.join(pkgDir, target);
  }
  if (subpath !== '.') return withJsExtension(path.join(pkgDir, subpath));
  return withJsExtension(path.join(pkgDir, pkg.main ?? 'index.js'));
}

function exportsTarget(exports: unknown, subpath: string): string | undefined {
  const isSubpathMap = typeof exports === 'object' && !Array.isArray(exports) && Object.keys(exports as object).some((k) => k.startsWith('.'));
  if (!isSubpathMap) return subpath === '.' ? conditional(exports) : undefined;
  return conditional((exports as Record<string, unknown>)[subpath]);
}

function conditional(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const t of target) {
      const r = conditional(t);
      if (r !== undefined) return r;
    }
    return undefined;
  }
  if (typeof target === 'object' && target !== null) {
    for (const [condition, value] of Object.entries(target)) {
      if (!CONDITIONS.has(condition)) continue;
      const r = conditional(value);
      if (r !== undefined) return r;
    }
  }
  return undefined;
}

/** `main` may omit the extension or name a directory, as require() allows. */
function withJsExtension(file: string): string {
  if (isFile(file)) return file;
  for (const candidate of [`${file}.js`, `${file}.cjs`, `${file}.mjs`, path.join(file, 'index.js')]) if (isFile(candidate)) return candidate;
  return file;
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
