/**
 * Misbehaving site plugins, loaded by path, and what the server does:
 *  - at start (through the real CLI): a wrong apiVersion, an input whose
 *    start() throws, an output whose create() throws → exit status 1 and a
 *    message naming the plugin;
 *  - at run time (in process, real tcp input and file output): filters that
 *    throw, hang or return garbage, an output that throws then returns
 *    garbage, an input that throws from its own timer and leaves a promise
 *    rejection unhandled → contained, named in the log, no record lost.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { encodeRecord, frameOctetCounted } from '../../src/core/wire.ts';
import { PLUGIN_API_VERSION } from '../../src/core/plugin-api.ts';
import type { OgrtRecord } from '../../src/core/record.ts';
import { builtinRegistry } from '../../src/core/builtin-plugins.ts';
import { loadConfig } from '../../src/core/config.ts';
import { startServer, type RunningServer } from '../../src/core/server.ts';
import { makeRecords } from '../helpers/records.ts';
import { captureLogs } from '../helpers/logs.ts';
import { runCli } from '../helpers/server.ts';
import { removeDir, tempDir, writeFiles } from '../helpers/temp.ts';
import { waitFor } from '../helpers/wait.ts';

const OPTIONS = "options: ogrt.Type.Object({}, { additionalProperties: false })";

/** Site plugin files: factory form (ESM or CommonJS), each misbehaving in one way. */
const PLUGINS: Record<string, string> = {
  'site/old-api-filter.mjs': `export default (ogrt) => ogrt.definePlugin({ apiVersion: 0, kind: 'filter', type: 'old', description: 'built for API 0', ${OPTIONS}, create: () => ({ process: (r) => r }) });\n`,
  'site/input-fails-start.mjs': `export default (ogrt) => ogrt.definePlugin({ apiVersion: ogrt.PLUGIN_API_VERSION, kind: 'input', type: 'fragile', description: 'cannot start', ${OPTIONS},
  create: () => ({ start: async () => { throw new Error('EACCES: permission denied, open /dev/ogrt0'); }, stop: async () => {} }) });\n`,
  'site/output-create-throws.cjs': `module.exports = (ogrt) => ogrt.definePlugin({ apiVersion: ogrt.PLUGIN_API_VERSION, kind: 'output', type: 'picky', description: 'refuses', ${OPTIONS},
  create: () => { throw new Error('database password file unreadable'); } });\n`,
  'site/filter-throws.mjs': `export default (ogrt) => ogrt.definePlugin({ apiVersion: ogrt.PLUGIN_API_VERSION, kind: 'filter', type: 'thrower', description: 'throws', ${OPTIONS},
  create: () => ({ process: () => { throw new TypeError("Cannot read properties of undefined (reading 'account')"); } }) });\n`,
  'site/filter-hangs.mjs': `export default (ogrt) => ogrt.definePlugin({ apiVersion: ogrt.PLUGIN_API_VERSION, kind: 'filter', type: 'hanger', description: 'never answers', ${OPTIONS},
  create: () => ({ process: () => new Promise(() => {}) }) });\n`,
  'site/filter-garbage.cjs': `module.exports = (ogrt) => ogrt.definePlugin({ apiVersion: ogrt.PLUGIN_API_VERSION, kind: 'filter', type: 'garbage', description: 'wrong shape', ${OPTIONS},
  create: () => ({ process: (records) => ({ kept: records }) }) });\n`,
  'site/output-flaky.mjs': `export default (ogrt) => ogrt.definePlugin({ apiVersion: ogrt.PLUGIN_API_VERSION, kind: 'output', type: 'flaky', description: 'throws, then garbage, then ok', ${OPTIONS},
  create: () => { let calls = 0; const stored = []; globalThis.__flakyStored = stored;
    return { send: async (batch) => { calls++; if (calls === 1) throw new Error('ECONNRESET'); if (calls === 2) return 'done';
      stored.push(...batch.records.map((r) => r.uuid)); return { status: 'ok' }; } }; } });\n`,
  'site/input-uncaught.mjs': `export default (ogrt) => ogrt.definePlugin({ apiVersion: ogrt.PLUGIN_API_VERSION, kind: 'input', type: 'sloppy', description: 'throws from its own callbacks', ${OPTIONS},
  create: () => ({
    start: async () => {
      setTimeout(function pollDevice() { throw new Error('device vanished'); }, 1);
      Promise.reject(new Error('stray rejection'));
    },
    stop: async () => {},
  }) });\n`,
};

async function siteDir(conf: string): Promise<string> {
  const dir = await tempDir('ogrt-misbehaving-');
  await writeFiles(dir, { ...PLUGINS, 'ogrt.conf': conf });
  return dir;
}

const FILE_OUTPUT = '[outputs.local]\ntype = "file"\npath = "out.jsonl"\nbatch = { timeout_ms = 20 }\n';

/** Runs the CLI on `conf`; returns its exit code and its fatal log line. */
async function cliFailure(conf: string): Promise<{ code: number | null; fatal: Record<string, unknown> }> {
  const dir = await siteDir(conf);
  try {
    const result = await runCli(['--config', path.join(dir, 'ogrt.conf')], { cwd: dir });
    const lines = result.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const fatal = lines.find((l) => l.level === 'fatal');
    if (fatal === undefined) throw new Error(`no fatal line; stderr:\n${result.stderr}`);
    return { code: result.code, fatal };
  } finally {
    await removeDir(dir);
  }
}

test('CLI: a plugin built for another API version is refused at start, naming the plugin, its version and the server version', async () => {
  const { code, fatal } = await cliFailure(`[inputs.direct]\ntype = "tcp"\nlisten = "127.0.0.1:0"\n[filters.old]\ntype = "./site/old-api-filter.mjs"\n${FILE_OUTPUT}`);
  assert.is(code, 1);
  const errors = fatal.errors as { code: string; message: string }[];
  assert.is(errors.length, 1);
  assert.is(errors[0].code, 'OGRT_ERR_CONFIG_PLUGIN_API');
  assert.match(errors[0].message, /ogrt\.conf:5: filters\.old\.type: plugin "\.\/site\/old-api-filter\.mjs" \(.*site\/old-api-filter\.mjs\) was written for plugin API version 0, this server provides 1$/);
  assert.is(PLUGIN_API_VERSION, 1);
});

test('CLI: an input whose start() throws stops the start: exit 1, naming the input', async () => {
  const { code, fatal } = await cliFailure(`[inputs.device]\ntype = "./site/input-fails-start.mjs"\n${FILE_OUTPUT}`);
  assert.is(code, 1);
  assert.is(fatal.code, 'OGRT_ERR_INPUT_START');
  assert.is(fatal.msg, 'cannot start: input device failed to start: EACCES: permission denied, open /dev/ogrt0');
});

test('CLI: an output whose create() throws stops the start: exit 1, naming the output', async () => {
  const { code, fatal } = await cliFailure(`[inputs.direct]\ntype = "tcp"\nlisten = "127.0.0.1:0"\n[outputs.db]\ntype = "./site/output-create-throws.cjs"\n`);
  assert.is(code, 1);
  assert.is(fatal.code, 'OGRT_ERR_PLUGIN_CREATE');
  assert.is(fatal.msg, 'cannot start: output:picky:db: create() failed: database password file unreadable');
});

function send(port: number, records: readonly OgrtRecord[]): Promise<void> {
  const data = frameOctetCounted(records.flatMap((r) => encodeRecord(r)));
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.end(data));
    sock.on('error', reject);
    sock.on('close', () => resolve());
  });
}

async function storedUuids(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as OgrtRecord).uuid);
}

test('run time: filters that throw, hang or return garbage, and an output that throws then returns garbage, lose no record', async () => {
  const dir = await siteDir(`
[inputs.direct]
type = "tcp"
listen = "127.0.0.1:0"
[filters.thrower]
type = "./site/filter-throws.mjs"
[filters.hanger]
type = "./site/filter-hangs.mjs"
timeout_ms = 100
[filters.garbage]
type = "./site/filter-garbage.cjs"
${FILE_OUTPUT}
[outputs.flaky]
type = "./site/output-flaky.mjs"
batch = { timeout_ms = 20 }
retry = { initial_backoff_ms = 5, max_backoff_ms = 10 }
`);
  const logs = captureLogs();
  let server: RunningServer | undefined;
  try {
    const config = await loadConfig({ configPath: path.join(dir, 'ogrt.conf'), registry: builtinRegistry() });
    server = await startServer({ config, logger: logs.logger });
    const port = Number(server.inputs[0].addresses[0].split(':').pop());
    const records = makeRecords(4);
    await send(port, records);
    const want = records.map((r) => r.uuid);
    await waitFor(async () => (await storedUuids(path.join(dir, 'out.jsonl'))).length === 4, 5000, 'records in the file');
    assert.equal((await storedUuids(path.join(dir, 'out.jsonl'))).sort(), [...want].sort());
    const flaky = (): string[] => (globalThis as { __flakyStored?: string[] }).__flakyStored ?? [];
    await waitFor(() => flaky().length === 4, 5000, 'records at the flaky output');
    assert.equal([...flaky()].sort(), [...want].sort());

    const failed = logs.withCode('OGRT_ERR_FILTER_FAILED');
    assert.equal(failed.map((l) => [l.component, l.error_type]), [
      ['filter:thrower:thrower', 'process_failed'],
      ['filter:hanger:hanger', 'process_timeout'],
      ['filter:garbage:garbage', 'invalid_result'],
    ]);
    assert.match(failed[0].msg!, "process() threw: Cannot read properties of undefined (reading 'account')");
    assert.is(logs.withCode('OGRT_ERR_OUTPUT_SEND', { component: 'output:flaky:flaky' }).length, 1);
    assert.is(logs.withCode('OGRT_ERR_PLUGIN_CONTRACT', { component: 'output:flaky:flaky' }).length, 1);
    const m = server.metrics;
    assert.is(m.value('ogrt_component_errors_total', { component_kind: 'filter', stage: 'processing' }), 3);
    assert.is(m.value('ogrt_component_sent_events_total', { component_id: 'local' }), 4);
  } finally {
    await server?.stop('test done');
    delete (globalThis as { __flakyStored?: string[] }).__flakyStored;
    await removeDir(dir);
  }
});

test('run time: an input that throws from its own timer and leaves a rejection unhandled is named, counted, and the server goes on', async () => {
  const dir = await siteDir(`
[inputs.sloppy]
type = "./site/input-uncaught.mjs"
[inputs.direct]
type = "tcp"
listen = "127.0.0.1:0"
${FILE_OUTPUT}`);
  const logs = captureLogs();
  let server: RunningServer | undefined;
  const verdicts: [string, boolean][] = [];
  // What src/core/cli.ts does with the process-level events.
  const onException = (err: Error): void => void verdicts.push([err.message, server?.containUncaught(err, 'uncaughtException') ?? false]);
  const onRejection = (err: Error): void => void verdicts.push([err.message, server?.containUncaught(err, 'unhandledRejection') ?? false]);
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  try {
    const config = await loadConfig({ configPath: path.join(dir, 'ogrt.conf'), registry: builtinRegistry() });
    server = await startServer({ config, logger: logs.logger });
    await waitFor(() => verdicts.length === 2, 5000, 'both errors reached the process handlers');
    assert.equal(verdicts.sort(), [['device vanished', true], ['stray rejection', true]]);
    const logged = logs.withCode('OGRT_ERR_PLUGIN_UNCAUGHT');
    assert.equal(logged.map((l) => [l.component, l.origin]).sort(), [['input:sloppy:sloppy', 'uncaughtException'], ['input:sloppy:sloppy', 'unhandledRejection']]);
    assert.is(server.metrics.value('ogrt_component_errors_total', { component_id: 'sloppy', error_type: 'uncaught', stage: 'running' }), 2);

    // Not a plugin's error: not contained (the CLI would exit).
    assert.is(server.containUncaught(new Error('a bug in the server'), 'uncaughtException'), false);

    const port = Number(server.inputs.find((i) => i.id === 'direct')!.addresses[0].split(':').pop());
    const records = makeRecords(2);
    await send(port, records);
    await waitFor(async () => (await storedUuids(path.join(dir, 'out.jsonl'))).length === 2, 5000, 'records stored after the errors');
  } finally {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
    await server?.stop('test done');
    await removeDir(dir);
  }
});

test.run();
