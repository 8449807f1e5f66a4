/**
 * How site plugins are loaded: a definition or a factory (a function called
 * with the public API), ESM or CommonJS, by path; `import ... from 'ogrt'`
 * when the site linked the package; and the shape checks on what a module
 * exports.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import * as publicApi from '../../src/index.ts';
import { OGRT_API, PLUGIN_API_VERSION, type PluginDefinition } from '../../src/core/plugin-api.ts';
import { PluginRegistry, type Resolved } from '../../src/core/registry.ts';
import { REPO_ROOT } from '../helpers/server.ts';
import { removeDir, tempDir, writeFiles } from '../helpers/temp.ts';

const BODY = `{
  apiVersion: ogrt.PLUGIN_API_VERSION,
  kind: 'filter',
  type: 'TYPE',
  description: 'a site filter',
  options: ogrt.Type.Object({ tag: ogrt.Type.String({ default: 'x', description: 'd' }) }, { additionalProperties: false }),
  create: () => ({ process: (records) => records }),
}`;
const def = (type: string): string => BODY.replace('TYPE', type);

const FILES: Record<string, string> = {
  'plugins/factory.mjs': `export default (ogrt) => ogrt.definePlugin(${def('esm-factory')});\n`,
  'plugins/async-factory.mjs': `export default async function (ogrt) { await new Promise((r) => setTimeout(r, 1)); return ogrt.definePlugin(${def('async-factory')}); }\n`,
  'plugins/named-factory.mjs': `export const plugin = (ogrt) => ogrt.definePlugin(${def('named-factory')});\n`,
  'plugins/factory.cjs': `module.exports = (ogrt) => ogrt.definePlugin(${def('cjs-factory')});\n`,
  // What tsc emits for `export default function (ogrt) {...}` with "module": "commonjs".
  'plugins/tsc-output.js': `"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\nexports.default = default_1;\nfunction default_1(ogrt) { return ogrt.definePlugin(${def('tsc-cjs')}); }\n`,
  'plugins/package.json': '{}',
  'plugins/factory-throws.mjs': "export default () => { throw new Error('needs LDAP'); };\n",
  'plugins/factory-returns-nothing.mjs': 'export default () => undefined;\n',
  'plugins/core-key.mjs': `export default (ogrt) => ogrt.definePlugin({ ...${def('core-key')}, options: ogrt.Type.Object({ timeout_ms: ogrt.Type.Integer({ default: 1, description: 'd' }) }) });\n`,
  'plugins/imports-ogrt.mjs': `import { definePlugin, Type, PLUGIN_API_VERSION } from 'ogrt';\nconst ogrt = { definePlugin, Type, PLUGIN_API_VERSION };\nexport default definePlugin(${def('imports-ogrt')});\n`,
  // `npm link ogrt` (or `npm install ogrt`) next to ogrt.conf, simulated: a package re-exporting this checkout's API.
  'node_modules/ogrt/package.json': JSON.stringify({ name: 'ogrt', type: 'module', exports: { '.': { import: './index.mjs' } } }),
  'node_modules/ogrt/index.mjs': `export * from ${JSON.stringify(path.join(REPO_ROOT, 'src/index.ts'))};\n`,
};

let root = '';
test.before(async () => {
  root = await tempDir('ogrt-loading-');
  await writeFiles(root, FILES);
});
test.after(async () => {
  await removeDir(root);
});

function plugin(r: Resolved): PluginDefinition {
  if ('problem' in r) throw new Error(`unexpected problem: ${r.problem.code} ${r.problem.args.join(' | ')}`);
  return r.plugin;
}

function problem(r: Resolved): { code: string; text: string } {
  if ('plugin' in r) throw new Error('expected a problem');
  return { code: r.problem.code, text: r.problem.args.join(' | ') };
}

test('a factory receives exactly the runtime values of the public package', () => {
  const runtime = Object.entries(publicApi).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  assert.equal(Object.keys(OGRT_API).sort(), runtime.map(([k]) => k));
  for (const [key, value] of runtime) assert.is((OGRT_API as unknown as Record<string, unknown>)[key], value, key);
  assert.ok(Object.isFrozen(OGRT_API));
  assert.is(OGRT_API.PLUGIN_API_VERSION, PLUGIN_API_VERSION);
});

test('factory forms: ESM default (sync or async), ESM named `plugin`, CommonJS module.exports, tsc CommonJS output', async () => {
  const reg = new PluginRegistry();
  const cases: [string, string][] = [
    ['./plugins/factory.mjs', 'esm-factory'],
    ['./plugins/async-factory.mjs', 'async-factory'],
    ['./plugins/named-factory.mjs', 'named-factory'],
    ['./plugins/factory.cjs', 'cjs-factory'],
    ['./plugins/tsc-output.js', 'tsc-cjs'],
  ];
  for (const [file, type] of cases) {
    const p = plugin(await reg.resolve('filter', file, root));
    assert.is(p.type, type, file);
    assert.is(p.kind, 'filter');
    assert.ok(Object.isFrozen(p), `${file}: definePlugin froze it`);
  }
});

test("`import { definePlugin } from 'ogrt'` works where the site linked the package", async () => {
  const p = plugin(await new PluginRegistry().resolve('filter', './plugins/imports-ogrt.mjs', root));
  assert.is(p.type, 'imports-ogrt');
});

test('a factory that throws, or returns no plugin, is a load error naming the file', async () => {
  const reg = new PluginRegistry();
  const throws = problem(await reg.resolve('filter', './plugins/factory-throws.mjs', root));
  assert.is(throws.code, 'OGRT_ERR_CONFIG_PLUGIN_LOAD');
  assert.match(throws.text, `"./plugins/factory-throws.mjs" (${path.join(root, 'plugins/factory-throws.mjs')}) | its exported function failed: needs LDAP`);
  const nothing = problem(await reg.resolve('filter', './plugins/factory-returns-nothing.mjs', root));
  assert.match(nothing.text, 'the module exports no plugin');
});

test('a filter in an output table, and a filter declaring a key the core owns, are refused', async () => {
  const reg = new PluginRegistry();
  const wrongKind = problem(await reg.resolve('output', './plugins/factory.mjs', root));
  assert.match(wrongKind.text, 'it is a filter plugin, not an output plugin');
  const coreKey = problem(await reg.resolve('filter', './plugins/core-key.mjs', root));
  assert.match(coreKey.text, 'its options declare key(s) owned by the core: timeout_ms');
});

test.run();
