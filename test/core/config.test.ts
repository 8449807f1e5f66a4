import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { parseConfig, type OgrtConfig } from '../../src/core/config.ts';
import { PluginRegistry } from '../../src/core/registry.ts';
import { OgrtError } from '../../src/core/errors.ts';
import { PLUGIN_API_VERSION, Type, definePlugin } from '../../src/core/plugin-api.ts';
import { fakeInputPlugin, fakeOutputPlugin } from '../helpers/fake-plugins.ts';

const DIR = '/srv/ogrt';
const registry = new PluginRegistry([fakeInputPlugin('tcp').plugin, fakeOutputPlugin('file').plugin, fakeOutputPlugin('elasticsearch').plugin]);

const VALID = `
[inputs.direct]
type = "tcp"

[outputs.local]
type = "file"
`;

function parse(text: string): Promise<OgrtConfig> {
  return parseConfig({ file: 'test.conf', path: path.join(DIR, 'test.conf'), dir: DIR, text }, registry);
}

/** The individual problems of a config that must fail. */
async function problems(text: string): Promise<OgrtError[]> {
  try {
    await parse(text);
  } catch (err) {
    assert.instance(err, OgrtError);
    const e = err as OgrtError;
    assert.is(e.code, 'OGRT_ERR_CONFIG_ERRORS', e.message);
    return e.context.errors as OgrtError[];
  }
  throw new Error('expected the configuration to be rejected');
}

async function only(text: string): Promise<OgrtError> {
  const list = await problems(text);
  assert.is(list.length, 1, list.map((e) => e.message).join('\n'));
  return list[0];
}

test('a minimal config gets every default', async () => {
  const config = await parse(VALID);
  assert.equal(config.server, { shutdown_timeout_ms: 10000, log_level: 'info', data_dir: '/srv/ogrt/data' });
  assert.is(config.inputs.length, 1);
  assert.is(config.inputs[0].id, 'direct');
  assert.is(config.inputs[0].type, 'tcp');
  assert.equal(config.inputs[0].options, { address: '', fail_start: false });
  const out = config.outputs[0];
  assert.equal(out.settings, {
    batch: { max_events: 500, max_bytes: 1048576, timeout_ms: 1000 },
    buffer: { type: 'memory', max_events: 2000, max_bytes: 16777216, when_full: 'block' },
    retry: { initial_backoff_ms: 200, max_backoff_ms: 30000, max_attempts: 0 },
    dead_letter_path: '/srv/ogrt/data/dead-letter/local.jsonl',
    concurrency: 1,
    send_timeout_ms: 60000,
  });
  assert.equal(out.options, { label: '' }, 'shared keys are not passed to the plugin');
  assert.ok(Object.isFrozen(config) && Object.isFrozen(out.settings.batch));
});

test('shared output keys are read; when_full shorthand sets buffer.when_full; paths resolve against the config dir', async () => {
  const config = await parse(`
[server]
data_dir = "/var/lib/ogrt"
[inputs.direct]
type = "tcp"
[outputs.local]
type = "file"
label = "x"
when_full = "drop_newest"
batch = { max_events = 10, timeout_ms = 5 }
buffer.max_events = 100
retry = { max_attempts = 3 }
concurrency = 4
send_timeout_ms = 500
dead_letter_path = "dl/local.jsonl"
[outputs.other]
type = "elasticsearch"
`);
  const [local, other] = config.outputs;
  assert.is(local.settings.buffer.when_full, 'drop_newest');
  assert.is(local.settings.buffer.max_events, 100);
  assert.is(local.settings.batch.max_events, 10);
  assert.is(local.settings.batch.max_bytes, 1048576);
  assert.is(local.settings.retry.max_attempts, 3);
  assert.is(local.settings.concurrency, 4);
  assert.is(local.settings.send_timeout_ms, 500);
  assert.is(local.settings.dead_letter_path, '/srv/ogrt/dl/local.jsonl');
  assert.equal(local.options, { label: 'x' });
  assert.is(other.settings.dead_letter_path, '/var/lib/ogrt/dead-letter/other.jsonl');
});

test('TOML syntax error names file, line and column', async () => {
  try {
    await parse('[inputs.direct]\ntype = "tcp"\nlisten = \n');
    assert.unreachable('must fail');
  } catch (err) {
    const e = err as OgrtError;
    assert.is(e.code, 'OGRT_ERR_CONFIG_SYNTAX');
    assert.is(e.context.line, 3);
    assert.match(e.message, /^test\.conf:3:\d+: TOML syntax error: /);
  }
});

test('unknown key at the top level (a misspelt [dashboard])', async () => {
  const e = await only(`${VALID}\n[dashbord]\nport = 1\n`);
  assert.is(e.code, 'OGRT_ERR_CONFIG_UNKNOWN_KEY');
  assert.is(e.context.key, 'dashbord');
  assert.is(e.context.line, 8);
  assert.match(e.message, /allowed here: server, inputs, .*\bdashboard\b/);
});

test('unknown key in [server]', async () => {
  const e = await only(`[server]\nlog_level = "info"\nloglevel = "debug"\n${VALID}`);
  assert.is(e.code, 'OGRT_ERR_CONFIG_UNKNOWN_KEY');
  assert.is(e.context.key, 'server.loglevel');
  assert.is(e.context.line, 3);
  assert.match(e.message, 'test.conf:3: server.loglevel: unknown key; allowed here: shutdown_timeout_ms, log_level, data_dir');
});

test('unknown key in an input (plugin options)', async () => {
  const e = await only('[inputs.direct]\ntype = "tcp"\nlisen = "x"\n[outputs.local]\ntype = "file"\n');
  assert.is(e.context.key, 'inputs.direct.lisen');
  assert.is(e.context.line, 3);
  assert.match(e.message, /allowed here: address, fail_start, type$/);
});

test('unknown key in an output, at the table and inside shared tables', async () => {
  const list = await problems(`[inputs.direct]
type = "tcp"
[outputs.local]
type = "file"
bogus = 1
batch = { max_event = 5 }
[outputs.local.retry]
max_attemps = 2
`);
  const byKey = Object.fromEntries(list.map((e) => [e.context.key as string, e]));
  assert.equal(Object.keys(byKey).sort(), ['outputs.local.batch.max_event', 'outputs.local.bogus', 'outputs.local.retry.max_attemps']);
  assert.is(byKey['outputs.local.bogus'].context.line, 5);
  assert.match(byKey['outputs.local.bogus'].message, 'allowed here: label, type, batch, buffer, when_full, retry, dead_letter_path, concurrency, send_timeout_ms');
  assert.is(byKey['outputs.local.batch.max_event'].context.line, 6);
  assert.match(byKey['outputs.local.batch.max_event'].message, 'allowed here: max_events, max_bytes, timeout_ms');
  assert.is(byKey['outputs.local.retry.max_attemps'].context.line, 8);
  for (const e of list) assert.is(e.code, 'OGRT_ERR_CONFIG_UNKNOWN_KEY');
});

test('wrong types say what was expected and what was found, without coercion', async () => {
  const list = await problems(`[server]
shutdown_timeout_ms = "10000"
[inputs.direct]
type = "tcp"
fail_start = "yes"
[outputs.local]
type = "file"
batch = { max_events = 0 }
concurrency = 1.5
`);
  const byKey = Object.fromEntries(list.map((e) => [e.context.key as string, e.message]));
  assert.match(byKey['server.shutdown_timeout_ms'], 'test.conf:2: server.shutdown_timeout_ms: must be an integer (got "10000")');
  assert.match(byKey['inputs.direct.fail_start'], 'must be a boolean (got "yes")');
  assert.match(byKey['outputs.local.batch.max_events'], 'test.conf:8: outputs.local.batch.max_events: must be >= 1 (got 0)');
  assert.match(byKey['outputs.local.concurrency'], 'must be an integer (got 1.5)');
  assert.is(list.length, 4);
});

test('missing type lists the known types', async () => {
  const e = await only('[inputs.direct]\nlisten = "x"\n[outputs.local]\ntype = "file"\n');
  assert.is(e.code, 'OGRT_ERR_CONFIG_MISSING_TYPE');
  assert.is(e.context.key, 'inputs.direct');
  assert.is(e.context.line, 1);
  assert.match(e.message, 'known input types: tcp');
});

test('unknown type lists the known types of that kind', async () => {
  const e = await only('[inputs.direct]\ntype = "tcp"\n[outputs.local]\ntype = "fiel"\n');
  assert.is(e.code, 'OGRT_ERR_CONFIG_UNKNOWN_TYPE');
  assert.is(e.context.key, 'outputs.local.type');
  assert.is(e.context.line, 4);
  assert.match(e.message, 'unknown output type "fiel"; known output types: elasticsearch, file');
});

test('bad when_full, and when_full conflicting with buffer.when_full', async () => {
  const bad = await only(`${VALID}when_full = "drop_oldest"\n`);
  assert.is(bad.context.key, 'outputs.local.when_full');
  assert.match(bad.message, 'must be one of "block", "drop_newest" (got "drop_oldest")');

  const conflict = await only(`${VALID}when_full = "drop_newest"\nbuffer = { when_full = "block" }\n`);
  assert.is(conflict.context.key, 'outputs.local.when_full');
  assert.match(conflict.message, 'conflicts with buffer.when_full = "block"');

  const same = await parse(`${VALID}when_full = "drop_newest"\nbuffer = { when_full = "drop_newest" }\n`);
  assert.is(same.outputs[0].settings.buffer.when_full, 'drop_newest');
});

test('a disk buffer gets its own defaults (more disk buffer keys: disk-buffer-config.test.ts)', async () => {
  const config = await parse(`${VALID}[outputs.local.buffer]\ntype = "disk"\n`);
  assert.equal(config.outputs[0].settings.buffer, {
    type: 'disk',
    path: '/srv/ogrt/data/buffer/local',
    max_events: 1_000_000,
    max_bytes: 1_073_741_824,
    when_full: 'block',
    fsync: 'batch',
    fsync_interval_ms: 1000,
  });
});

test('every problem is reported at once, in file order', async () => {
  try {
    await parse(`[server]
log_level = "loud"
[inputs.a]
listen = 1
[inputs.b]
type = "tcp"
extra = true
[outputs.c]
type = "nope"
[outputs.d]
type = "file"
buffer = { type = "tape", when_full = "never" }
[outputs.e]
concurrency = 0
[dashboard]
port = 1
`);
    assert.unreachable('must fail');
  } catch (err) {
    const e = err as OgrtError;
    assert.is(e.code, 'OGRT_ERR_CONFIG_ERRORS');
    const list = e.context.errors as OgrtError[];
    assert.equal(
      list.map((p) => [p.code, p.context.key]),
      [
        ['OGRT_ERR_CONFIG_INVALID', 'server.log_level'],
        ['OGRT_ERR_CONFIG_MISSING_TYPE', 'inputs.a'],
        ['OGRT_ERR_CONFIG_UNKNOWN_KEY', 'inputs.b.extra'],
        ['OGRT_ERR_CONFIG_UNKNOWN_TYPE', 'outputs.c.type'],
        ['OGRT_ERR_CONFIG_INVALID', 'outputs.d.buffer.type'],
        ['OGRT_ERR_CONFIG_INVALID', 'outputs.d.buffer.when_full'],
        ['OGRT_ERR_CONFIG_MISSING_TYPE', 'outputs.e'],
        ['OGRT_ERR_CONFIG_INVALID', 'outputs.e.concurrency'],
        ['OGRT_ERR_CONFIG_UNKNOWN_KEY', 'dashboard.port'],
      ],
    );
    assert.match(e.message, /^test\.conf: 9 configuration error\(s\):\n {2}test\.conf:2: server\.log_level: /);
  }
});

test('inputs and outputs are required; instance names are checked', async () => {
  const list = await problems('[server]\n');
  assert.equal(list.map((e) => e.context.key), ['inputs', 'outputs']);
  assert.match(list[1].message, 'at least one [outputs.NAME] table is required');

  const bad = await only(`[inputs."my input"]\ntype = "tcp"\n[outputs.local]\ntype = "file"\n`);
  assert.is(bad.context.key, 'inputs."my input"');
  assert.is(bad.context.line, 1);
  assert.match(bad.message, 'instance names are');

  const notTable = await only(`inputs = 3\n[outputs.local]\ntype = "file"\n`);
  assert.is(notTable.context.key, 'inputs');
  assert.match(notTable.message, 'must be a table of [inputs.NAME] tables');
});

test('values of secret-looking keys are not echoed in errors', async () => {
  const secretive = definePlugin({
    apiVersion: PLUGIN_API_VERSION,
    kind: 'output',
    type: 'secretive',
    description: 'has secrets',
    options: Type.Object(
      {
        api_key: Type.String({ default: '', description: 'secret' }),
        password: Type.String({ default: 'a', pattern: '^[a-z]+$', description: 'secret' }),
      },
      { additionalProperties: false },
    ),
    create: () => ({ send: async () => ({ status: 'ok' as const }) }),
  });
  const reg = new PluginRegistry([fakeInputPlugin('tcp').plugin, secretive]);
  const text = '[inputs.direct]\ntype = "tcp"\n[outputs.s]\ntype = "secretive"\napi_key = 123456789\npassword = "Hunter2"\n';
  const err = (await parseConfig({ file: 't.conf', dir: DIR, text }, reg).catch((e: unknown) => e)) as OgrtError;
  assert.is(err.code, 'OGRT_ERR_CONFIG_ERRORS');
  assert.is((err.context.errors as OgrtError[]).length, 2);
  assert.match(err.message, 'outputs.s.api_key: must be a string (got a hidden value)');
  assert.match(err.message, 'outputs.s.password: ');
  assert.not.match(err.message, '123456789');
  assert.not.match(err.message, 'Hunter2');
});

test.run();
