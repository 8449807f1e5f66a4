import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MetricsRegistry } from '../../src/core/metrics.ts';

test('counters and gauges by name and labels, namespaced ogrt_; value() sums a label subset', () => {
  const m = new MetricsRegistry();
  m.counter('component_sent_events_total').get({ component_id: 'a' }).value += 3;
  m.counter('ogrt_component_sent_events_total').get({ component_id: 'b' }).value += 4;
  m.gauge('buffer_events').get({ component_id: 'a' }).value = 7;
  assert.is(m.value('component_sent_events_total'), 7);
  assert.is(m.value('ogrt_component_sent_events_total', { component_id: 'b' }), 4);
  assert.is(m.value('ogrt_component_sent_events_total', { component_id: 'c' }), 0);
  assert.is(m.value('ogrt_buffer_events'), 7);
  assert.is(m.value('nothing_total'), 0);
  assert.is(m.counter('component_sent_events_total').get({ component_id: 'a' }).value, 3, 'same labels, same series, any key order');
  assert.throws(() => m.gauge('component_sent_events_total'), /is a counter/);
});

test('component metrics carry kind/type/id labels that plugins cannot override', () => {
  const m = new MetricsRegistry();
  const c = m.forComponent('input', 'tcp', 'direct');
  c.increment('component_errors_total', 1, { error_type: 'malformed_frame', stage: 'receiving' });
  c.increment('component_errors_total', 2, { error_type: 'malformed_frame', stage: 'receiving', component_id: 'spoofed' });
  c.increment('component_received_bytes_total', 100);
  c.setGauge('open_connections', 5);
  c.setGauge('open_connections', 4);
  const snap = m.snapshot();
  assert.equal(snap.counters, [
    {
      name: 'ogrt_component_errors_total',
      labels: { component_id: 'direct', component_kind: 'input', component_type: 'tcp', error_type: 'malformed_frame', stage: 'receiving' },
      value: 3,
    },
    { name: 'ogrt_component_received_bytes_total', labels: { component_kind: 'input', component_type: 'tcp', component_id: 'direct' }, value: 100 },
  ]);
  assert.equal(snap.gauges, [{ name: 'ogrt_open_connections', labels: { component_kind: 'input', component_type: 'tcp', component_id: 'direct' }, value: 4 }]);
});

test('sliding windows give count/min/max/median of the last N samples', () => {
  const m = new MetricsRegistry();
  const w = m.window('batch_duration_seconds', '', 4).get({ component_id: 'a' });
  assert.equal(w.summary(), { count: 0, min: null, max: null, median: null });
  for (const v of [5, 1, 3]) w.observe(v);
  assert.equal(w.summary(), { count: 3, min: 1, max: 5, median: 3 });
  for (const v of [10, 20, 30]) w.observe(v);
  assert.equal(w.summary(), { count: 4, min: 3, max: 30, median: 15 }, 'oldest samples fell out');
  assert.equal(m.snapshot().windows, [{ name: 'ogrt_batch_duration_seconds', labels: { component_id: 'a' }, count: 4, min: 3, max: 30, median: 15 }]);
  assert.equal(JSON.parse(JSON.stringify(m.snapshot())), m.snapshot(), 'plain JSON');
  assert.equal(m.list(), [{ name: 'ogrt_batch_duration_seconds', type: 'window', help: '' }]);
});

test.run();
