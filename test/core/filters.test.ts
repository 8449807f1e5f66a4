import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { TestServer } from '../helpers/server.ts';
import { fakeInputPlugin, fakeOutputPlugin } from '../helpers/fake-plugins.ts';
import { scriptedFilterPlugin, seenBy, startWith, taggingFilterPlugin } from '../helpers/filter-plugins.ts';
import { makeRecord, makeRecords } from '../helpers/records.ts';
import { deferred, settle, track, waitFor } from '../helpers/wait.ts';
import type { OgrtRecord } from '../../src/core/record.ts';

let running: TestServer | undefined;
test.after.each(async () => {
  await running?.close();
  running = undefined;
});

/** Fake input + fake output collecting whole records, plus the given filter plugins. */
function setup(...filterPlugins: Parameters<typeof startWith>[1]) {
  const input = fakeInputPlugin('fake-in');
  const output = fakeOutputPlugin('fake-out');
  const received: OgrtRecord[] = [];
  output.instance('out').send = (batch) => {
    received.push(...batch.records);
    return { status: 'ok' };
  };
  return {
    input,
    output,
    received,
    start: (toml: string, options: Parameters<typeof startWith>[2] = {}) =>
      startWith(`[inputs.in]\ntype = "fake-in"\n[outputs.out]\ntype = "fake-out"\nbatch = { timeout_ms = 5 }\n${toml}`, [input.plugin, output.plugin, ...filterPlugins], options),
  };
}

test('filters run in the order of their tables in the file, integer-like names included', async () => {
  const s = setup(taggingFilterPlugin());
  running = await s.start(`
[filters.zeta]
type = "tagger"
tag = "first"
[filters.10]
type = "tagger"
tag = "second"
[filters.alpha]
type = "tagger"
tag = "third"
`);
  assert.equal(running.server.filters.map((f) => f.id), ['zeta', '10', 'alpha']);
  s.input.get('in').emit(makeRecords(3));
  await waitFor(() => s.received.length === 3, 2000, 'records stored');
  for (const r of s.received) assert.equal(seenBy(r), ['first', 'second', 'third']);
});

test('drop: records left out are not delivered, and are counted as discarded by the filter', async () => {
  const f = scriptedFilterPlugin();
  f.instance('system').process = (records) => records.filter((r) => !(r.binpath ?? '').startsWith('/usr/bin/'));
  const s = setup(f.plugin);
  running = await s.start('[filters.system]\ntype = "scripted"\n');
  const keep = makeRecords(3, { binpath: '/opt/app/bin/solver' });
  const drop = makeRecords(2, { binpath: '/usr/bin/ls' });
  s.input.get('in').emit([drop[0], keep[0], keep[1], drop[1], keep[2]]);
  await waitFor(() => s.received.length === 3, 2000, 'kept records stored');
  await settle();
  assert.equal(s.received.map((r) => r.uuid), keep.map((r) => r.uuid));
  const m = running.server.metrics;
  assert.is(m.value('ogrt_component_sent_events_total', { component_kind: 'input' }), 5, 'the input handed over 5');
  assert.is(m.value('ogrt_component_received_events_total', { component_kind: 'filter', component_id: 'system' }), 5);
  assert.is(m.value('ogrt_component_sent_events_total', { component_kind: 'filter', component_id: 'system' }), 3);
  assert.is(m.value('ogrt_component_discarded_events_total', { component_id: 'system', reason: 'filtered' }), 2);
  assert.is(m.value('ogrt_component_received_events_total', { component_kind: 'output' }), 3);
});

test('a batch that a filter empties entirely goes no further: later filters are not called', async () => {
  const f = scriptedFilterPlugin();
  f.instance('none').process = () => [];
  const s = setup(f.plugin);
  running = await s.start('[filters.none]\ntype = "scripted"\n[filters.after]\ntype = "scripted"\n');
  assert.is(s.input.get('in').emit(makeRecords(4)), undefined);
  await settle();
  assert.is(f.instance('none').calls.length, 1);
  assert.is(f.instance('after').calls.length, 0);
  assert.is(running.server.metrics.value('ogrt_component_received_events_total', { component_kind: 'output' }), 0);
});

test('enrich: in place, or by returning copies; later filters and the outputs see the changes', async () => {
  const f = scriptedFilterPlugin();
  f.instance('inplace').process = (records) => {
    for (const r of records) r.username = 'alice';
    return records;
  };
  f.instance('copies').process = (records) => records.map((r) => ({ ...r, environment_variables: [...r.environment_variables, { name: 'SLURM_JOB_PARTITION', value: 'gpu' }] }));
  f.instance('check').process = (records) => {
    for (const r of records) if (r.username !== 'alice') throw new Error('enrichment of the first filter not visible');
    return records;
  };
  const s = setup(f.plugin);
  running = await s.start('[filters.inplace]\ntype = "scripted"\n[filters.copies]\ntype = "scripted"\n[filters.check]\ntype = "scripted"\n');
  const records = makeRecords(2, { job_id: '4242' });
  s.input.get('in').emit(records);
  await waitFor(() => s.received.length === 2, 2000, 'records stored');
  assert.equal(s.received.map((r) => [r.uuid, r.username, r.environment_variables]), records.map((r) => [r.uuid, 'alice', [{ name: 'SLURM_JOB_PARTITION', value: 'gpu' }]]));
  assert.is(running.logs.withCode('OGRT_ERR_FILTER_FAILED').length, 0);
});

test('a filter may add records', async () => {
  const f = scriptedFilterPlugin();
  const extra = makeRecord({ binpath: '/site/added' });
  f.instance('add').process = (records) => [...records, extra];
  const s = setup(f.plugin);
  running = await s.start('[filters.add]\ntype = "scripted"\n');
  s.input.get('in').emit(makeRecords(2));
  await waitFor(() => s.received.length === 3, 2000, 'records stored');
  assert.is(s.received[2].uuid, extra.uuid);
});

test('synchronous filters keep emit() synchronous: undefined when the queues have room', async () => {
  const s = setup(taggingFilterPlugin());
  running = await s.start('[filters.t]\ntype = "tagger"\n');
  assert.is(s.input.get('in').emit(makeRecords(5)), undefined);
});

test('async filters: emit() returns a promise that settles once the records are in the queues; batches keep their order', async () => {
  const f = scriptedFilterPlugin();
  const gates = [deferred(), deferred(), deferred()];
  f.instance('slow').process = async (records, call) => {
    await gates[call - 1].promise;
    return records;
  };
  const s = setup(f.plugin);
  running = await s.start('[filters.slow]\ntype = "scripted"\n');
  const batches = [makeRecords(2), makeRecords(3), makeRecords(1)];
  const waits = batches.map((b) => s.input.get('in').emit(b));
  for (const w of waits) assert.instance(w, Promise);
  const tracked = waits.map((w) => track(w!));
  await waitFor(() => f.instance('slow').calls.length === 1, 2000, 'first batch in the filter');
  await settle();
  assert.is(f.instance('slow').calls.length, 1, 'one batch of an input at a time');
  assert.equal(tracked.map((t) => t.settled), [false, false, false]);
  // Let the later ones go first: order must still be kept.
  gates[2].resolve();
  gates[1].resolve();
  gates[0].resolve();
  await Promise.all(waits);
  await waitFor(() => s.received.length === 6, 2000, 'all stored');
  assert.equal(s.received.map((r) => r.uuid), batches.flat().map((r) => r.uuid));
});

test('backpressure: with an async filter and a full blocking queue, emit() settles only when the queue admits the records', async () => {
  const f = scriptedFilterPlugin();
  f.instance('async').process = async (records) => records;
  const input = fakeInputPlugin('fake-in');
  const output = fakeOutputPlugin('fake-out');
  const gate = deferred();
  output.instance('out').send = async () => {
    await gate.promise;
    return { status: 'ok' };
  };
  running = await startWith(
    `[inputs.in]\ntype = "fake-in"\n[outputs.out]\ntype = "fake-out"\nbatch = { max_events = 5, timeout_ms = 5 }\nbuffer = { max_events = 5 }\n[filters.async]\ntype = "scripted"\n`,
    [input.plugin, output.plugin, f.plugin],
  );
  const pending = track(input.get('in').emit(makeRecords(8))!);
  await waitFor(() => output.instance('out').inFlight === 1, 2000, 'output sending');
  await settle();
  assert.is(pending.settled, false, 'held back by the full queue, through the filter');
  gate.resolve();
  await pending.promise;
  await waitFor(() => output.instance('out').stored.length === 8, 2000, 'all stored');
});

test('inputs = [...]: a filter sees only the records of the inputs it names', async () => {
  const input = fakeInputPlugin('fake-in');
  const output = fakeOutputPlugin('fake-out');
  const received: OgrtRecord[] = [];
  output.instance('out').send = (batch) => {
    received.push(...batch.records);
    return { status: 'ok' };
  };
  running = await startWith(
    `[inputs.direct]\ntype = "fake-in"\n[inputs.relay]\ntype = "fake-in"\n[outputs.out]\ntype = "fake-out"\nbatch = { timeout_ms = 5 }\n` +
      `[filters.only-relay]\ntype = "tagger"\ntag = "relay-filter"\ninputs = ["relay"]\n[filters.all]\ntype = "tagger"\ntag = "all"\n`,
    [input.plugin, output.plugin, taggingFilterPlugin()],
  );
  const direct = makeRecord();
  const relay = makeRecord();
  input.get('direct').emit([direct]);
  input.get('relay').emit([relay]);
  await waitFor(() => received.length === 2, 2000, 'both stored');
  const byUuid = new Map(received.map((r) => [r.uuid, seenBy(r)]));
  assert.equal(byUuid.get(direct.uuid), ['all']);
  assert.equal(byUuid.get(relay.uuid), ['relay-filter', 'all']);
});

test('shutdown waits for batches inside async filters before draining the outputs; then stops the filters', async () => {
  const f = scriptedFilterPlugin();
  const gate = deferred();
  f.instance('slow').process = async (records) => {
    await gate.promise;
    return records;
  };
  const s = setup(f.plugin);
  running = await s.start('[filters.slow]\ntype = "scripted"\n');
  const records = makeRecords(3);
  void s.input.get('in').emit(records);
  await waitFor(() => f.instance('slow').calls.length === 1, 2000, 'batch in the filter');
  const stopping = running.server.stop('test');
  await settle();
  assert.is(f.instance('slow').stopped, false, 'not stopped while a batch is inside');
  gate.resolve();
  const report = await stopping;
  assert.is(report.timedOut, false);
  assert.equal(s.received.map((r) => r.uuid), records.map((r) => r.uuid));
  assert.is(f.instance('slow').stopped, true);
});

test('config: filter keys owned by the core are validated, `inputs` must name inputs, a filter type must be a filter', async () => {
  const err = (await startWith(
    `[inputs.in]\ntype = "fake-in"\n[outputs.out]\ntype = "fake-out"\n` +
      `[filters.a]\ntype = "tagger"\ntimeout_ms = 0\n[filters.b]\ntype = "tagger"\ninputs = ["nope"]\n[filters.c]\ntype = "fake-out"\n[filters.d]\ntype = "tagger"\ncolour = "red"\n`,
    [fakeInputPlugin('fake-in').plugin, fakeOutputPlugin('fake-out').plugin, taggingFilterPlugin()],
  ).catch((e: unknown) => e)) as { context: { errors: { code: string; message: string }[] } };
  const lines = err.context.errors.map((e) => `${e.code} ${e.message}`);
  assert.is(lines.length, 4, lines.join('\n'));
  assert.match(lines[0], /OGRT_ERR_CONFIG_INVALID .*:7: filters\.a\.timeout_ms: must be >= 1/);
  assert.match(lines[1], /OGRT_ERR_CONFIG_INVALID .*:10: filters\.b\.inputs\.0: no input named "nope"; inputs: in/);
  assert.match(lines[2], /OGRT_ERR_CONFIG_UNKNOWN_TYPE .*filters\.c\.type: unknown filter type "fake-out"; known filter types: tagger/);
  assert.match(lines[3], /OGRT_ERR_CONFIG_UNKNOWN_KEY .*filters\.d\.colour: unknown key; allowed here: tag, type, timeout_ms, inputs/);
});

test('no [filters] table: records go straight to the outputs', async () => {
  const s = setup();
  running = await s.start('');
  assert.equal(running.server.filters, []);
  assert.equal(running.config.filters, []);
  assert.is(s.input.get('in').emit(makeRecords(2)), undefined);
  await waitFor(() => s.received.length === 2, 2000, 'stored');
});

test.run();
