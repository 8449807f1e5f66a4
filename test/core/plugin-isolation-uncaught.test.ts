/** Placing an uncaught error: a site plugin's (contained) or not (fatal). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UncaughtAttributor, stackFiles, type PluginOrigin } from '../../src/core/plugin-isolation.ts';

const CORE = '/srv/ogrt/dist';

const origin = (id: string, file: string | undefined): PluginOrigin => ({ kind: 'output', type: 't', id, component: `output:t:${id}`, file });

function errorWithStack(...frames: string[]): Error {
  const err = new Error('boom');
  err.stack = ['Error: boom', ...frames.map((f) => `    at ${f}`)].join('\n');
  return err;
}

const attributor = new UncaughtAttributor(
  [
    origin('kafka', '/etc/ogrt/plugins/kafka/index.mjs'),
    origin('hook', '/etc/ogrt/plugins/hook.mjs'),
    origin('other', '/etc/ogrt/plugins/other.mjs'),
    origin('builtin', undefined),
  ],
  CORE,
);

test('stack frames: file URLs, plain paths, node internals; other lines ignored', () => {
  const err = errorWithStack(
    'Timeout.poll [as _onTimeout] (file:///etc/ogrt/plugins/caf%C3%A9.mjs:3:11)',
    '/etc/ogrt/plugins/hook.mjs:10:5',
    'listOnTimeout (node:internal/timers:581:17)',
    'async Promise.all (index 0)',
  );
  assert.equal(stackFiles(err), ['/etc/ogrt/plugins/café.mjs', '/etc/ogrt/plugins/hook.mjs', 'node:internal/timers']);
  assert.equal(stackFiles('not an error'), []);
});

test("a throw in a plugin's own file is that plugin's, past node's own frames", () => {
  const err = errorWithStack('node:internal/process/task_queues:95:5', 'Socket.onData (file:///etc/ogrt/plugins/hook.mjs:40:9)', 'Socket.emit (node:events:519:28)');
  assert.equal(attributor.attribute(err).map((o) => o.id), ['hook']);
});

test("a throw in a helper next to a package plugin's entry file is that plugin's", () => {
  const err = errorWithStack('encode (/etc/ogrt/plugins/kafka/lib/encode.mjs:7:3)', 'Timeout._onTimeout (/etc/ogrt/plugins/kafka/index.mjs:50:1)');
  assert.equal(attributor.attribute(err).map((o) => o.id), ['kafka']);
});

test('a throw in a shared helper of several single-file plugins names all of them', () => {
  const err = errorWithStack('parse (/etc/ogrt/plugins/common.mjs:1:1)');
  assert.equal(attributor.attribute(err).map((o) => o.id).sort(), ['hook', 'other'], 'not kafka: its directory is its own');
});

test("a throw from the server's own code is not a plugin's, even when a plugin called it", () => {
  const err = errorWithStack(`offer (${CORE}/cli.js:1200:3)`, 'Socket.onData (/etc/ogrt/plugins/hook.mjs:40:9)');
  assert.equal(attributor.attribute(err), []);
  assert.equal(attributor.attribute(errorWithStack('somewhere (/usr/lib/node_modules/x/y.js:1:1)')), []);
  assert.equal(attributor.attribute('a string thrown'), []);
});

test('with no site plugin configured nothing is attributed', () => {
  const none = new UncaughtAttributor([origin('builtin', undefined)], CORE);
  assert.equal(none.attribute(errorWithStack('/etc/ogrt/plugins/hook.mjs:1:1')), []);
});

test.run();
