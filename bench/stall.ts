/**
 * Memory under stall: ogrt-server with an output that never acknowledges
 * (bench/plugins/never-ack.mjs), and a sender that floods it for N seconds
 * with the workload stream, repeated. The server's RSS is sampled every
 * 250 ms; VmHWM gives the peak. What the sender experienced:
 *  - when_full = "block": the input stops reading once the output's buffer
 *    is full, so the sender's writes stop draining: time blocked, bytes the
 *    kernel accepted before that;
 *  - when_full = "drop_newest": the sender never blocks; the server drops
 *    what does not fit and counts it. Dropped records are read three ways:
 *    the server's counter (ogrt_component_discarded_events_total on the
 *    dashboard's /metrics), its warnings (OGRT_ERR_OUTPUT_QUEUE_FULL, at most
 *    one per 10 s, so the last seconds' drops are not logged yet), and
 *    frames sent minus records held (the buffer's content, logged as
 *    unflushed at shutdown).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, vmMiB } from './proc.ts';
import { sendStream } from './sender.ts';
import type { LoadedStream } from './workload.ts';
import { freePort, type Receiver } from './peers/daemon.ts';
import { startOgrt, type ServerCommand } from './peers/ogrt.ts';

export const NEVER_ACK_PLUGIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'plugins/never-ack.mjs');

export type WhenFull = 'block' | 'drop_newest';

export interface StallResult {
  readonly whenFull: WhenFull;
  readonly seconds: number;
  readonly peakRssMiB: number;
  readonly rssAtEndMiB: number;
  /** Peak RSS seen by sampling in each 10 % slice of the flood, to show the plateau. */
  readonly rssTimeline: readonly number[];
  /** Time the sender spent waiting for 'drain' in total, and its longest single wait. */
  readonly senderBlockedSeconds: number;
  readonly longestBlockSeconds: number;
  readonly firstLongBlockAtSeconds: number | null;
  readonly bytesAccepted: number;
  readonly framesSent: number;
  /** ogrt_component_discarded_events_total{reason="queue_full"} of the output, from /metrics. */
  readonly droppedCounted: number | null;
  /** Records the input had decoded and emitted when the flood ended (its ogrt_component_received_events_total). */
  readonly inputRecords: number | null;
  /** Sum of `records` in OGRT_ERR_OUTPUT_QUEUE_FULL warnings. */
  readonly droppedLogged: number;
  /** Records the output still held at shutdown (OGRT_ERR_SHUTDOWN_TIMEOUT's `unflushed`). */
  readonly held: number | null;
  /** drop_newest: framesSent − held (every frame sent was read: the input never pauses). */
  readonly droppedComputed: number | null;
  readonly serverCpuSeconds: number;
  readonly errors: readonly string[];
}

export interface StallOptions {
  readonly stream: LoadedStream;
  readonly server: ServerCommand;
  readonly seconds: number;
  readonly whenFull: WhenFull;
  readonly nodeArgs?: readonly string[];
}

interface LogLine {
  code?: string;
  records?: number;
  unflushed?: number;
  level?: string;
  msg?: string;
}

function logLines(output: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as LogLine);
    } catch {
      // a torn line: ignore
    }
  }
  return out;
}

/** Sum of the samples of `name` in Prometheus text whose labels contain every `want` pair. */
export function promSum(text: string, name: string, want: Readonly<Record<string, string>>): number | null {
  let sum: number | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    const labels = line.slice(name.length, line.lastIndexOf(' '));
    if (!Object.entries(want).every(([k, v]) => labels.includes(`${k}="${v}"`))) continue;
    sum = (sum ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

/** Waits until the process used no CPU for `quietMs` (it finished reading what was sent). */
async function whenIdle(pid: number, quietMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = cpuSeconds(pid);
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    const now = cpuSeconds(pid);
    if (now - last > 0.02) quietSince = Date.now();
    last = now;
    if (Date.now() - quietSince >= quietMs) return;
  }
}

export async function runStall(opts: StallOptions): Promise<StallResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `ogrt-bench-stall-`));
  let server: Receiver | undefined;
  const httpPort = await freePort();
  try {
    server = await startOgrt({
      dir,
      port: await freePort(),
      command: opts.server,
      template: 'ogrt-stall.conf',
      values: { PLUGIN: NEVER_ACK_PLUGIN, WHEN_FULL: opts.whenFull, HTTP_PORT: httpPort },
      label: `ogrt-server stall (${opts.whenFull})`,
      nodeArgs: opts.nodeArgs,
    });
    const pid = server.pid;
    const cpuBefore = cpuSeconds(pid);
    const slices = new Array<number>(10).fill(0);
    const floodMs = opts.seconds * 1000;
    const t0 = performance.now();
    const sampler = setInterval(() => {
      const slice = Math.min(9, Math.floor(((performance.now() - t0) / floodMs) * 10));
      try {
        slices[slice] = Math.max(slices[slice], vmMiB(pid, 'VmRSS'));
      } catch {
        // exited: reported below
      }
    }, 250);
    let sent;
    try {
      sent = await sendStream(opts.stream, { port: server.port, floodMs });
    } finally {
      clearInterval(sampler);
    }
    if (!server.running()) throw new Error(`ogrt-server exited during the flood:\n${server.output().slice(-4000)}`);
    const rssAtEndMiB = vmMiB(pid, 'VmRSS');
    if (opts.whenFull === 'drop_newest') await whenIdle(pid, 1000, 30_000);
    const peakRssMiB = vmMiB(pid, 'VmHWM');
    const serverCpuSeconds = cpuSeconds(pid) - cpuBefore;
    let metrics = '';
    try {
      metrics = await scrape(httpPort);
    } catch (err) {
      metrics = `# scrape failed: ${(err as Error).message}`;
    }
    await server.stop();

    const logs = logLines(server.output());
    const droppedLogged = logs.filter((l) => l.code === 'OGRT_ERR_OUTPUT_QUEUE_FULL').reduce((s, l) => s + (l.records ?? 0), 0);
    const heldLine = logs.find((l) => l.code === 'OGRT_ERR_SHUTDOWN_TIMEOUT' && typeof l.unflushed === 'number');
    const held = heldLine?.unflushed ?? null;
    const errors = logs
      .filter((l) => (l.level === 'error' || l.level === 'fatal') && l.code !== 'OGRT_ERR_SHUTDOWN_TIMEOUT')
      .map((l) => `${l.code ?? ''} ${l.msg ?? ''}`.trim());
    return {
      whenFull: opts.whenFull,
      seconds: opts.seconds,
      peakRssMiB,
      rssAtEndMiB,
      rssTimeline: slices,
      senderBlockedSeconds: sent.blockedMs / 1000,
      longestBlockSeconds: sent.longestBlockMs / 1000,
      firstLongBlockAtSeconds: sent.firstLongBlockAtMs === null ? null : sent.firstLongBlockAtMs / 1000,
      bytesAccepted: sent.bytesAccepted,
      framesSent: sent.framesAccepted,
      droppedCounted: promSum(metrics, 'ogrt_component_discarded_events_total', { component_kind: 'output', reason: 'queue_full' }),
      inputRecords: promSum(metrics, 'ogrt_component_received_events_total', { component_kind: 'input' }),
      droppedLogged,
      held,
      droppedComputed: opts.whenFull === 'drop_newest' && held !== null ? sent.framesAccepted - held : null,
      serverCpuSeconds,
      errors,
    };
  } finally {
    await server?.stop(5_000);
    rmSync(dir, { recursive: true, force: true });
  }
}
