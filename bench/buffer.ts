/**
 * Output buffers, through the real server core (startServer, pipeline,
 * batcher, delivery) with an in-process input that emits as fast as emit()
 * lets it and an output that acknowledges every batch at once, so the buffer
 * is what is measured:
 *
 *  1. throughput, records/s from the first emit until the output has
 *     acknowledged every record: memory buffer; disk buffer with
 *     fsync = "batch" (every write fdatasync'ed before emit() resolves) and
 *     fsync = "interval"; for 1 and 4 inputs emitting concurrently (group
 *     commit) and for chunks of 100 and 10 records per emit;
 *  2. replay after an outage: RECORDS records are buffered on disk while the
 *     output is down (it answers "retry"); the server is stopped and started
 *     again with the output up; records/s from the restart until all are
 *     delivered (read back from the segment files).
 * Median of 3 runs each. Buffer files go to os.tmpdir().
 *   node --import tsx bench/buffer.ts [records]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PLUGIN_API_VERSION, Type, definePlugin, type InputContext, type SendResult } from '../src/core/plugin-api.ts';
import { PluginRegistry } from '../src/core/registry.ts';
import { loadConfig } from '../src/core/config.ts';
import { createLogger } from '../src/core/logger.ts';
import { startServer, type RunningServer } from '../src/core/server.ts';
import type { OgrtRecord } from '../src/core/record.ts';
import { realisticRecords } from '../test/e2e/durability-harness.ts';

const RECORDS = Number(process.argv[2] ?? 50_000);
const RUNS = 3;
const WIRE_BYTES = 1300;

const inputs = new Map<string, InputContext>();
const benchIn = definePlugin({
  apiVersion: PLUGIN_API_VERSION,
  kind: 'input',
  type: 'bench-in',
  description: 'emits what the benchmark gives it',
  options: Type.Object({}, { additionalProperties: false }),
  create(ctx) {
    inputs.set(ctx.id, ctx);
    return { start: async () => undefined, stop: async () => undefined };
  },
});

const output = { up: true, stored: 0 };
const OK: SendResult = { status: 'ok' };
const DOWN: SendResult = { status: 'retry', reason: 'store down (benchmark)' };
const benchOut = definePlugin({
  apiVersion: PLUGIN_API_VERSION,
  kind: 'output',
  type: 'bench-out',
  description: 'acknowledges at once (or answers retry while down)',
  options: Type.Object({}, { additionalProperties: false }),
  create() {
    return {
      async send(batch) {
        if (!output.up) return DOWN;
        output.stored += batch.records.length;
        return OK;
      },
    };
  },
});

const registry = new PluginRegistry([benchIn, benchOut]);
const logger = createLogger({ level: 'error' });
const records = realisticRecords(RECORDS, 'bench');
const jsonBytes = Math.round(records.slice(0, 100).reduce((s, r) => s + JSON.stringify(r).length, 0) / 100);

async function start(dir: string, buffer: string, inputCount: number): Promise<RunningServer> {
  let toml = '[server]\nshutdown_timeout_ms = 60000\n';
  for (let i = 0; i < inputCount; i++) toml += `[inputs.in${i}]\ntype = "bench-in"\n`;
  toml += `[outputs.out]\ntype = "bench-out"\nbatch = { max_events = 500, timeout_ms = 5 }\nretry = { initial_backoff_ms = 5, max_backoff_ms = 20 }\nbuffer = ${buffer}\n`;
  await writeFile(path.join(dir, 'ogrt.conf'), toml);
  inputs.clear();
  const config = await loadConfig({ configPath: path.join(dir, 'ogrt.conf'), registry });
  return startServer({ config, logger });
}

/** Each input emits its share in chunks, awaiting every emit() (backpressure, durability). */
async function emitAll(inputCount: number, chunk: number): Promise<void> {
  const share = Math.ceil(records.length / inputCount);
  await Promise.all(
    [...Array(inputCount).keys()].map(async (k) => {
      const ctx = inputs.get(`in${k}`)!;
      const mine: OgrtRecord[] = records.slice(k * share, (k + 1) * share);
      for (let i = 0; i < mine.length; i += chunk) await ctx.emit(mine.slice(i, i + chunk), chunk * WIRE_BYTES);
    }),
  );
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((resolve) => setTimeout(resolve, 1));
}

async function throughput(buffer: string, inputCount: number, chunk: number): Promise<number> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ogrt-bench-buffer-'));
  try {
    const server = await start(dir, buffer, inputCount);
    output.up = true;
    output.stored = 0;
    const t0 = performance.now();
    await emitAll(inputCount, chunk);
    await until(() => output.stored >= records.length);
    const rate = records.length / ((performance.now() - t0) / 1000);
    await server.stop();
    return rate;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function replay(): Promise<{ fill: number; replay: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ogrt-bench-replay-'));
  const buffer = '{ type = "disk", path = "buffer" }';
  try {
    let server = await start(dir, buffer, 1);
    output.up = false;
    output.stored = 0;
    const t0 = performance.now();
    await emitAll(1, 100);
    const fill = records.length / ((performance.now() - t0) / 1000);
    await server.stop();
    output.up = true;
    const t1 = performance.now();
    server = await start(dir, buffer, 1);
    await until(() => output.stored >= records.length);
    const rate = records.length / ((performance.now() - t1) / 1000);
    await server.stop();
    return { fill, replay: rate };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1];
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

console.log(`records: ${RECORDS} per run, ~${jsonBytes} bytes of JSON each; node ${process.version}; buffer files in ${os.tmpdir()}`);
console.log('| buffer | inputs | records per emit | records/s (median of 3) | runs |');
console.log('| --- | ---: | ---: | ---: | --- |');
const variants: [string, string][] = [
  ['memory', '{ type = "memory", max_events = 100000 }'],
  ['disk, fsync = "batch"', '{ type = "disk", path = "buffer" }'],
  ['disk, fsync = "interval" (1 s)', '{ type = "disk", path = "buffer", fsync = "interval" }'],
];
for (const [inputCount, chunk] of [[1, 100], [4, 100], [1, 10]] as const) {
  for (const [name, buffer] of variants) {
    const runs: number[] = [];
    for (let r = 0; r < RUNS; r++) runs.push(await throughput(buffer, inputCount, chunk));
    console.log(`| ${name} | ${inputCount} | ${chunk} | ${fmt(median(runs))} | ${runs.map(fmt).join(', ')} |`);
  }
}

console.log('\n| replay after an outage | records/s (median of 3) | runs |');
console.log('| --- | ---: | --- |');
const fills: number[] = [];
const replays: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const { fill, replay: rate } = await replay();
  fills.push(fill);
  replays.push(rate);
}
console.log(`| buffering while the output is down (disk, fsync = "batch") | ${fmt(median(fills))} | ${fills.map(fmt).join(', ')} |`);
console.log(`| replay after restart, read back from the files | ${fmt(median(replays))} | ${replays.map(fmt).join(', ')} |`);
