import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findConfig } from '../../src/core/config-source.ts';
import { EMBEDDED_CONFIG, EMBEDDED_CONFIG_NAME } from '../../src/core/config-default.ts';
import { loadConfig } from '../../src/core/config.ts';
import { PluginRegistry } from '../../src/core/registry.ts';
import { OgrtError } from '../../src/core/errors.ts';
import { withTempDir, writeFiles } from '../helpers/temp.ts';
import { REPO_ROOT } from '../helpers/server.ts';
import { PLUGIN_API_VERSION, Type, definePlugin } from '../../src/core/plugin-api.ts';

test('the embedded default is the repository ogrt.conf', () => {
  assert.is(EMBEDDED_CONFIG, readFileSync(path.join(REPO_ROOT, 'ogrt.conf'), 'utf8'));
});

test('lookup: --config, then ./ogrt.conf, then the system file, then the embedded default', async () => {
  await withTempDir(async (dir) => {
    const cwd = path.join(dir, 'cwd');
    const system = path.join(dir, 'etc/ogrt.conf');
    await writeFiles(dir, { 'cwd/keep': '', 'explicit/x.conf': 'explicit' });

    const embedded = findConfig({ cwd, systemPath: system });
    assert.is(embedded.file, EMBEDDED_CONFIG_NAME);
    assert.is(embedded.path, undefined);
    assert.is(embedded.dir, cwd, 'relative paths of the default resolve against the cwd');
    assert.is(embedded.text, EMBEDDED_CONFIG);

    await writeFiles(dir, { 'etc/ogrt.conf': 'system' });
    const sys = findConfig({ cwd, systemPath: system });
    assert.equal([sys.text, sys.path, sys.dir], ['system', system, path.dirname(system)]);

    await writeFiles(dir, { 'cwd/ogrt.conf': 'local' });
    const local = findConfig({ cwd, systemPath: system });
    assert.equal([local.text, local.dir], ['local', cwd]);

    const explicit = findConfig({ cwd, systemPath: system, configPath: '../explicit/x.conf' });
    assert.equal([explicit.text, explicit.file, explicit.dir], ['explicit', '../explicit/x.conf', path.join(dir, 'explicit')]);
  });
});

test('a missing --config file is an error naming it', async () => {
  await withTempDir(async (dir) => {
    try {
      findConfig({ cwd: dir, configPath: 'nope.conf' });
      assert.unreachable('must fail');
    } catch (err) {
      assert.instance(err, OgrtError);
      assert.is((err as OgrtError).code, 'OGRT_ERR_CONFIG_READ');
      assert.match((err as OgrtError).message, /^cannot read nope\.conf: ENOENT/);
    }
  });
});

test('the embedded default is valid for plugins with the options it uses (tcp: listen, file: path, sqlite: path)', async () => {
  const option = (name: string) => Type.Object({ [name]: Type.String({ default: '', description: name }) }, { additionalProperties: false });
  const tcp = definePlugin({ apiVersion: PLUGIN_API_VERSION, kind: 'input', type: 'tcp', description: 'stand-in', options: option('listen'), create: () => ({ start: async () => {}, stop: async () => {} }) });
  const file = definePlugin({ apiVersion: PLUGIN_API_VERSION, kind: 'output', type: 'file', description: 'stand-in', options: option('path'), create: () => ({ send: async () => ({ status: 'ok' as const }) }) });
  const sqlite = definePlugin({ apiVersion: PLUGIN_API_VERSION, kind: 'output', type: 'sqlite', description: 'stand-in', options: option('path'), create: () => ({ send: async () => ({ status: 'ok' as const }) }) });
  await withTempDir(async (dir) => {
    const config = await loadConfig({ cwd: dir, systemPath: path.join(dir, 'none'), registry: new PluginRegistry([tcp, file, sqlite]) });
    assert.is(config.source.file, EMBEDDED_CONFIG_NAME);
    assert.equal(config.inputs[0].options, { listen: '127.0.0.1:7971' });
    assert.equal(config.outputs[0].options, { path: 'data/ogrt-%Y-%m-%d.jsonl' });
    assert.equal(config.outputs[1].options, { path: 'data/ogrt.db' });
    assert.is(config.dashboard?.listen, '127.0.0.1:8080');
    assert.is(config.server.data_dir, path.join(dir, 'data'));
  });
});

test.run();
