// Tests of the drop-system filter: pure, no server needed.
// Run with `node --test` in this folder (needs `ogrt` importable, see README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as ogrt from 'ogrt';
import dropSystemFilter from '../index.mjs';

const plugin = dropSystemFilter(ogrt);
const DEFAULTS = { prefixes: ['/usr/bin/'], keep: [], remember: 100_000 };

function context() {
  const quiet = () => undefined;
  return { id: 'sys', log: { debug: quiet, info: quiet, warn: quiet, error: quiet }, metrics: { increment: quiet, setGauge: quiet }, signal: new AbortController().signal, configDir: process.cwd() };
}

function filter(options = {}) {
  return plugin.create(context(), { ...DEFAULTS, ...options });
}

function record(kind, fields = {}) {
  return { uuid: randomUUID(), kind, time: '2026-11-24T21:40:08.123456Z', hostname: 'node042', pid: 4242, shared_objects: [], loaded_modules: [], environment_variables: [], ...fields };
}

const paths = (records) => records.map((r) => r.binpath);

test('the definition: a filter for the current plugin API; every option has a default and a description', () => {
  assert.equal(plugin.kind, 'filter');
  assert.equal(plugin.apiVersion, ogrt.PLUGIN_API_VERSION);
  for (const [key, schema] of Object.entries(plugin.options.properties)) {
    assert.notEqual(schema.default, undefined, key);
    assert.ok(schema.description, key);
  }
});

test('by default, drops the programs under /usr/bin/ and keeps everything else, in order', () => {
  const records = ['/usr/bin/ls', '/opt/app/bin/solver', '/usr/bin/grep', '/home/alice/a.out', '/usr/bin64/x'].map((binpath) => record('process', { binpath }));
  assert.deepEqual(paths(filter().process(records)), ['/opt/app/bin/solver', '/home/alice/a.out', '/usr/bin64/x']);
});

test('records are passed on as they are (same objects, unchanged)', () => {
  const kept = record('process', { binpath: '/opt/x' });
  const copy = structuredClone(kept);
  const [out] = filter().process([kept]);
  assert.equal(out, kept);
  assert.deepEqual(out, copy);
});

test('configurable prefixes, and exceptions kept under them', () => {
  const f = filter({ prefixes: ['/bin/', '/usr/sbin/', '/usr/bin/'], keep: ['/usr/bin/python3'] });
  const records = ['/bin/sh', '/usr/sbin/ip', '/usr/bin/python3', '/usr/bin/python3.11', '/scratch/run'].map((binpath) => record('process', { binpath }));
  assert.deepEqual(paths(f.process(records)), ['/usr/bin/python3', '/scratch/run']);
});

test("a dropped process's dlopen and exit records are dropped too, even without binpath; others are kept", () => {
  const f = filter();
  const ls = record('process', { binpath: '/usr/bin/ls' });
  const app = record('process', { binpath: '/opt/app' });
  assert.deepEqual(f.process([ls, app]), [app]);
  const later = [
    record('dlopen', { process_uuid: ls.uuid }),
    record('dlopen', { process_uuid: app.uuid }),
    record('exit', { process_uuid: ls.uuid, exit_status: 0 }),
    record('exit', { process_uuid: app.uuid, exit_status: 0 }),
  ];
  assert.deepEqual(f.process(later), [later[1], later[3]]);
  assert.match(f.health().detail, /^0 dropped/, 'forgotten after its exit');
});

test('remember bounds the memory: the oldest dropped processes are forgotten first', () => {
  const f = filter({ remember: 2 });
  const dropped = [1, 2, 3].map(() => record('process', { binpath: '/usr/bin/true' }));
  f.process(dropped);
  const exits = dropped.map((p) => record('exit', { process_uuid: p.uuid }));
  assert.deepEqual(f.process(exits), [exits[0]], 'the first was forgotten and its exit passes');
});

test('records without binpath and raw syslog events pass', () => {
  const raw = { ...record('raw'), syslog: { message: '<13>1 - host app - - - hello' } };
  const bare = record('dlopen', { process_uuid: randomUUID() });
  assert.deepEqual(filter().process([raw, bare]), [raw, bare]);
});

test('an empty batch stays empty', () => {
  assert.deepEqual(filter().process([]), []);
});
