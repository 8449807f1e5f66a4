import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { PluginRegistry, type Resolved } from '../../src/core/registry.ts';
import { parseConfig } from '../../src/core/config.ts';
import { OgrtError } from '../../src/core/errors.ts';
import { PLUGIN_API_VERSION, type PluginDefinition } from '../../src/core/plugin-api.ts';
import { removeDir, tempDir, writeFiles } from '../helpers/temp.ts';
import { fakeInputPlugin, fakeOutputPlugin } from '../helpers/fake-plugins.ts';

/** Source of a plugin object literal (JS), for files written into the temp dir. */
function pluginSource(kind: 'input' | 'output', type: string, apiVersion: unknown = PLUGIN_API_VERSION, extraOptions = ''): string {
  const instance = kind === 'input' ? '{ start: async () => {}, stop: async () => {} }' : "{ send: async () => ({ status: 'ok' }) }";
  return `{
  apiVersion: ${JSON.stringify(apiVersion)},
  kind: '${kind}',
  type: '${type}',
  description: 'site plugin for tests',
  options: { type: 'object', properties: { greeting: { type: 'string', default: 'hi', description: 'd' }${extraOptions} }, additionalProperties: false },
  create: () => (${instance}),
}`;
}

const FILES: Record<string, string> = {
  'conf/plugins/esm-out.mjs': `export default ${pluginSource('output', 'esm-out')};\n`,
  'conf/plugins/named.mjs': `export const plugin = ${pluginSource('output', 'named-out')};\n`,
  'conf/plugins/cjs-in.cjs': `module.exports = ${pluginSource('input', 'cjs-in')};\n`,
  'conf/plugins/cjs-named.cjs': `exports.plugin = ${pluginSource('input', 'cjs-named')};\n`,
  'conf/plugins/old-api.mjs': `export default ${pluginSource('output', 'old', 0)};\n`,
  'conf/plugins/no-api.mjs': `export default ${pluginSource('output', 'none', null)};\n`,
  'conf/plugins/not-plugin.mjs': 'export default 42;\n',
  'conf/plugins/throws.mjs': "throw new Error('boom while loading');\n",
  'conf/plugins/reserved.mjs': `export default ${pluginSource('output', 'reserved', PLUGIN_API_VERSION, ", batch: { type: 'object', default: {}, description: 'd' }")};\n`,
  'conf/plugins/format.mjs': `export default ${pluginSource('output', 'fmt', PLUGIN_API_VERSION, ", url: { type: 'string', format: 'uri', default: 'http://x', description: 'd' }")};\n`,
  'conf/plugins/no-create.mjs': `export default { ...${pluginSource('output', 'nc')}, create: undefined };\n`,
  'conf/plugins/bad-batch-format.mjs': `export default { ...${pluginSource('output', 'bf')}, batchFormat: 'xml' };\n`,
  // A package with ESM `exports` only (no main), scoped.
  'node_modules/@site/ogrt-out/package.json': JSON.stringify({ name: '@site/ogrt-out', type: 'module', exports: { '.': { import: './lib/index.js', require: './lib/missing.cjs' } } }),
  'node_modules/@site/ogrt-out/lib/index.js': `export default ${pluginSource('output', 'site-out')};\n`,
  // A CommonJS package with an extension-less main.
  'node_modules/ogrt-cjs-in/package.json': JSON.stringify({ name: 'ogrt-cjs-in', main: 'main' }),
  'node_modules/ogrt-cjs-in/main.js': `module.exports = ${pluginSource('input', 'pkg-cjs-in')};\n`,
};

let root = '';
let confDir = '';

test.before(async () => {
  root = await tempDir('ogrt-registry-');
  confDir = path.join(root, 'conf');
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

test('built-ins by type and kind', async () => {
  const tcp = fakeInputPlugin('tcp').plugin;
  const file = fakeOutputPlugin('file').plugin;
  const reg = new PluginRegistry([tcp, file]);
  assert.is(plugin(await reg.resolve('input', 'tcp', confDir)), tcp);
  assert.is(plugin(await reg.resolve('output', 'file', confDir)), file);
  assert.equal(reg.types('input'), ['tcp']);
  assert.is(problem(await reg.resolve('input', 'file', confDir)).code, 'OGRT_ERR_CONFIG_UNKNOWN_TYPE');
  assert.throws(() => reg.register(file), /registered twice/);
  assert.throws(() => reg.register({ ...file, apiVersion: 99 } as PluginDefinition), /plugin API version 99/);
});

test('a relative path resolves against the config dir: ESM default export', async () => {
  const def = plugin(await new PluginRegistry().resolve('output', './plugins/esm-out.mjs', confDir));
  assert.is(def.type, 'esm-out');
  assert.is(def.kind, 'output');
});

test('an absolute path; ESM named export `plugin`', async () => {
  const def = plugin(await new PluginRegistry().resolve('output', path.join(confDir, 'plugins/named.mjs'), '/nowhere'));
  assert.is(def.type, 'named-out');
});

test('CommonJS: module.exports and exports.plugin', async () => {
  const reg = new PluginRegistry();
  assert.is(plugin(await reg.resolve('input', './plugins/cjs-in.cjs', confDir)).type, 'cjs-in');
  assert.is(plugin(await reg.resolve('input', './plugins/cjs-named.cjs', confDir)).type, 'cjs-named');
});

test('a package from node_modules above the config dir: scoped ESM with exports, and CommonJS with main', async () => {
  const reg = new PluginRegistry();
  assert.is(plugin(await reg.resolve('output', '@site/ogrt-out', confDir)).type, 'site-out');
  assert.is(plugin(await reg.resolve('input', 'ogrt-cjs-in', confDir)).type, 'pkg-cjs-in');
});

test('a wrong API version names the plugin, its version and the server version', async () => {
  const reg = new PluginRegistry();
  const old = problem(await reg.resolve('output', './plugins/old-api.mjs', confDir));
  assert.is(old.code, 'OGRT_ERR_CONFIG_PLUGIN_API');
  assert.match(old.text, `"./plugins/old-api.mjs" (${path.join(confDir, 'plugins/old-api.mjs')}) | 0 | ${PLUGIN_API_VERSION}`);
  const none = problem(await reg.resolve('output', './plugins/no-api.mjs', confDir));
  assert.is(none.code, 'OGRT_ERR_CONFIG_PLUGIN_API');
});

test('not a plugin, a module that throws, a missing file, a missing create(), core-owned option keys', async () => {
  const reg = new PluginRegistry();
  const cases: [string, RegExp][] = [
    ['./plugins/not-plugin.mjs', /exports no plugin/],
    ['./plugins/throws.mjs', /boom while loading/],
    ['./plugins/missing.mjs', /no such file: .*plugins\/missing\.mjs/],
    ['./plugins/no-create.mjs', /`create` must be a function/],
    ['./plugins/bad-batch-format.mjs', /`batchFormat` is for outputs and must be "records" or "json"/],
    ['./plugins/reserved.mjs', /key\(s\) owned by the core: batch/],
  ];
  for (const [type, pattern] of cases) {
    const p = problem(await reg.resolve('output', type, confDir));
    assert.is(p.code, 'OGRT_ERR_CONFIG_PLUGIN_LOAD', type);
    assert.match(p.text, pattern, type);
  }
});

test('a plugin of the wrong kind is refused', async () => {
  const p = problem(await new PluginRegistry().resolve('input', './plugins/esm-out.mjs', confDir));
  assert.is(p.code, 'OGRT_ERR_CONFIG_PLUGIN_LOAD');
  assert.match(p.text, 'it is an output plugin, not an input plugin');
});

test('an unknown package is an unknown type', async () => {
  const reg = new PluginRegistry([fakeOutputPlugin('file').plugin]);
  const p = problem(await reg.resolve('output', 'ogrt-not-installed', confDir));
  assert.is(p.code, 'OGRT_ERR_CONFIG_UNKNOWN_TYPE');
  assert.match(p.text, 'file');
});

test('site plugins in ogrt.conf: options validated with defaults; load errors reported with their key', async () => {
  const text = `
[inputs.a]
type = "ogrt-cjs-in"
[outputs.b]
type = "./plugins/esm-out.mjs"
greeting = "hello"
[outputs.c]
type = "@site/ogrt-out"
[outputs.d]
type = "./plugins/old-api.mjs"
`;
  const err = (await parseConfig({ file: 'site.conf', dir: confDir, text }, new PluginRegistry()).catch((e: unknown) => e)) as OgrtError;
  const list = err.context.errors as OgrtError[];
  assert.equal(list.map((e) => [e.code, e.context.key, e.context.line]), [['OGRT_ERR_CONFIG_PLUGIN_API', 'outputs.d.type', 10]]);
  assert.match(list[0].message, `site.conf:10: outputs.d.type: plugin "./plugins/old-api.mjs"`);

  const fmt = (await parseConfig({ file: 'f.conf', dir: confDir, text: '[inputs.a]\ntype = "ogrt-cjs-in"\n[outputs.f]\ntype = "./plugins/format.mjs"\n' }, new PluginRegistry()).catch((e: unknown) => e)) as OgrtError;
  const fmtList = fmt.context.errors as OgrtError[];
  assert.equal(fmtList.map((e) => [e.code, e.context.key]), [['OGRT_ERR_CONFIG_PLUGIN_LOAD', 'outputs.f.type']]);
  assert.match(fmtList[0].message, 'its options schema does not compile: unknown format "uri"');

  const ok = await parseConfig({ file: 'site.conf', dir: confDir, text: text.replace(/\[outputs\.d\][^]*$/, '') }, new PluginRegistry());
  assert.equal(ok.outputs.map((o) => [o.id, o.plugin.type, o.options]), [
    ['b', 'esm-out', { greeting: 'hello' }],
    ['c', 'site-out', { greeting: 'hi' }],
  ]);
  assert.is(ok.inputs[0].plugin.type, 'pkg-cjs-in');
});

test.run();
