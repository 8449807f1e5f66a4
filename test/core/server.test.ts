import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fakeSetup, startTestServer, type TestServer } from '../helpers/server.ts';
import { makeRecords } from '../helpers/records.ts';
import { waitFor } from '../helpers/wait.ts';
import { OgrtError } from '../../src/core/errors.ts';
import { PLUGIN_API_VERSION, Type, definePlugin } from '../../src/core/plugin-api.ts';

let running: TestServer | undefined;

interface DeadLetterLine {
  output: string;
  reason: string;
  record: { uuid: string };
}

/** The dead-letter file of output `id` under the default data_dir, without the `time` field; [] when there is none. */
async function deadLetterLines(t: TestServer, id: string): Promise<DeadLetterLine[]> {
  const text = await readFile(path.join(t.dir, 'data/dead-letter', `${id}.jsonl`), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '').map((l) => {
    const { time, ...rest } = JSON.parse(l) as DeadLetterLine & { time: string };
    assert.match(time, /^\d{4}-\d\d-\d\dT/);
    return rest;
  });
}
test.after.each(async () => {
  await running?.close();
  running = undefined;
});

test('outputs start before inputs; inputs stop before outputs; bound addresses are reported and logged', async () => {
  const f = fakeSetup();
  running = await f.start(`
[inputs.a]
type = "fake-in"
address = "127.0.0.1:40001"
[inputs.b]
type = "fake-in"
[outputs.out]
type = "fake-out"
`);
  assert.equal(f.timeline, ['output:out:start', 'input:a:start', 'input:b:start']);
  assert.equal(running.server.inputs, [
    { id: 'a', type: 'fake-in', addresses: ['127.0.0.1:40001'] },
    { id: 'b', type: 'fake-in', addresses: [] },
  ]);
  const listening = running.logs.matching(/^listening$/);
  assert.equal(listening.map((l) => [l.component, l.address]), [['input:fake-in:a', '127.0.0.1:40001']]);
  await running.server.stop('test');
  assert.equal(f.timeline.slice(3), ['input:a:stop', 'input:b:stop', 'output:out:stop']);
});

test('plugin contexts: id, configDir, component logger, labelled metrics; the inputs signal aborts when shutdown begins', async () => {
  const f = fakeSetup();
  running = await f.start('[inputs.in]\ntype = "fake-in"\n[outputs.out]\ntype = "fake-out"\n');
  const input = f.in('in');
  const output = f.out('out');
  assert.is(input.ctx.id, 'in');
  assert.is(input.ctx.configDir, running.dir);
  assert.is(output.ctx!.configDir, running.dir);
  input.ctx.log.warn({ peer: '10.0.0.1:5000', token: 'abc' }, 'frame too large');
  const line = running.logs.matching(/^frame too large$/)[0];
  assert.is(line.component, 'input:fake-in:in');
  assert.is(line.token, '[redacted]');
  input.ctx.metrics.increment('component_errors_total', 2, { error_type: 'malformed_frame', stage: 'receiving' });
  assert.is(
    running.server.metrics.value('ogrt_component_errors_total', { component_kind: 'input', component_type: 'fake-in', component_id: 'in', error_type: 'malformed_frame' }),
    2,
  );
  let abortedDuringStop: [boolean, boolean] | undefined;
  input.onStop = () => {
    abortedDuringStop = [input.ctx.signal.aborted, output.ctx!.signal.aborted];
  };
  await running.server.stop('test');
  assert.equal(abortedDuringStop, [true, false], 'outputs keep their signal until drained');
  assert.is(output.ctx!.signal.aborted, true);
});

test('graceful stop drains every queue: partial batches and records emitted while inputs stop are all flushed', async () => {
  const f = fakeSetup();
  running = await f.start(`[inputs.in]
type = "fake-in"
[outputs.a]
type = "fake-out"
batch = { max_events = 10, timeout_ms = 60000 }
[outputs.b]
type = "fake-out"
batch = { timeout_ms = 60000 }
`);
  const records = makeRecords(25);
  const last = makeRecords(5);
  f.in('in').emit(records);
  f.in('in').onStop = async () => {
    await f.in('in').emit(last);
  };
  let storedWhenStopped = -1;
  const stopA = f.timeline.length;
  const report = await running.server.stop('SIGTERM');
  storedWhenStopped = f.out('a').stored.length;
  const all = [...records, ...last].map((r) => r.uuid);
  assert.equal(f.out('a').stored, all);
  assert.equal(f.out('b').stored, all);
  assert.is(storedWhenStopped, 30);
  assert.equal(report, { reason: 'SIGTERM', timedOut: false, unflushed: { a: 0, b: 0 } });
  assert.equal(f.timeline.slice(stopA), ['input:in:stop', 'output:a:stop', 'output:b:stop']);
  assert.is(running.logs.withCode('OGRT_ERR_SHUTDOWN_TIMEOUT').length, 0);
  assert.is(running.server.stop('again'), running.server.stop('and again'), 'stop() is idempotent');
});

test('past shutdown_timeout_ms the unflushed records are reported per output, written to its dead-letter file, and the server stops anyway', async () => {
  const f = fakeSetup();
  f.out('down').send = () => ({ status: 'retry', reason: 'connection refused' });
  running = await f.start(`[server]
shutdown_timeout_ms = 200
[inputs.in]
type = "fake-in"
[outputs.down]
type = "fake-out"
retry = { initial_backoff_ms = 5, max_backoff_ms = 20 }
batch = { timeout_ms = 5 }
[outputs.up]
type = "fake-out"
batch = { timeout_ms = 5 }
`);
  const records = makeRecords(7);
  f.in('in').emit(records);
  await waitFor(() => f.out('up').stored.length === 7 && f.out('down').batches.length > 0, 2000, 'first attempts');
  const started = Date.now();
  const report = await running.server.stop('SIGTERM');
  const took = Date.now() - started;
  assert.equal(report, { reason: 'SIGTERM', timedOut: true, unflushed: { down: 7, up: 0 } });
  assert.ok(took >= 190 && took < 2000, `stop took ${took} ms`);
  const deadLetterFile = path.join(running.dir, 'data/dead-letter/down.jsonl');
  const logged = running.logs.withCode('OGRT_ERR_SHUTDOWN_TIMEOUT');
  assert.equal(logged.map((l) => [l.output, l.unflushed, l.level, l.dead_lettered, l.dead_letter_path]), [['down', 7, 'error', 7, deadLetterFile]]);
  assert.match(String(logged[0].msg), 'shutdown timed out after 200 ms; not flushed: 7 record(s) of output down');
  assert.match(String(logged[0].msg), `7 written to the dead-letter file ${deadLetterFile} (reason "shutdown_timeout")`);
  assert.is(f.out('down').stopCalls, 1, 'outputs are stopped anyway');

  // Exactly the unflushed records, once each, for replay.
  assert.equal(await deadLetterLines(running, 'down'), records.map((r) => ({ output: 'down', reason: 'shutdown_timeout', record: r })));
  assert.equal(await deadLetterLines(running, 'up'), []);
  assert.is(running.server.metrics.value('ogrt_component_dead_lettered_events_total', { component_id: 'down', reason: 'shutdown_timeout' }), 7);
});

test('at the shutdown deadline, records an input could not hand over yet (buffer full, when_full = "block") are dead-lettered too', async () => {
  const f = fakeSetup();
  f.out('down').send = () => ({ status: 'retry', reason: 'connection refused' });
  running = await f.start(`[server]
shutdown_timeout_ms = 100
[inputs.in]
type = "fake-in"
[outputs.down]
type = "fake-out"
buffer = { max_events = 3 }
retry = { initial_backoff_ms = 5, max_backoff_ms = 20 }
batch = { max_events = 2, timeout_ms = 5 }
`);
  const records = makeRecords(8);
  const handedOver = f.in('in').emit(records);
  assert.ok(handedOver !== undefined, 'the input waits: the buffer is full');
  await waitFor(() => f.out('down').batches.length > 0, 2000, 'first attempt');
  const report = await running.server.stop('SIGTERM');
  await handedOver;
  assert.equal(report.unflushed, { down: 8 });
  const lines = await deadLetterLines(running, 'down');
  assert.equal(lines.map((l) => l.record.uuid), records.map((r) => r.uuid), 'in flight, queued, then waiting to get in: all, in order');
  assert.ok(lines.every((l) => l.reason === 'shutdown_timeout'));
});

test('the standard series exist at 0 right after start, before anything went wrong', async () => {
  const f = fakeSetup();
  running = await f.start(`[inputs.in]
type = "fake-in"
[outputs.mem]
type = "fake-out"
retry = { initial_backoff_ms = 1, max_backoff_ms = 2 }
[outputs.disk]
type = "fake-out"
buffer = { type = "disk" }
`);
  const counters = running.server.metrics.snapshot().counters;
  const series = (name: string, labels: Record<string, string>) =>
    counters.filter((c) => c.name === name && Object.entries(labels).every(([k, v]) => c.labels[k] === v)).map((c) => c.value);
  const output = (id: string) => ({ component_kind: 'output', component_type: 'fake-out', component_id: id });
  const input = { component_kind: 'input', component_type: 'fake-in', component_id: 'in' };
  for (const id of ['mem', 'disk']) {
    for (const [errorType, stage] of [['start_failed', 'starting'], ['send_failed', 'sending'], ['send_timeout', 'sending'], ['invalid_result', 'sending'], ['dead_letter_write_failed', 'sending'], ['stop_failed', 'stopping'], ['flush_failed', 'flushing']]) {
      assert.equal(series('ogrt_component_errors_total', { ...output(id), error_type: errorType, stage }), [0], `${id} errors ${errorType}/${stage}`);
    }
    for (const reason of ['rejected', 'max_attempts']) assert.equal(series('ogrt_component_dead_lettered_events_total', { ...output(id), reason }), [0], `${id} dead-lettered ${reason}`);
    assert.equal(series('ogrt_component_discarded_events_total', { ...output(id), reason: 'queue_full' }), [0], `${id} discarded queue_full`);
    assert.equal(series('ogrt_component_retries_total', output(id)), [0], `${id} retries`);
  }
  assert.equal(series('ogrt_component_dead_lettered_events_total', { ...output('mem'), reason: 'shutdown_timeout' }), [0]);
  assert.equal(series('ogrt_component_dead_lettered_events_total', { ...output('disk'), reason: 'shutdown_timeout' }), [], 'a disk buffer keeps its records at shutdown');
  assert.equal(series('ogrt_component_errors_total', { ...output('disk'), error_type: 'buffer_write_failed', stage: 'buffering' }), [0]);
  assert.equal(series('ogrt_component_errors_total', { ...output('mem'), error_type: 'buffer_write_failed' }), []);
  for (const [errorType, stage] of [['invalid_record', 'receiving'], ['uncaught', 'running']]) {
    assert.equal(series('ogrt_component_errors_total', { ...input, error_type: errorType, stage }), [0], `input errors ${errorType}/${stage}`);
  }
  // Counting later goes to the same series.
  f.out('mem').send = (_batch, call) => {
    if (call === 1) throw new Error('socket hang up');
    return { status: 'ok' };
  };
  f.in('in').emit(makeRecords(1));
  await waitFor(() => running!.server.metrics.value('ogrt_component_errors_total', { component_id: 'mem', error_type: 'send_failed' }) >= 1, 2000, 'a failed send');
  assert.is(running.server.metrics.snapshot().counters.filter((c) => c.name === 'ogrt_component_errors_total' && c.labels.component_id === 'mem' && c.labels.error_type === 'send_failed').length, 1);
});

test('an output whose start() fails keeps being retried while records queue; nothing is lost', async () => {
  const f = fakeSetup();
  f.out('out').start = (call) => {
    if (call < 3) throw new Error('ECONNREFUSED 127.0.0.1:9200');
  };
  running = await f.start(`[inputs.in]
type = "fake-in"
[outputs.out]
type = "fake-out"
retry = { initial_backoff_ms = 5, max_backoff_ms = 10 }
batch = { timeout_ms = 5 }
`);
  const records = makeRecords(4);
  f.in('in').emit(records);
  await waitFor(() => f.out('out').stored.length === 4, 2000, 'stored after start succeeded');
  assert.is(f.out('out').startCalls, 3);
  assert.equal(f.out('out').stored, records.map((r) => r.uuid));
  const logged = running.logs.withCode('OGRT_ERR_OUTPUT_START');
  assert.is(logged.length, 2);
  assert.match(String(logged[0].msg), 'output out failed to start: ECONNREFUSED');
  assert.is(running.server.metrics.value('ogrt_component_errors_total', { error_type: 'start_failed', stage: 'starting' }), 2);
});

test('an input that cannot start fails the start with a clear error; everything started is stopped', async () => {
  const f = fakeSetup();
  try {
    running = await f.start(`[inputs.ok]
type = "fake-in"
[inputs.busy]
type = "fake-in"
address = "127.0.0.1:7971"
fail_start = true
[outputs.out]
type = "fake-out"
`);
    assert.unreachable('start must fail');
  } catch (err) {
    assert.instance(err, OgrtError);
    assert.is((err as OgrtError).code, 'OGRT_ERR_INPUT_START');
    assert.match((err as Error).message, 'input busy failed to start: listen EADDRINUSE');
  }
  assert.equal(f.timeline, ['output:out:start', 'input:ok:start', 'input:busy:start', 'input:ok:stop', 'output:out:stop'], 'only started inputs are stopped');
});

test('create() that throws, or returns something that is not an instance, is reported with the component', async () => {
  const make = (create: () => unknown) =>
    definePlugin({ apiVersion: PLUGIN_API_VERSION, kind: 'output', type: 'odd', description: 'x', options: Type.Object({}), create: create as never });
  const f = fakeSetup();
  const toml = '[inputs.in]\ntype = "fake-in"\n[outputs.o]\ntype = "odd"\n';
  const throwing = make(() => {
    throw new Error('missing credentials');
  });
  const err1 = (await startTestServer(toml, { plugins: [f.input.plugin, throwing] }).catch((e: unknown) => e)) as OgrtError;
  assert.is(err1.code, 'OGRT_ERR_PLUGIN_CREATE');
  assert.is(err1.message, 'output:odd:o: create() failed: missing credentials');
  const err2 = (await startTestServer(toml, { plugins: [f.input.plugin, make(() => ({}))] }).catch((e: unknown) => e)) as OgrtError;
  assert.is(err2.code, 'OGRT_ERR_PLUGIN_CONTRACT');
  assert.match(err2.message, 'output:odd:o broke its contract: create() must return an object with send()');
  assert.equal(f.timeline, [], 'nothing was started');
});

test('reopen() calls every output reopen(); dead letters go under data_dir by default', async () => {
  const f = fakeSetup();
  running = await f.start('[inputs.in]\ntype = "fake-in"\n[outputs.a]\ntype = "fake-out"\n[outputs.b]\ntype = "fake-out"\n');
  await running.server.reopen();
  await running.server.reopen();
  assert.equal([f.out('a').reopenCalls, f.out('b').reopenCalls], [2, 2]);
  assert.is(running.config.outputs[0].settings.dead_letter_path, path.join(running.dir, 'data/dead-letter/a.jsonl'));
});

test.run();
