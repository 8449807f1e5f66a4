/**
 * health() and flush(): optional instance methods the core calls, contained
 * like every other plugin call.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { TestServer } from '../helpers/server.ts';
import { fakeInputPlugin } from '../helpers/fake-plugins.ts';
import { scriptedFilterPlugin, startWith } from '../helpers/filter-plugins.ts';
import { captureLogs } from '../helpers/logs.ts';
import { makeRecords } from '../helpers/records.ts';
import { waitFor } from '../helpers/wait.ts';
import { PLUGIN_API_VERSION, Type, definePlugin, type HealthStatus } from '../../src/core/plugin-api.ts';
import { HealthMonitor, type HealthTarget } from '../../src/core/health.ts';
import { MetricsRegistry } from '../../src/core/metrics.ts';

let running: TestServer | undefined;
test.after.each(async () => {
  await running?.close();
  running = undefined;
});

interface OutputScript {
  health?: () => Promise<HealthStatus> | HealthStatus;
  flush?: () => Promise<void> | void;
  start?: () => Promise<void>;
  calls: string[];
}

/** An output that records send/flush/stop calls in order and exposes scripted health()/flush(). */
function scriptedOutput(script: OutputScript) {
  return definePlugin({
    apiVersion: PLUGIN_API_VERSION,
    kind: 'output',
    type: 'scripted-out',
    description: 'output with health and flush',
    options: Type.Object({}, { additionalProperties: false }),
    create() {
      return {
        start: async () => script.start?.(),
        async send(batch) {
          script.calls.push(`send:${batch.records.length}`);
          return { status: 'ok' } as const;
        },
        async flush() {
          script.calls.push('flush');
          await script.flush?.();
        },
        async stop() {
          script.calls.push('stop');
        },
        health: () => (script.health === undefined ? { ok: true } : script.health()),
      };
    },
  });
}

const TOML = `[inputs.in]\ntype = "fake-in"\n[outputs.out]\ntype = "scripted-out"\nbatch = { timeout_ms = 5 }\nretry = { initial_backoff_ms = 1000 }\n[filters.f]\ntype = "scripted"\n`;

test('health(): each component answers; the answers become ogrt_component_healthy and changes are logged', async () => {
  const input = fakeInputPlugin('fake-in');
  const filter = scriptedFilterPlugin();
  let filterHealth: HealthStatus = { ok: true };
  filter.instance('f').health = () => filterHealth;
  const script: OutputScript = { calls: [], health: () => Promise.reject(new Error('no route to host')) };
  running = await startWith(TOML, [input.plugin, filter.plugin, scriptedOutput(script)]);

  const first = await running.server.health();
  assert.equal(first, [
    { kind: 'input', type: 'fake-in', id: 'in', ok: true },
    { kind: 'filter', type: 'scripted', id: 'f', ok: true },
    { kind: 'output', type: 'scripted-out', id: 'out', ok: false, detail: 'health() failed: no route to host' },
  ]);
  const gauges = running.server.metrics.snapshot().gauges.filter((g) => g.name === 'ogrt_component_healthy');
  assert.equal(gauges.map((g) => [g.labels.component_kind, g.labels.component_id, g.value]).sort(), [
    ['filter', 'f', 1],
    ['input', 'in', 1],
    ['output', 'out', 0],
  ]);
  const unhealthy = running.logs.withCode('OGRT_ERR_PLUGIN_UNHEALTHY');
  assert.is(unhealthy.length, 1, 'logged once, on the change');
  assert.is(unhealthy[0].component, 'output:scripted-out:out');

  filterHealth = { ok: false, detail: 'lookup file is 3 days old' };
  script.health = () => ({ ok: true });
  const second = await running.server.health();
  assert.equal(second.map((h) => [h.id, h.ok, h.detail]), [['in', true, undefined], ['f', false, 'lookup file is 3 days old'], ['out', true, undefined]]);
  assert.is(running.server.metrics.value('ogrt_component_healthy', { component_id: 'f' }), 0);
  assert.is(running.server.metrics.value('ogrt_component_healthy', { component_id: 'out' }), 1);
  assert.equal(running.logs.withCode('OGRT_ERR_PLUGIN_UNHEALTHY').map((l) => l.component), ['output:scripted-out:out', 'filter:scripted:f']);
  assert.is(running.logs.matching(/^healthy again$/).filter((l) => l.component === 'output:scripted-out:out').length, 1);
});

test('health(): an output whose start() keeps failing is unhealthy', async () => {
  const script: OutputScript = { calls: [], start: async () => Promise.reject(new Error('ECONNREFUSED')) };
  running = await startWith(TOML, [fakeInputPlugin('fake-in').plugin, scriptedFilterPlugin().plugin, scriptedOutput(script)]);
  const out = (await running.server.health()).find((h) => h.kind === 'output')!;
  assert.equal(out, { kind: 'output', type: 'scripted-out', id: 'out', ok: false, detail: 'not started (start() has not succeeded yet)' });
});

test('HealthMonitor: a health() that never settles, or answers garbage, is unhealthy', async () => {
  const logs = captureLogs();
  const target = (id: string, health: () => unknown): HealthTarget => ({
    kind: 'filter', type: 't', id, component: `filter:t:${id}`, instance: { health: health as never }, started: () => true,
  });
  const monitor = new HealthMonitor([target('hangs', () => new Promise(() => undefined)), target('garbage', () => 'fine')], new MetricsRegistry(), logs.logger, 30);
  assert.equal(await monitor.check(), [
    { kind: 'filter', type: 't', id: 'hangs', ok: false, detail: 'health() did not settle within 30 ms' },
    { kind: 'filter', type: 't', id: 'garbage', ok: false, detail: 'health() did not return { ok: boolean, detail?: string }' },
  ]);
});

test('flush(): called at shutdown after the last batch and before stop(); on demand through RunningServer.flush()', async () => {
  const input = fakeInputPlugin('fake-in');
  const script: OutputScript = { calls: [] };
  running = await startWith(TOML, [input.plugin, scriptedFilterPlugin().plugin, scriptedOutput(script)]);
  input.get('in').emit(makeRecords(3));
  await waitFor(() => script.calls.includes('send:3'), 2000, 'batch sent');
  await running.server.flush();
  assert.equal(script.calls, ['send:3', 'flush']);
  input.get('in').onStop = () => void input.get('in').emit(makeRecords(2));
  await running.server.stop('test');
  assert.equal(script.calls, ['send:3', 'flush', 'send:2', 'flush', 'stop']);
});

test('flush(): one that throws is counted and logged; shutdown goes on', async () => {
  const script: OutputScript = { calls: [], flush: () => Promise.reject(new Error('fsync: EIO')) };
  running = await startWith(TOML, [fakeInputPlugin('fake-in').plugin, scriptedFilterPlugin().plugin, scriptedOutput(script)]);
  await running.server.flush();
  const report = await running.server.stop('test');
  assert.is(report.timedOut, false);
  assert.equal(script.calls, ['flush', 'flush', 'stop']);
  assert.is(running.server.metrics.value('ogrt_component_errors_total', { component_id: 'out', error_type: 'flush_failed' }), 2);
  const logged = running.logs.withCode('OGRT_ERR_OUTPUT_FLUSH');
  assert.is(logged.length, 2);
  assert.is(logged[0].msg, 'output out failed to flush: fsync: EIO');
  assert.is(logged[0].component, 'output:scripted-out:out');
});

test.run();
