/**
 * Test harness for input-syslog: a fake InputContext that records what the
 * input emits, counts and logs, and helpers to build OGRT records/messages.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pluginValidator } from '../../../src/core/config-validate.ts';
import type { InputContext, MetricLabels, OgrtRecord } from '../../../src/core/plugin-api.ts';
import plugin, { SyslogInput } from '../../../plugins/input-syslog/index.ts';
import type { SyslogInputOptions } from '../../../plugins/input-syslog/options.ts';

export interface LogLine {
  level: string;
  obj: Record<string, unknown>;
  msg: string | undefined;
}

export class FakeContext implements InputContext {
  readonly id: string;
  readonly configDir: string;
  readonly signal = new AbortController().signal;
  readonly records: OgrtRecord[] = [];
  readonly emits: { count: number; bytes: number }[] = [];
  readonly counters = new Map<string, number>();
  readonly gauges = new Map<string, number>();
  readonly lines: LogLine[] = [];
  /** When set, emit() returns it (an output queue is full). */
  block: Promise<void> | undefined;

  constructor(id = 'syslog', configDir = mkdtempSync(path.join(tmpdir(), 'ogrt-syslog-'))) {
    this.id = id;
    this.configDir = configDir;
  }

  readonly log = {
    debug: (obj: object | string, msg?: string) => this.line('debug', obj, msg),
    info: (obj: object | string, msg?: string) => this.line('info', obj, msg),
    warn: (obj: object | string, msg?: string) => this.line('warn', obj, msg),
    error: (obj: object | string, msg?: string) => this.line('error', obj, msg),
  };

  readonly metrics = {
    increment: (name: string, by = 1, labels?: MetricLabels) => {
      const k = key(name, labels);
      this.counters.set(k, (this.counters.get(k) ?? 0) + by);
    },
    setGauge: (name: string, value: number, labels?: MetricLabels) => {
      this.gauges.set(key(name, labels), value);
    },
  };

  emit(records: readonly OgrtRecord[], wireBytes: number): Promise<void> | undefined {
    this.records.push(...records);
    this.emits.push({ count: records.length, bytes: wireBytes });
    return this.block;
  }

  counter(name: string, labels?: MetricLabels): number {
    return this.counters.get(key(name, labels)) ?? 0;
  }

  warnings(kind?: string): LogLine[] {
    return this.lines.filter((l) => l.level === 'warn' && (kind === undefined || l.obj.kind === kind));
  }

  private line(level: string, obj: object | string, msg?: string): void {
    this.lines.push(typeof obj === 'string' ? { level, obj: {}, msg: obj } : { level, obj: obj as Record<string, unknown>, msg });
  }
}

function key(name: string, labels?: MetricLabels): string {
  if (labels === undefined) return name;
  const parts = Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`);
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
}

/** Options with the schema's defaults applied, as the core would hand them over. */
export function options(partial: Record<string, unknown>): SyslogInputOptions {
  const o = structuredClone(partial);
  const validate = pluginValidator(plugin);
  if (!validate(o)) throw new Error(`test options invalid: ${JSON.stringify(validate.errors)}`);
  return o as SyslogInputOptions;
}

/** A started input on 127.0.0.1 port 0 (TCP by default). */
export async function startInput(partial: Record<string, unknown>, ctx = new FakeContext()): Promise<{ input: SyslogInput; ctx: FakeContext }> {
  const input = plugin.create(ctx, options({ listen: '127.0.0.1:0', ...partial })) as SyslogInput;
  await input.start();
  return { input, ctx };
}

let counter = 0;

export function makeRecord(overrides: Partial<OgrtRecord> = {}): OgrtRecord {
  counter++;
  return {
    uuid: randomUUID(),
    kind: 'process',
    time: '2026-11-24T21:40:08.123456Z',
    hostname: 'node042',
    job_id: '4711',
    pid: 10000 + counter,
    parent_pid: 1,
    uid: 1000,
    username: 'alice',
    binpath: '/usr/bin/python3.11',
    cmdline: `python3 -c pass ${counter}`,
    shared_objects: [{ path: '/lib/x86_64-linux-gnu/libc.so.6' }, { path: '/opt/blas/libopenblas.so.0', signature: '0b9c7e4a-1d2e-4f3a-8b5c-6d7e8f9a0b1c' }],
    loaded_modules: [{ name: 'gcc/12.2.0' }],
    environment_variables: [{ name: 'OMP_NUM_THREADS', value: '4' }],
    ...overrides,
  };
}

/** A record big enough to be split into at least `parts` messages of at most 8096 bytes. */
export function makeSplitRecord(parts: number): OgrtRecord {
  const sos = [];
  for (let i = 0; i < parts * 110; i++) sos.push({ path: `/opt/site/lib/very/long/path/for/library/number/${i}/libthing-${i}.so.1.2.3` });
  return makeRecord({ shared_objects: sos });
}

/** The record as the input should deliver it, without the receive info. */
export function withoutReceive(r: OgrtRecord): OgrtRecord {
  const { receive: _receive, ...rest } = r;
  return rest as OgrtRecord;
}

export async function waitFor<T>(cond: () => T, what: string, timeoutMs = 5_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = cond();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
