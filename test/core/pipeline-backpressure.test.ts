import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fakeSetup, type TestServer } from '../helpers/server.ts';
import { makeRecords } from '../helpers/records.ts';
import { deferred, settle, track, waitFor } from '../helpers/wait.ts';
import type { OgrtRecord } from '../../src/core/record.ts';

const INPUT = '[inputs.in]\ntype = "fake-in"\n';

let running: TestServer | undefined;
test.after.each(async () => {
  await running?.close();
  running = undefined;
});

/** A send() that holds every batch until `open()`; then acknowledges. */
function stall() {
  const gate = deferred();
  return {
    send: async () => {
      await gate.promise;
      return { status: 'ok' as const };
    },
    open: () => gate.resolve(),
  };
}

test('drop_newest: a full output drops (and counts) for itself only; others get everything', async () => {
  const f = fakeSetup();
  const slow = stall();
  f.out('slow').send = slow.send;
  running = await f.start(`${INPUT}
[outputs.fast]
type = "fake-out"
batch = { max_events = 5, timeout_ms = 5 }
[outputs.slow]
type = "fake-out"
when_full = "drop_newest"
batch = { max_events = 5, timeout_ms = 5 }
buffer = { max_events = 10 }
`);
  const records = makeRecords(30);
  for (let i = 0; i < 30; i += 10) assert.is(f.in('in').emit(records.slice(i, i + 10)), undefined, 'never blocks');
  await waitFor(() => f.out('fast').stored.length === 30, 2000, 'fast output stored everything');
  const m = running.server.metrics;
  assert.is(m.value('ogrt_component_discarded_events_total', { component_id: 'slow', reason: 'queue_full' }), 20);
  assert.is(m.value('ogrt_component_discarded_events_total', { component_id: 'fast' }), 0);
  assert.is(m.value('ogrt_buffer_events', { component_id: 'slow' }), 10);
  assert.is(running.logs.withCode('OGRT_ERR_OUTPUT_QUEUE_FULL').length, 1, 'logged once per interval');
  slow.open();
  await waitFor(() => f.out('slow').stored.length === 10, 2000, 'slow output stored what it kept');
  assert.equal(f.out('slow').stored, records.slice(0, 10).map((r) => r.uuid), 'the oldest were kept');
  // Drops after the first warning fall inside its interval: they are reported at the latest when the
  // server stops, so the warnings add up to the counter.
  await running.server.stop('test');
  const logged = running.logs.withCode('OGRT_ERR_OUTPUT_QUEUE_FULL').map((l) => l.records as number);
  assert.is(logged.length, 2, 'the first drops at once, the rest at stop');
  assert.is(logged.reduce((a, b) => a + b, 0), 20, 'logged drops add up to the counter');
});

test('block: emit returns a promise that stays pending until the output makes room; other outputs are not held back', async () => {
  const f = fakeSetup();
  const slow = stall();
  f.out('slow').send = slow.send;
  running = await f.start(`${INPUT}
[outputs.fast]
type = "fake-out"
batch = { timeout_ms = 5 }
[outputs.slow]
type = "fake-out"
batch = { max_events = 4, timeout_ms = 5 }
buffer = { max_events = 10 }
`);
  const records = makeRecords(15);
  const wait = f.in('in').emit(records);
  assert.instance(wait, Promise);
  const pending = track(wait!);
  await waitFor(() => f.out('fast').stored.length === 15, 2000, 'fast output got all 15');
  await waitFor(() => f.out('slow').inFlight === 1, 2000, 'slow output sending');
  await settle();
  assert.is(pending.settled, false, 'emit is still blocked');
  assert.is(running.server.metrics.value('ogrt_buffer_events', { component_id: 'slow' }), 10);
  slow.open();
  await wait;
  await waitFor(() => f.out('slow').stored.length === 15, 2000, 'slow output stored everything');
  assert.equal(f.out('slow').stored, records.map((r) => r.uuid));
});

test('memory bound: a stalled output never holds more than buffer.max_events / max_bytes, however hard inputs push', async () => {
  const f = fakeSetup();
  const slow = stall();
  let maxEvents = 0;
  let maxBytes = 0;
  const sample = (): void => {
    const m = running!.server.metrics;
    maxEvents = Math.max(maxEvents, m.value('ogrt_buffer_events', { component_id: 'out' }));
    maxBytes = Math.max(maxBytes, m.value('ogrt_buffer_bytes', { component_id: 'out' }));
  };
  f.out('out').send = async () => {
    sample();
    return slow.send();
  };
  running = await f.start(`[inputs.polite]
type = "fake-in"
[inputs.rude]
type = "fake-in"
[outputs.out]
type = "fake-out"
concurrency = 2
batch = { max_events = 8, timeout_ms = 5 }
buffer = { max_events = 50, max_bytes = 4000 }
`);
  const sent: OgrtRecord[] = [];
  // Honours backpressure: awaits every promise emit returns.
  const polite = (async () => {
    for (let i = 0; i < 100; i++) {
      const chunk = makeRecords(7);
      sent.push(...chunk);
      const wait = f.in('polite').emit(chunk, 700);
      sample();
      if (wait !== undefined) await wait;
    }
  })();
  // Ignores backpressure entirely.
  const rudeWaits: Promise<void>[] = [];
  for (let i = 0; i < 20; i++) {
    const chunk = makeRecords(10);
    sent.push(...chunk);
    const wait = f.in('rude').emit(chunk, 1000);
    sample();
    if (wait !== undefined) rudeWaits.push(wait);
  }
  await waitFor(() => f.out('out').inFlight === 2, 2000, 'both sends stalled');
  await settle();
  sample();
  assert.ok(rudeWaits.length > 0, 'the rude input was told to wait');
  assert.is(running.server.metrics.value('ogrt_buffer_bytes', { component_id: 'out' }), 4000, 'full, by bytes');
  slow.open();
  await polite;
  await Promise.all(rudeWaits);
  await waitFor(() => f.out('out').stored.length === sent.length, 5000, 'everything stored');
  assert.ok(maxEvents <= 50, `held ${maxEvents} records`);
  assert.ok(maxBytes <= 4000, `held ${maxBytes} bytes`);
  assert.is(new Set(f.out('out').stored).size, 900);
  assert.equal(new Set(f.out('out').stored), new Set(sent.map((r) => r.uuid)));
});

test.run();
