/**
 * The built-in plugins use only the public plugin API: a file under
 * plugins/<kind>-<name>/ may import its own folder's files, packages
 * (node:*, npm) and src/core/plugin-api.ts — nothing else of the server,
 * and nothing of another plugin — and from plugin-api.ts only names that
 * the published package exports too: 'ogrt' (src/index.ts) or the input
 * toolkit 'ogrt/kit' (src/kit.ts). This keeps the API proven by use: what
 * the built-ins need, site plugins can have too.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../helpers/server.ts';

const PLUGINS = path.join(REPO_ROOT, 'plugins');
const PLUGIN_API = path.join(REPO_ROOT, 'src/core/plugin-api.ts');
const PUBLISHED = { ogrt: path.join(REPO_ROOT, 'src/index.ts'), 'ogrt/kit': path.join(REPO_ROOT, 'src/kit.ts') };
/** Recorded for an import whose names cannot be listed (namespace, `export *`, import(), require()). */
const OPAQUE = '*';

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) out.push(...sourceFiles(file));
    else if (/\.(c|m)?[jt]s$/.test(name)) out.push(file);
  }
  return out;
}

/** Every module specifier of a file: static imports and re-exports, import(), require(). */
function specifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** Why `specifier` in `file` (a file of plugin folder `pluginDir`) crosses the boundary, or undefined. */
function violation(file: string, pluginDir: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.') && !specifier.startsWith('/')) return undefined; // a package or node: builtin
  const target = path.resolve(path.dirname(file), specifier);
  if (target === PLUGIN_API) return undefined;
  if (target === pluginDir || target.startsWith(pluginDir + path.sep)) return undefined;
  return `${path.relative(REPO_ROOT, file)} imports ${specifier} (${path.relative(REPO_ROOT, target)})`;
}

function scan(files: readonly { file: string; source: string }[]): string[] {
  const found: string[] = [];
  for (const { file, source } of files) {
    const pluginDir = path.join(PLUGINS, path.relative(PLUGINS, file).split(path.sep)[0]);
    for (const s of specifiers(source)) {
      const v = violation(file, pluginDir, s);
      if (v !== undefined) found.push(v);
    }
  }
  return found;
}

/**
 * The names `file` takes from plugin-api.ts, type-only ones included, by
 * their exported name (`import { a as b }` → a): import and export
 * declarations; OPAQUE for a namespace or default import, `export *`,
 * import() and require() of it.
 */
function apiNames(file: string, source: string): string[] {
  const names: string[] = [];
  const isApi = (node: ts.Node | undefined): boolean =>
    node !== undefined && ts.isStringLiteral(node) && path.resolve(path.dirname(file), node.text) === PLUGIN_API;
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && isApi(node.moduleSpecifier)) {
      const clause = node.importClause;
      if (clause?.name !== undefined) names.push(OPAQUE);
      const bindings = clause?.namedBindings;
      if (bindings !== undefined && ts.isNamespaceImport(bindings)) names.push(OPAQUE);
      if (bindings !== undefined && ts.isNamedImports(bindings)) for (const e of bindings.elements) names.push((e.propertyName ?? e.name).text);
    } else if (ts.isExportDeclaration(node) && isApi(node.moduleSpecifier)) {
      const clause = node.exportClause;
      if (clause !== undefined && ts.isNamedExports(clause)) for (const e of clause.elements) names.push((e.propertyName ?? e.name).text);
      else names.push(OPAQUE);
    } else if (ts.isCallExpression(node) && isApi(node.arguments[0])) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require')) names.push(OPAQUE);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && isApi(node.moduleReference.expression)) {
      names.push(OPAQUE);
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(file, source, ts.ScriptTarget.ES2022, true, file.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS));
  return names;
}

/** Every name (values and types) the published entry points export, `export *` followed. */
function publishedNames(): Map<string, Set<string>> {
  const files = Object.values(PUBLISHED);
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const out = new Map<string, Set<string>>();
  for (const [entry, file] of Object.entries(PUBLISHED)) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
    out.set(entry, new Set(checker.getExportsOfModule(module).map((s) => s.name)));
  }
  return out;
}

/** `file imports NAME from plugin-api.ts, ...` for every name neither published entry point exports. */
function unpublished(files: readonly { file: string; source: string }[], published: ReadonlySet<string>): string[] {
  const found: string[] = [];
  for (const { file, source } of files) {
    for (const name of new Set(apiNames(file, source))) {
      if (published.has(name)) continue;
      const what = name === OPAQUE ? 'plugin-api.ts as a whole (namespace, default, `export *`, import() or require())' : `${name} from plugin-api.ts`;
      found.push(`${path.relative(REPO_ROOT, file)} imports ${what}`);
    }
  }
  return found;
}

test('the scanner sees static, type-only, re-export, dynamic and require imports that cross the boundary', () => {
  const file = path.join(PLUGINS, 'output-x/output.ts');
  const source = [
    "import { a } from './sibling.ts';",
    "import type { B } from '../../src/core/plugin-api.ts';",
    "import fastJson from 'fast-json-stringify';",
    "import { readFileSync } from 'node:fs';",
    "import { OutputQueue } from '../../src/core/output-queue.ts';",
    "import type { Batch } from '../../src/core/record.ts';",
    "export { x } from '../output-y/format.ts';",
    "const later = await import('../../src/core/metrics.ts');",
    "const cjs = require('../../test/helpers/records.ts');",
  ].join('\n');
  assert.equal(scan([{ file, source }]), [
    'plugins/output-x/output.ts imports ../../src/core/output-queue.ts (src/core/output-queue.ts)',
    'plugins/output-x/output.ts imports ../../src/core/record.ts (src/core/record.ts)',
    'plugins/output-x/output.ts imports ../output-y/format.ts (plugins/output-y/format.ts)',
    'plugins/output-x/output.ts imports ../../src/core/metrics.ts (src/core/metrics.ts)',
    'plugins/output-x/output.ts imports ../../test/helpers/records.ts (test/helpers/records.ts)',
  ]);
});

test('every built-in plugin imports the server only through src/core/plugin-api.ts', () => {
  const files = sourceFiles(PLUGINS).map((file) => ({ file, source: readFileSync(file, 'utf8') }));
  assert.ok(files.length > 10, 'plugin sources found');
  const found = scan(files);
  assert.equal(found, [], `plugins must import the core only through src/core/plugin-api.ts:\n  ${found.join('\n  ')}`);
});

test('the name scanner lists what a file takes from plugin-api.ts, type-only and renamed imports by their exported name', () => {
  const file = path.join(PLUGINS, 'input-x/input.ts');
  const source = [
    "import { definePlugin, RecordIntake as Intake, type InputContext } from '../../src/core/plugin-api.ts';",
    "import type { OgrtRecord } from '../../src/core/plugin-api.ts';",
    "export { parseListen, type ListenAddress as Address } from '../../src/core/plugin-api.ts';",
    "import { helper } from './helper.ts';",
    "import { Other } from '../../src/core/plugin-api.js';",
  ].join('\n');
  assert.equal(apiNames(file, source), ['definePlugin', 'RecordIntake', 'InputContext', 'OgrtRecord', 'parseListen', 'ListenAddress']);
  for (const opaque of [
    "import * as api from '../../src/core/plugin-api.ts';",
    "import api from '../../src/core/plugin-api.ts';",
    "export * from '../../src/core/plugin-api.ts';",
    "const api = await import('../../src/core/plugin-api.ts');",
    "const api = require('../../src/core/plugin-api.ts');",
  ]) {
    assert.equal(apiNames(file, opaque), [OPAQUE], opaque);
  }
});

test("a name plugin-api.ts exports but neither 'ogrt' nor 'ogrt/kit' publishes is reported", () => {
  const published = new Set(['definePlugin', 'RecordIntake', 'InputContext']);
  const file = path.join(PLUGINS, 'input-x/input.ts');
  const source = [
    "import { definePlugin, OGRT_API, type InputContext } from '../../src/core/plugin-api.ts';",
    "import * as api from '../../src/core/plugin-api.ts';",
    "import { RecordIntake } from '../../src/core/plugin-api.ts';",
  ].join('\n');
  assert.equal(unpublished([{ file, source }], published), [
    'plugins/input-x/input.ts imports OGRT_API from plugin-api.ts',
    'plugins/input-x/input.ts imports plugin-api.ts as a whole (namespace, default, `export *`, import() or require())',
  ]);
});

test("what the built-in plugins take from plugin-api.ts, 'ogrt' or 'ogrt/kit' publishes (type-only imports included)", () => {
  const published = publishedNames();
  const ogrt = published.get('ogrt')!;
  const kit = published.get('ogrt/kit')!;
  // The published sets are the real ones: the package's core API, and the toolkit the built-in inputs are made of.
  for (const name of ['definePlugin', 'PLUGIN_API_VERSION', 'Type', 'OgrtRecord', 'InputContext', 'SendResult', 'kit']) assert.ok(ogrt.has(name), `'ogrt' exports ${name}`);
  for (const name of ['RecordIntake', 'StreamListener', 'FrameSplitter', 'decodeMessage', 'Reassembler', 'parseRfc5424', 'parseListen']) assert.ok(kit.has(name), `'ogrt/kit' exports ${name}`);
  assert.not.ok(ogrt.has('OGRT_API') || kit.has('OGRT_API'), 'the server-side factory argument is not published by name');

  const files = sourceFiles(PLUGINS).map((file) => ({ file, source: readFileSync(file, 'utf8') }));
  const used = new Set(files.flatMap(({ file, source }) => apiNames(file, source)));
  assert.ok(used.has('RecordIntake') && used.has('definePlugin'), 'the scan sees the built-ins’ imports');
  const found = unpublished(files, new Set([...ogrt, ...kit]));
  assert.equal(found, [], `built-in plugins may take from plugin-api.ts only what 'ogrt' or 'ogrt/kit' publishes:\n  ${found.join('\n  ')}`);
});

test.run();
