/**
 * Records emitted by a site-written input are checked against the record
 * schema in the pipeline (site-input-check.ts): invalid ones are counted on
 * the input, logged (rate-limited) naming the plugin, written to every
 * output's dead-letter file and never offered to an output; valid ones go
 * on. Built-in inputs are not checked.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Pipeline } from '../../src/core/pipeline.ts';
import { MetricsRegistry } from '../../src/core/metrics.ts';
import { LOG_BURST } from '../../src/core/ingest/log-limiter.ts';
import type { OutputRunner } from '../../src/core/output-runner.ts';
import type { OgrtRecord } from '../../src/core/record.ts';
import { captureLogs } from '../helpers/logs.ts';
import { makeRecord } from '../helpers/records.ts';
import { removeDir, tempDir } from '../helpers/temp.ts';
import { waitFor } from '../helpers/wait.ts';

const PLUGIN_FILE = '/etc/ogrt/plugins/relay.mjs';
const INPUT = { component_kind: 'input', component_type: 'relay', component_id: 'kafka' };

/** What the pipeline uses of an output: its name, dead-letter path, retry backoff and queue. */
function output(id: string, deadLetterPath: string) {
  const offered: OgrtRecord[] = [];
  const runner = {
    config: { id, settings: { dead_letter_path: deadLetterPath, retry: { initial_backoff_ms: 5, max_backoff_ms: 20, max_attempts: 0 } } },
    queue: {
      offer(records: readonly OgrtRecord[]) {
        offered.push(...records);
        return undefined;
      },
    },
    abort: () => 0,
    drain: async () => undefined,
  };
  return { runner: runner as unknown as OutputRunner, offered };
}

/** `siteFile`: where the input's plugin was loaded from; null for a built-in. */
async function setup(siteFile: string | null = PLUGIN_FILE) {
  const dir = await tempDir('ogrt-site-input-');
  const a = output('local', path.join(dir, 'dead-letter/local.jsonl'));
  const b = output('es', path.join(dir, 'dead-letter/es.jsonl'));
  const logs = captureLogs();
  const metrics = new MetricsRegistry();
  const pipeline = new Pipeline([a.runner, b.runner], logs.logger, metrics);
  const emit = pipeline.emitter('kafka', 'relay', siteFile ?? undefined);
  const count = (name: string, labels: Record<string, string> = {}): number => metrics.counter(name).get({ ...INPUT, ...labels }).value;
  const deadLetters = async (file: string) =>
    (await readFile(path.join(dir, 'dead-letter', file), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { output: string; reason: string; record: { uuid: string } });
  return { dir, a, b, logs, emit, count, deadLetters, close: () => removeDir(dir) };
}

const invalidRecords = (): OgrtRecord[] => [
  makeRecord({ pid: 'forty-two' as unknown as number }),
  { ...makeRecord(), cluster: 'hpc1' } as unknown as OgrtRecord,
];

test('a site input: invalid records are dead-lettered for every output, counted, logged naming the plugin; valid ones go on', async () => {
  const s = await setup();
  try {
    const good = [makeRecord(), makeRecord()];
    const [badPid, extraField] = invalidRecords();
    const wait = s.emit([good[0], badPid, good[1], extraField], 400);
    assert.ok(wait instanceof Promise, 'emit() holds the input back until the dead letters are written');
    await wait;

    for (const o of [s.a, s.b]) assert.equal(o.offered.map((r) => r.uuid), good.map((r) => r.uuid), 'only valid records reach an output');
    assert.is(s.count('component_errors_total', { error_type: 'invalid_record', stage: 'receiving' }), 2);
    assert.is(s.count('component_sent_events_total'), 2);
    assert.is(s.count('component_sent_event_bytes_total'), 200, 'wire bytes of the valid records (their share)');

    for (const [file, id] of [['local.jsonl', 'local'], ['es.jsonl', 'es']]) {
      const lines = await s.deadLetters(file);
      assert.equal(lines.map((l) => l.record.uuid), [badPid.uuid, extraField.uuid], file);
      assert.ok(lines.every((l) => l.output === id));
      assert.match(lines[0].reason, `input input:relay:kafka (${PLUGIN_FILE}) emitted an invalid record: records[1].pid: must be integer`);
      assert.match(lines[1].reason, 'records[3]: must NOT have additional properties (cluster)');
    }

    const logged = s.logs.withCode('OGRT_ERR_PLUGIN_CONTRACT');
    assert.is(logged.length, 1);
    assert.is(logged[0].component, 'input:relay:kafka');
    assert.is(logged[0].plugin, PLUGIN_FILE);
    assert.is(logged[0].records, 2);
    assert.match(String(logged[0].msg), 'plugin input:relay:kafka broke its contract');
  } finally {
    await s.close();
  }
});

test('a site input with only valid records: the same array goes on, no wait, no dead letters', async () => {
  const s = await setup();
  try {
    const good = [makeRecord(), makeRecord()];
    assert.is(s.emit(good, 100), undefined);
    assert.equal(s.a.offered, good);
    assert.is(s.count('component_errors_total', { error_type: 'invalid_record', stage: 'receiving' }), 0);
    assert.not.ok(existsSync(path.join(s.dir, 'dead-letter')));
    assert.equal(s.logs.withCode('OGRT_ERR_PLUGIN_CONTRACT'), []);
  } finally {
    await s.close();
  }
});

test('a site input that emits something other than an array: counted and logged, nothing passed on, nothing thrown', async () => {
  const s = await setup();
  try {
    assert.is(s.emit({ uuid: 'x' } as unknown as OgrtRecord[], 10), undefined);
    assert.equal(s.a.offered, []);
    assert.is(s.count('component_errors_total', { error_type: 'invalid_record', stage: 'receiving' }), 1);
    assert.match(String(s.logs.withCode('OGRT_ERR_PLUGIN_CONTRACT')[0]?.msg), 'emit() was given object, not an array of records');
  } finally {
    await s.close();
  }
});

test('a site input that keeps emitting invalid records: every one counted, the log rate-limited', async () => {
  const s = await setup();
  try {
    const batches = LOG_BURST * 4;
    for (let i = 0; i < batches; i++) await s.emit([invalidRecords()[0]], 10);
    assert.is(s.count('component_errors_total', { error_type: 'invalid_record', stage: 'receiving' }), batches);
    assert.is(s.logs.withCode('OGRT_ERR_PLUGIN_CONTRACT').length, LOG_BURST);
    assert.is((await s.deadLetters('local.jsonl')).length, batches);
  } finally {
    await s.close();
  }
});

test('a dead-letter file that cannot be written: logged, counted, retried with backoff; the input waits until it is written', async () => {
  const s = await setup();
  try {
    await writeFile(path.join(s.dir, 'dead-letter'), 'a file where the directory should be');
    let settled = false;
    const wait = s.emit([invalidRecords()[0]], 10)!.then(() => (settled = true));
    await waitFor(() => s.count('component_errors_total', { error_type: 'dead_letter_write_failed', stage: 'receiving' }) >= 2, 5_000, 'retried writes');
    assert.ok(s.logs.withCode('OGRT_ERR_DEAD_LETTER_WRITE').length >= 2);
    assert.is(settled, false, 'the input is held back while the dead letters are not written');
    await rm(path.join(s.dir, 'dead-letter'));
    await wait;
    assert.is((await s.deadLetters('local.jsonl')).length, 1);
    assert.is((await s.deadLetters('es.jsonl')).length, 1);
  } finally {
    await s.close();
  }
});

test('a built-in input (no plugin file) is not checked: the hot path stays as it is', async () => {
  const s = await setup(null);
  try {
    const records = invalidRecords();
    assert.is(s.emit(records, 10), undefined);
    assert.equal(s.a.offered, records);
    assert.is(s.count('component_errors_total', { error_type: 'invalid_record', stage: 'receiving' }), 0);
  } finally {
    await s.close();
  }
});

test.run();
