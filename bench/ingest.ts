/**
 * Ingest: one receiver, one run. A fresh receiver process gets the saved
 * stream over TCP; the clock runs from the first byte sent to the moment
 * its output file holds one line per record. Then: records/s, MB/s, CPU
 * seconds of the receiver (all threads, /proc) per 100 000 records, its peak
 * RSS (VmHWM), and a full verification of the output (verify.ts).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuSeconds, loadAverage, vmMiB } from './proc.ts';
import { sendStream, type SendStats } from './sender.ts';
import { verifyOutput, type VerifyResult } from './verify.ts';
import type { LoadedStream } from './workload.ts';
import { freePort, type Receiver } from './peers/daemon.ts';
import { startOgrt, type ServerCommand } from './peers/ogrt.ts';
import { startRsyslog } from './peers/rsyslog.ts';
import { startSyslogNg } from './peers/syslog-ng.ts';

export const RECEIVERS = ['rsyslog', 'syslog-ng', 'ogrt-tcp', 'ogrt-tcp-fsync', 'ogrt-syslog'] as const;
export type ReceiverKind = (typeof RECEIVERS)[number];

export const RECEIVER_LABELS: Readonly<Record<ReceiverKind, string>> = {
  rsyslog: 'rsyslog: imtcp → mmpstrucdata → omfile JSON',
  'syslog-ng': 'syslog-ng: syslog() → format-json file',
  'ogrt-tcp': 'ogrt-server: input-tcp → output-file (fsync none)',
  'ogrt-tcp-fsync': 'ogrt-server: input-tcp → output-file (fsync batch, default)',
  'ogrt-syslog': 'ogrt-server: input-syslog → output-file (fsync none)',
};

export interface IngestRun {
  readonly receiver: ReceiverKind;
  readonly label: string;
  readonly wallSeconds: number;
  readonly recordsPerSecond: number;
  readonly mbPerSecond: number;
  readonly cpuSecondsPer100k: number;
  readonly peakRssMiB: number;
  readonly senderBlockedMs: number;
  readonly loadAverage: number;
  readonly verify: VerifyResult;
}

export interface IngestOptions {
  readonly stream: LoadedStream;
  readonly streamFile: string;
  readonly connections: number;
  readonly server: ServerCommand;
  /** More TOML lines for ogrt-server's [outputs.file] (experiments). */
  readonly outputOptions?: string;
  /** Extra node options for ogrt-server (profiling). */
  readonly nodeArgs?: readonly string[];
  /** Give up when the output stops growing for this long. */
  readonly stallTimeoutMs?: number;
  /** Keep the temp directory (output file, configs) for inspection. */
  readonly keep?: boolean;
  readonly log?: (line: string) => void;
}

async function start(kind: ReceiverKind, dir: string, port: number, opts: IngestOptions): Promise<Receiver> {
  if (kind === 'rsyslog') return startRsyslog({ dir, port });
  if (kind === 'syslog-ng') return startSyslogNg({ dir, port });
  const values = {
    INPUT: kind === 'ogrt-syslog' ? 'syslog' : 'tcp',
    FSYNC: kind === 'ogrt-tcp-fsync' ? 'batch' : 'none',
    OUTPUT_EXTRA: opts.outputOptions ?? '',
  };
  return startOgrt({ dir, port, command: opts.server, template: 'ogrt.conf', values, label: RECEIVER_LABELS[kind], nodeArgs: opts.nodeArgs });
}

/**
 * Resolves with performance.now() at the poll that first saw `lines`
 * complete lines in `file` (polled every 10 ms, reading only what was
 * appended since the last poll). Rejects when the receiver dies or the file
 * stops growing for `stallMs`.
 */
export async function whenLines(file: string, lines: number, receiver: Receiver, stallMs: number): Promise<number> {
  let fd = -1;
  let offset = 0;
  let seen = 0;
  let lastProgress = performance.now();
  const buf = Buffer.allocUnsafe(8 << 20);
  try {
    for (;;) {
      if (fd === -1 && existsSync(file)) fd = openSync(file, 'r');
      if (fd !== -1) {
        const size = fstatSync(fd).size;
        while (offset < size) {
          const n = readSync(fd, buf, 0, Math.min(buf.length, size - offset), offset);
          if (n === 0) break;
          const view = buf.subarray(0, n);
          for (let p = view.indexOf(0x0a); p !== -1; p = view.indexOf(0x0a, p + 1)) seen++;
          offset += n;
          lastProgress = performance.now();
        }
        if (seen >= lines) return performance.now();
      }
      if (!receiver.running()) throw new Error(`${receiver.label} exited with ${seen}/${lines} lines written; it said:\n${receiver.output()}`);
      if (performance.now() - lastProgress > stallMs) {
        throw new Error(`${receiver.label}: output stuck at ${seen}/${lines} lines for ${stallMs} ms; it said:\n${receiver.output().slice(-4000)}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    if (fd !== -1) closeSync(fd);
  }
}

export async function runIngest(kind: ReceiverKind, opts: IngestOptions): Promise<IngestRun> {
  // Write back what earlier runs left dirty in the page cache, so it does not land on this one.
  spawnSync('sync');
  const dir = mkdtempSync(path.join(os.tmpdir(), `ogrt-bench-${kind}-`));
  const n = opts.stream.meta.messages;
  let receiver: Receiver | undefined;
  try {
    receiver = await start(kind, dir, await freePort(), opts);
    const load = loadAverage();
    const cpuBefore = cpuSeconds(receiver.pid);
    const done = whenLines(receiver.outFile, n, receiver, opts.stallTimeoutMs ?? 60_000);
    let sent: SendStats;
    try {
      sent = await sendStream(opts.stream, { port: receiver.port, connections: opts.connections });
    } catch (err) {
      done.catch(() => undefined);
      throw err;
    }
    const doneAt = await done;
    const cpu = cpuSeconds(receiver.pid) - cpuBefore;
    const peakRssMiB = vmMiB(receiver.pid, 'VmHWM');
    await receiver.stop();
    const wallSeconds = (doneAt - sent.startedAt) / 1000;
    const verify = verifyOutput(receiver.outFile, receiver.format, opts.stream.meta);
    return {
      receiver: kind,
      label: receiver.label,
      wallSeconds,
      recordsPerSecond: n / wallSeconds,
      mbPerSecond: opts.stream.meta.bytes / 1e6 / wallSeconds,
      cpuSecondsPer100k: (cpu * 100_000) / n,
      peakRssMiB,
      senderBlockedMs: sent.blockedMs,
      loadAverage: load,
      verify,
    };
  } finally {
    await receiver?.stop(5_000);
    if (opts.keep) opts.log?.(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
