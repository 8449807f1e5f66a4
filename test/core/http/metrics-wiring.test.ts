/**
 * The metrics the dashboard shows are wired to what the core counts: a
 * server whose outputs retry, dead-letter and drop, and whose input gets a
 * malformed message, shows non-zero values for each in /api/metrics and in
 * /metrics — and every series the view reads (VIEW_SERIES) exists for the
 * component, so a renamed metric in the core cannot hide as a silent 0.
 *
 *  - output "flaky": attempt 1 answers retry (and counts an error, as real
 *    outputs do), attempt 2 throws (the core counts the error), attempt 3
 *    rejects → dead letters;
 *  - output "gated": send() waits for the test; its memory buffer holds
 *    GATED_MAX records with when_full = "drop_newest", the rest is dropped.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import path from 'node:path';
import { loadConfig } from '../../../src/core/config.ts';
import { builtinRegistry } from '../../../src/core/builtin-plugins.ts';
import { startServer, type RunningServer } from '../../../src/core/server.ts';
import { INPUT_FIELDS, OUTPUT_FIELDS, VIEW_SERIES } from '../../../src/core/http/metrics-view.ts';
import { fakeOutputPlugin } from '../../helpers/fake-plugins.ts';
import { captureLogs } from '../../helpers/logs.ts';
import { makeRecord } from '../../helpers/records.ts';
import { removeDir, tempDir, writeFiles } from '../../helpers/temp.ts';
import { deferred, waitFor } from '../../helpers/wait.ts';
import { getJson, sendTcp } from '../queries/store-harness.ts';

const SENT = 6;
const GATED_MAX = 2;

interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parsePrometheus(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

const sumOf = (samples: PromSample[], name: string, id: string): number =>
  samples.filter((s) => s.name === name && s.labels.component_id === id).reduce((a, s) => a + s.value, 0);

test('retries, dead letters, drops, errors and a full queue show as non-zero in /api/metrics and /metrics', async () => {
  const fake = fakeOutputPlugin('fake-out');
  const flaky = fake.instance('flaky');
  flaky.send = (batch) => {
    if (batch.attempt === 1) {
      flaky.ctx!.metrics.increment('component_errors_total', 1, { error_type: 'unavailable', stage: 'sending' });
      return { status: 'retry', reason: 'store unavailable' };
    }
    if (batch.attempt === 2) throw new Error('connection reset');
    return { status: 'reject', reason: 'mapping conflict' };
  };
  const gate = deferred();
  fake.instance('gated').send = async () => {
    await gate.promise;
    return { status: 'ok' };
  };

  const dir = await tempDir('ogrt-metrics-');
  let server: RunningServer | undefined;
  try {
    await writeFiles(dir, {
      'ogrt.conf': `
[server]
shutdown_timeout_ms = 5000
[inputs.direct]
type = "tcp"
listen = "127.0.0.1:0"
[outputs.flaky]
type = "fake-out"
batch = { max_events = 100, timeout_ms = 10 }
retry = { initial_backoff_ms = 1, max_backoff_ms = 5 }
[outputs.gated]
type = "fake-out"
batch = { max_events = 1, timeout_ms = 10 }
buffer = { max_events = ${GATED_MAX}, when_full = "drop_newest" }
[dashboard]
listen = "127.0.0.1:0"
`,
    });
    const config = await loadConfig({ configPath: path.join(dir, 'ogrt.conf'), registry: builtinRegistry([fake.plugin]) });
    server = await startServer({ config, logger: captureLogs('warn').logger, random: () => 0.5 });
    const running = server;
    const [host, port] = running.inputs[0].addresses[0].split(':');
    const value = (name: string, id: string) => running.metrics.value(name, { component_id: id });

    await sendTcp(host, Number(port), Array.from({ length: SENT }, (_, i) => makeRecord({ pid: i + 1 })));
    // One message that is not RFC 5424: an error and a discarded message of the input.
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host, port: Number(port) }, () => socket.end('7 garbage'));
      socket.on('error', reject);
      socket.on('close', () => resolve());
    });
    await waitFor(() => value(VIEW_SERIES.dead_lettered, 'flaky') === SENT, 5_000, 'dead letters of flaky');
    await waitFor(() => value(VIEW_SERIES.discarded, 'gated') === SENT - GATED_MAX && value(VIEW_SERIES.errors, 'direct') === 1, 5_000, 'drops and the input error');
    const flakyBatches = flaky.batches.filter((b) => b.attempt === 1).length;

    const url = running.dashboard!.url;
    const view = (await getJson(`${url}/api/metrics`)).body;
    const input = view.inputs.find((c: { id: string }) => c.id === 'direct');
    const byId = (id: string) => view.outputs.find((c: { id: string }) => c.id === id);
    assert.equal([input.processed, input.discarded, input.errors], [SENT, 1, 1]);
    assert.ok(input.received_bytes > 0 && input.processed_bytes > 0);
    const f = byId('flaky');
    assert.equal(
      { processed: f.processed, dead_lettered: f.dead_lettered, retries: f.retries, errors: f.errors, dropped: f.dropped, queue_depth: f.queue_depth },
      { processed: 0, dead_lettered: SENT, retries: 2 * flakyBatches, errors: 2 * flakyBatches, dropped: 0, queue_depth: 0 },
    );
    assert.is(f.duration.count, 3 * flakyBatches);
    const g = byId('gated');
    assert.equal([g.processed, g.dropped, g.queue_depth, g.dead_lettered, g.retries, g.errors], [0, SENT - GATED_MAX, GATED_MAX, 0, 0, 0]);
    assert.ok(g.buffer_bytes > 0, `gated holds bytes: ${g.buffer_bytes}`);

    const prom = parsePrometheus((await getJson(`${url}/metrics`)).body as string);
    assert.is(sumOf(prom, 'ogrt_component_retries_total', 'flaky'), 2 * flakyBatches);
    assert.is(sumOf(prom, 'ogrt_component_dead_lettered_events_total', 'flaky'), SENT);
    assert.is(sumOf(prom, 'ogrt_component_errors_total', 'flaky'), 2 * flakyBatches);
    assert.is(sumOf(prom, 'ogrt_component_errors_total', 'direct'), 1);
    assert.is(sumOf(prom, 'ogrt_component_discarded_events_total', 'gated'), SENT - GATED_MAX);
    assert.is(sumOf(prom, 'ogrt_buffer_events', 'gated'), GATED_MAX);
    assert.ok(sumOf(prom, 'ogrt_buffer_bytes', 'gated') > 0);

    // Every series the view reads exists for the components that should write it.
    const snapshot = running.metrics.snapshot();
    const series = [...snapshot.counters, ...snapshot.gauges, ...snapshot.windows];
    const has = (name: string, id: string) => series.some((s) => s.name === name && s.labels.component_id === id);
    for (const field of INPUT_FIELDS) assert.ok(has(VIEW_SERIES[field], 'direct'), `input series ${VIEW_SERIES[field]} (${field})`);
    for (const id of ['flaky', 'gated']) {
      for (const field of OUTPUT_FIELDS) {
        if (id === 'gated' && (field === 'dead_lettered' || field === 'errors')) continue; // nothing went wrong there
        assert.ok(has(VIEW_SERIES[field], id), `output ${id} series ${VIEW_SERIES[field]} (${field})`);
      }
    }

    gate.resolve();
    await waitFor(async () => {
      const o = (await getJson(`${url}/api/metrics`)).body.outputs.find((c: { id: string }) => c.id === 'gated');
      return o.processed === GATED_MAX && o.queue_depth === 0 && o.buffer_bytes === 0;
    }, 5_000, 'the gated output to drain');
  } finally {
    gate.resolve();
    await server?.stop('test done');
    await removeDir(dir);
  }
});

test.run();
