/**
 * A plugin that throws, rejects, hangs or returns garbage is contained:
 * counted, logged with its name, and the records go on (filters) or are
 * retried (outputs); at start, the server refuses to start naming it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { TestServer } from '../helpers/server.ts';
import { fakeInputPlugin, fakeOutputPlugin } from '../helpers/fake-plugins.ts';
import { scriptedFilterPlugin, startWith } from '../helpers/filter-plugins.ts';
import { makeRecords } from '../helpers/records.ts';
import { deferred, settle, waitFor } from '../helpers/wait.ts';
import type { CapturedLogs } from '../helpers/logs.ts';
import { PLUGIN_API_VERSION, Type, definePlugin, type FilterPluginDefinition, type PluginDefinition } from '../../src/core/plugin-api.ts';
import type { OgrtError } from '../../src/core/errors.ts';
import type { OgrtRecord } from '../../src/core/record.ts';

let running: TestServer | undefined;
test.after.each(async () => {
  await running?.close();
  running = undefined;
});

function setup() {
  const input = fakeInputPlugin('fake-in');
  const output = fakeOutputPlugin('fake-out');
  const filter = scriptedFilterPlugin();
  const received: OgrtRecord[] = [];
  output.instance('out').send = (batch) => {
    received.push(...batch.records);
    return { status: 'ok' };
  };
  const toml = (filters: string) => `[inputs.in]\ntype = "fake-in"\n[outputs.out]\ntype = "fake-out"\nbatch = { timeout_ms = 5 }\n${filters}`;
  return { input, output, filter, received, plugins: [input.plugin, output.plugin, filter.plugin], toml };
}

function errorsOf(server: TestServer, errorType: string): number {
  return server.server.metrics.value('ogrt_component_errors_total', { component_kind: 'filter', error_type: errorType, stage: 'processing' });
}

const FAILING_FILTERS: [string, string, string, (records: readonly OgrtRecord[]) => unknown][] = [
  ['throws', 'process_failed', 'process() threw: lookup exploded', () => {
    throw new Error('lookup exploded');
  }],
  ['rejects', 'process_failed', 'process() rejected: lookup exploded', async () => {
    throw new Error('lookup exploded');
  }],
  ['returns undefined', 'invalid_result', 'process() returned undefined, not an array of records', () => undefined],
  ['returns an object', 'invalid_result', 'process() returned an object (records), not an array of records', (records) => ({ records })],
  ['returns numbers', 'invalid_result', 'process() returned an invalid record: records[0]: must be object', () => [42]],
  ['adds an unknown field', 'invalid_result', 'process() returned an invalid record: records[0]: must NOT have additional properties (slurm_account)', (records) =>
    records.map((r) => ({ ...r, slurm_account: 'physics' }))],
  ['breaks a field type', 'invalid_result', 'process() returned an invalid record: records[1].pid: must be integer', (records) =>
    records.map((r, i) => (i === 1 ? { ...r, pid: 'many' } : r))],
];

for (const [what, errorType, reason, process] of FAILING_FILTERS) {
  test(`a filter that ${what}: the batch passes on unfiltered, counted and logged with the filter's name; the next batch is filtered again`, async () => {
    const s = setup();
    s.filter.instance('bad').process = (records, call) => (call === 1 ? process(records) : records.slice(1));
    running = await startWith(s.toml('[filters.bad]\ntype = "scripted"\n'), s.plugins);
    const first = makeRecords(3);
    const second = makeRecords(3);
    await s.input.get('in').emit(first);
    await s.input.get('in').emit(second);
    await waitFor(() => s.received.length === 5, 2000, 'records stored');
    assert.equal(s.received.map((r) => r.uuid), [...first, ...second.slice(1)].map((r) => r.uuid));
    assert.equal(s.received.slice(0, 3), first, 'unchanged');
    assert.is(errorsOf(running, errorType), 1);
    const logged = running.logs.withCode('OGRT_ERR_FILTER_FAILED');
    assert.is(logged.length, 1);
    assert.is(logged[0].component, 'filter:scripted:bad');
    assert.is(logged[0].error_type, errorType);
    assert.is(logged[0].msg, `filter filter:scripted:bad: ${reason}; 3 record(s) passed on unfiltered`);
  });
}

test('a filter that never settles: after its timeout_ms the batch passes on unfiltered; its late answer is ignored', async () => {
  const s = setup();
  const late = deferred<readonly OgrtRecord[]>();
  s.filter.instance('hangs').process = () => late.promise;
  running = await startWith(s.toml('[filters.hangs]\ntype = "scripted"\ntimeout_ms = 50\n'), s.plugins);
  const records = makeRecords(2);
  const started = Date.now();
  await s.input.get('in').emit(records);
  assert.ok(Date.now() - started >= 45, 'held for the timeout');
  await waitFor(() => s.received.length === 2, 2000, 'records stored');
  assert.is(errorsOf(running, 'process_timeout'), 1);
  assert.match(running.logs.withCode('OGRT_ERR_FILTER_FAILED')[0].msg!, 'process() did not settle within timeout_ms = 50');
  late.resolve([]);
  await settle();
  assert.is(s.received.length, 2);
  assert.is(errorsOf(running, 'invalid_result') + errorsOf(running, 'process_failed'), 0);
});

test('a filter failing on every batch is logged once per interval, counted every time', async () => {
  const s = setup();
  s.filter.instance('bad').process = () => {
    throw new Error('always');
  };
  running = await startWith(s.toml('[filters.bad]\ntype = "scripted"\n'), s.plugins);
  for (let i = 0; i < 5; i++) s.input.get('in').emit(makeRecords(1));
  await waitFor(() => s.received.length === 5, 2000, 'records stored');
  assert.is(errorsOf(running, 'process_failed'), 5);
  assert.is(running.logs.withCode('OGRT_ERR_FILTER_FAILED').length, 1);
});

test('records that were already invalid when a filter got them are not held against it', async () => {
  const s = setup();
  s.filter.instance('ok').process = (records) => records;
  running = await startWith(s.toml('[filters.ok]\ntype = "scripted"\n'), s.plugins);
  const [record] = makeRecords(1);
  (record as unknown as Record<string, unknown>).from_a_buggy_input = true;
  s.input.get('in').emit([record]);
  await waitFor(() => s.received.length === 1, 2000, 'record stored');
  assert.is(running.logs.withCode('OGRT_ERR_FILTER_FAILED').length, 0);
});

/** A filter or input plugin with the given create(); everything else minimal. */
function oddPlugin(kind: 'filter' | 'input', create: () => unknown): PluginDefinition {
  return definePlugin({
    apiVersion: PLUGIN_API_VERSION,
    kind,
    type: `odd-${kind}`,
    description: 'misbehaves',
    options: Type.Object({}, { additionalProperties: false }),
    create: create as never,
  } as FilterPluginDefinition);
}

async function startFailure(toml: string, plugins: Parameters<typeof startWith>[1], startTimeoutMs?: number): Promise<{ err: OgrtError; logs: CapturedLogs }> {
  const err = (await startWith(toml, plugins, startTimeoutMs === undefined ? {} : { startTimeoutMs }).then(
    () => assert.unreachable('the server started'),
    (e: unknown) => e,
  )) as OgrtError & { logs: CapturedLogs };
  return { err, logs: err.logs };
}

const BASE = '[inputs.in]\ntype = "fake-in"\n[outputs.out]\ntype = "fake-out"\n';

test('start: a filter whose create() throws, or returns no process(), stops the start naming it', async () => {
  const throws = await startFailure(`${BASE}[filters.f]\ntype = "odd-filter"\n`, [
    fakeInputPlugin('fake-in').plugin, fakeOutputPlugin('fake-out').plugin, oddPlugin('filter', () => {
      throw new Error('lookup.csv: permission denied');
    }),
  ]);
  assert.is(throws.err.code, 'OGRT_ERR_PLUGIN_CREATE');
  assert.is(throws.err.message, 'filter:odd-filter:f: create() failed: lookup.csv: permission denied');

  const shapeless = await startFailure(`${BASE}[filters.f]\ntype = "odd-filter"\n`, [
    fakeInputPlugin('fake-in').plugin, fakeOutputPlugin('fake-out').plugin, oddPlugin('filter', () => ({ filter: () => [] })),
  ]);
  assert.is(shapeless.err.code, 'OGRT_ERR_PLUGIN_CONTRACT');
  assert.match(shapeless.err.message, 'plugin filter:odd-filter:f broke its contract: create() must return an object with process()');
});

test('start: a filter whose start() fails stops the start, naming it; outputs are stopped again, inputs never started', async () => {
  const input = fakeInputPlugin('fake-in');
  const output = fakeOutputPlugin('fake-out');
  const filter = scriptedFilterPlugin();
  filter.instance('lookup').start = async () => {
    throw new Error('ENOENT: /etc/ogrt/accounts.csv');
  };
  const { err, logs } = await startFailure(`${BASE}[filters.lookup]\ntype = "scripted"\n`, [input.plugin, output.plugin, filter.plugin]);
  assert.is(err.code, 'OGRT_ERR_FILTER_START');
  assert.is(err.message, 'filter filter:scripted:lookup failed to start: ENOENT: /etc/ogrt/accounts.csv');
  assert.is(logs.withCode('OGRT_ERR_FILTER_START', { component: 'filter:scripted:lookup' }).length, 1);
  assert.is(output.instance('out').stopCalls, 1);
  assert.is(input.get('in').started, false);
});

test('start: a filter or an input whose start() never settles stops the start after the start timeout, naming it', async () => {
  const filter = scriptedFilterPlugin();
  filter.instance('stuck').start = () => new Promise(() => undefined);
  const f = await startFailure(`${BASE}[filters.stuck]\ntype = "scripted"\n`, [fakeInputPlugin('fake-in').plugin, fakeOutputPlugin('fake-out').plugin, filter.plugin], 50);
  assert.is(f.err.code, 'OGRT_ERR_PLUGIN_START_TIMEOUT');
  assert.is(f.err.message, 'filter:scripted:stuck: start() did not settle within 50 ms');

  const stuckInput = oddPlugin('input', () => ({ start: () => new Promise(() => undefined), stop: async () => undefined }));
  const i = await startFailure('[inputs.in]\ntype = "odd-input"\n[outputs.out]\ntype = "fake-out"\n', [stuckInput, fakeOutputPlugin('fake-out').plugin], 50);
  assert.is(i.err.code, 'OGRT_ERR_PLUGIN_START_TIMEOUT');
  assert.is(i.err.message, 'input:odd-input:in: start() did not settle within 50 ms');
});

test('start: a filter whose start() finishes only after the start timeout is stopped again', async () => {
  const filter = scriptedFilterPlugin();
  const gate = deferred();
  filter.instance('slow').start = () => gate.promise;
  const f = await startFailure(`${BASE}[filters.slow]\ntype = "scripted"\n`, [fakeInputPlugin('fake-in').plugin, fakeOutputPlugin('fake-out').plugin, filter.plugin], 30);
  assert.is(f.err.code, 'OGRT_ERR_PLUGIN_START_TIMEOUT');
  assert.is(filter.instance('slow').stopped, false);
  gate.resolve();
  await waitFor(() => filter.instance('slow').stopped, 2000, 'the late start undone');
});

/** `work`, or a failure naming `what` after `ms` (a start that hangs must fail the test, not end the process quietly). */
async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

test('start: an output whose start() never settles does not hold up the server: counted and logged naming it, records queue, a new instance delivers them once it starts, the late one is stopped', async () => {
  const input = fakeInputPlugin('fake-in');
  const output = fakeOutputPlugin('fake-out');
  const out = output.instance('out');
  const firstStart = deferred();
  let storeUp = false;
  out.start = (call) => {
    if (call === 1) return firstStart.promise;
    if (!storeUp) throw new Error('ECONNREFUSED 127.0.0.1:9200');
  };
  // Which instance (by creation order) each stop() went to.
  const stopped: number[] = [];
  let created = 0;
  const counted = definePlugin({
    ...output.plugin,
    create: (ctx, options) => {
      const n = ++created;
      const instance = output.plugin.create(ctx, options);
      const stop = instance.stop!.bind(instance);
      instance.stop = async () => {
        stopped.push(n);
        await stop();
      };
      return instance;
    },
  });
  running = await within(
    startWith(
      '[inputs.in]\ntype = "fake-in"\naddress = "127.0.0.1:5514"\n[outputs.out]\ntype = "fake-out"\nbatch = { timeout_ms = 5 }\nretry = { initial_backoff_ms = 5, max_backoff_ms = 10 }\n',
      [input.plugin, counted],
      { startTimeoutMs: 50 },
    ),
    5000,
    'the server start',
  );
  assert.equal(running.server.inputs, [{ id: 'in', type: 'fake-in', addresses: ['127.0.0.1:5514'] }]);
  assert.is(input.get('in').started, true);
  assert.is(running.logs.matching(/^listening$/).length, 1);
  const timedOut = running.logs.withCode('OGRT_ERR_PLUGIN_START_TIMEOUT', { component: 'output:fake-out:out' });
  assert.is(timedOut.length, 1);
  assert.is(timedOut[0].level, 'error');
  assert.is(timedOut[0].msg, 'output:fake-out:out: start() did not settle within 50 ms; will retry with a new instance, records queue meanwhile');
  assert.is(running.server.metrics.value('ogrt_component_errors_total', { component_id: 'out', error_type: 'start_failed', stage: 'starting' }) >= 1, true);

  const records = makeRecords(4);
  void input.get('in').emit(records);
  await waitFor(() => running!.logs.withCode('OGRT_ERR_OUTPUT_START').length >= 2, 2000, 'start retried on a new instance');
  assert.is(running.server.metrics.value('ogrt_buffer_events', { component_id: 'out' }), 4, 'queued');
  assert.equal(out.batches, [], 'nothing sent before a start succeeded');
  assert.is(created, 2, 'one new instance after the timeout, reused while its start() fails');

  storeUp = true;
  await waitFor(() => out.stored.length === 4, 2000, 'records delivered once a start succeeded');
  assert.equal(out.stored, records.map((r) => r.uuid));
  assert.equal(stopped, []);

  firstStart.resolve();
  await waitFor(() => stopped.length === 1, 2000, 'the late first instance stopped');
  assert.equal(stopped, [1], 'the instance that started too late, not the running one');
  assert.is(running.logs.matching(/^start\(\) finished after the start timeout/).length, 1);
  const more = makeRecords(2);
  void input.get('in').emit(more);
  await waitFor(() => out.stored.length === 6, 2000, 'the running instance still delivers');
  await running.server.stop('test');
  assert.equal(stopped, [1, 2]);
  assert.is(created, 2);
});

test('an output whose send() throws, then returns garbage, then never settles: each counted and logged, the batch retried until stored', async () => {
  const input = fakeInputPlugin('fake-in');
  const output = fakeOutputPlugin('fake-out');
  const out = output.instance('out');
  out.send = (_batch, call) => {
    if (call === 1) throw new Error('socket hang up');
    if (call === 2) return { stat: 'ok' };
    if (call === 3) return new Promise(() => undefined);
    return { status: 'ok' };
  };
  running = await startWith(
    '[inputs.in]\ntype = "fake-in"\n[outputs.out]\ntype = "fake-out"\nbatch = { timeout_ms = 5 }\nsend_timeout_ms = 50\nretry = { initial_backoff_ms = 1, max_backoff_ms = 2 }\n',
    [input.plugin, output.plugin],
  );
  const records = makeRecords(4);
  input.get('in').emit(records);
  await waitFor(() => out.stored.length === 4, 3000, 'stored in the end');
  assert.equal(out.stored, records.map((r) => r.uuid));
  const m = running.server.metrics;
  for (const errorType of ['send_failed', 'invalid_result', 'send_timeout']) {
    assert.is(m.value('ogrt_component_errors_total', { component_id: 'out', error_type: errorType }), 1, errorType);
  }
  assert.is(running.logs.withCode('OGRT_ERR_OUTPUT_SEND', { component: 'output:fake-out:out' }).length, 1);
  assert.is(running.logs.withCode('OGRT_ERR_PLUGIN_CONTRACT', { component: 'output:fake-out:out' }).length, 1);
  assert.is(running.logs.withCode('OGRT_ERR_OUTPUT_SEND_TIMEOUT', { component: 'output:fake-out:out' }).length, 1);
});

test.run();
