import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, runCli, spawnServer } from '../helpers/server.ts';
import { removeDir, tempDir, writeFiles } from '../helpers/temp.ts';
import { waitFor } from '../helpers/wait.ts';

/** Site plugins the child process loads by path (the real tcp/file plugins are not used here). */
const CHILD_INPUT = `
export default {
  apiVersion: 1,
  kind: 'input',
  type: 'child-in',
  description: 'emits count records when started',
  options: {
    type: 'object',
    properties: {
      count: { type: 'integer', default: 3, description: 'records to emit' },
      fail: { type: 'boolean', default: false, description: 'start() fails' },
    },
    additionalProperties: false,
  },
  create(ctx, options) {
    return {
      async start() {
        if (options.fail) throw new Error('listen EADDRINUSE: address already in use 127.0.0.1:7971');
        const records = [];
        for (let i = 0; i < options.count; i++) {
          records.push({ uuid: '00000000-0000-4000-8000-' + String(i).padStart(12, '0'), kind: 'process',
            time: '2026-11-24T21:40:08.123456Z', hostname: 'node042', pid: i,
            shared_objects: [], loaded_modules: [], environment_variables: [] });
        }
        ctx.emit(records, records.length * 100);
      },
      async stop() {},
      addresses: () => ['127.0.0.1:40312', '/run/ogrt/test.sock'],
    };
  },
};
`;

const CHILD_OUTPUT = `
const fs = require('node:fs');
const path = require('node:path');
module.exports = {
  apiVersion: 1,
  kind: 'output',
  type: 'child-out',
  description: 'appends records as JSON lines',
  options: { type: 'object', properties: { path: { type: 'string', default: 'out.jsonl', description: 'file' } }, additionalProperties: false },
  create(ctx, options) {
    const file = path.resolve(ctx.configDir, options.path);
    return {
      async send(batch) {
        fs.appendFileSync(file, batch.records.map((r) => JSON.stringify(r) + '\\n').join(''));
        return { status: 'ok' };
      },
      reopen() { fs.appendFileSync(file, 'REOPEN\\n'); },
    };
  },
};
`;

const GOOD_CONF = `
[inputs.in]
type = "./plugins/child-in.mjs"
[outputs.out]
type = "./plugins/child-out.cjs"
path = "records.jsonl"
batch = { timeout_ms = 60000 }
`;

const BAD_CONF = `[inputs.in]
type = "./plugins/child-in.mjs"
[outputs.out]
type = "./plugins/child-out.cjs"
batch = { max_events = "many" }
`;

let dir = '';
test.before.each(async () => {
  dir = await tempDir('ogrt-cli-');
  await writeFiles(dir, { 'plugins/child-in.mjs': CHILD_INPUT, 'plugins/child-out.cjs': CHILD_OUTPUT, 'good.conf': GOOD_CONF, 'bad.conf': BAD_CONF });
});
test.after.each(async () => {
  await removeDir(dir);
});

test('--check-config: "ok: FILE" and exit 0; or every error, naming file, line and key, and exit 1', async () => {
  const [good, bad, missing] = await Promise.all([
    runCli(['--check-config', '--config', 'good.conf'], { cwd: dir }),
    runCli(['--check-config', '--config', 'bad.conf'], { cwd: dir }),
    runCli(['--check-config', '--config', 'missing.conf'], { cwd: dir }),
  ]);
  assert.is(good.code, 0, good.stderr);
  assert.is(good.stdout, 'ok: good.conf\n');
  assert.is(bad.code, 1);
  assert.is(bad.stdout, '');
  assert.match(bad.stderr, 'bad.conf: 1 configuration error(s):');
  assert.match(bad.stderr, 'bad.conf:5: outputs.out.batch.max_events: must be an integer (got "many") (OGRT_ERR_CONFIG_INVALID)');
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /^cannot read missing\.conf: ENOENT.*\(OGRT_ERR_CONFIG_READ\)\n$/);
});

test('--version, --help, and a bad option (exit 2)', async () => {
  const version = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version as string;
  const [v, h, bad] = await Promise.all([
    runCli(['--version'], { cwd: dir }),
    runCli(['--help'], { cwd: dir }),
    runCli(['--frobnicate'], { cwd: dir }),
  ]);
  assert.is(v.code, 0);
  assert.is(v.stdout, `ogrt-server ${version} (plugin API 1)\n`);
  assert.is(h.code, 0);
  assert.match(h.stdout, /^Usage: ogrt-server \[--config FILE\] \[--check-config\]/);
  assert.match(h.stdout, '--check-config');
  assert.is(bad.code, 2);
  assert.match(bad.stderr, "ogrt-server: invalid command line: Unknown option '--frobnicate'");
});

test('runs until SIGTERM: one "listening" line per address, SIGHUP reopens outputs, SIGTERM drains and exits 0', async () => {
  const server = spawnServer(['--config', 'good.conf'], { cwd: dir });
  try {
    await server.waitForLog((l) => l.msg === 'ogrt-server started', 15_000, 'start');
    const listening = server.logLines().filter((l) => l.msg === 'listening');
    assert.equal(listening.map((l) => [l.component, l.address]), [
      ['input:child-in:in', '127.0.0.1:40312'],
      ['input:child-in:in', '/run/ogrt/test.sock'],
    ]);
    const out = path.join(dir, 'records.jsonl');
    server.child.kill('SIGHUP');
    await waitFor(async () => (await readFile(out, 'utf8').catch(() => '')).includes('REOPEN'), 10_000, 'reopen');
    server.child.kill('SIGTERM');
    const result = await server.exited;
    assert.is(result.code, 0, result.stderr);
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    assert.is(lines[0], 'REOPEN');
    assert.equal(lines.slice(1).map((l) => (JSON.parse(l) as { pid: number }).pid), [0, 1, 2], 'the partial batch was flushed on SIGTERM');
    const stopped = server.logLines().find((l) => l.msg === 'stopped');
    assert.equal([stopped?.reason, stopped?.unflushed], ['SIGTERM', 0]);
    assert.is(result.stdout, '', 'logs go to stderr only');
  } finally {
    server.child.kill('SIGKILL');
  }
});

test('an invalid configuration or an input that cannot start: a fatal log line and exit 1', async () => {
  await writeFiles(dir, { 'busy.conf': GOOD_CONF.replace('[outputs.out]', 'fail = true\n[outputs.out]') });
  const [invalid, busy] = await Promise.all([
    runCli(['--config', 'bad.conf'], { cwd: dir }),
    runCli(['-c', 'busy.conf'], { cwd: dir }),
  ]);
  assert.is(invalid.code, 1);
  const fatal = invalid.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.level === 'fatal');
  assert.is(fatal?.code, 'OGRT_ERR_CONFIG_ERRORS');
  assert.equal((fatal?.errors as { code: string }[]).map((e) => e.code), ['OGRT_ERR_CONFIG_INVALID']);
  assert.is(busy.code, 1);
  assert.match(busy.stderr, '"code":"OGRT_ERR_INPUT_START"');
  assert.match(busy.stderr, 'input in failed to start: listen EADDRINUSE');
});

test.run();
