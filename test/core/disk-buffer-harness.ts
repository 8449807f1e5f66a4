/** DiskQueue in tests: options, counting hooks, draining, small file systems for ENOSPC. */
import { execFileSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DiskQueue, type DiskHooks, type DiskQueueOptions } from '../../src/core/disk-buffer.ts';
import { captureLogs, type CapturedLogs } from '../helpers/logs.ts';
import { waitFor } from '../helpers/wait.ts';
import type { OgrtRecord } from '../../src/core/record.ts';

export interface Counts {
  admitted: number;
  dropped: number;
  refused: number;
  events: number;
  bytes: number;
  errors: Record<string, number>;
  lost: Record<string, number>;
  corruptBytes: number;
  replayed: number;
}

export function countingHooks(): { hooks: DiskHooks; counts: Counts } {
  const counts: Counts = { admitted: 0, dropped: 0, refused: 0, events: 0, bytes: 0, errors: {}, lost: {}, corruptBytes: 0, replayed: 0 };
  const hooks: DiskHooks = {
    admitted: (n) => (counts.admitted += n),
    dropped: (n) => (counts.dropped += n),
    refused: (n) => (counts.refused += n),
    level: (events, bytes) => {
      counts.events = events;
      counts.bytes = bytes;
    },
    error: (t) => (counts.errors[t] = (counts.errors[t] ?? 0) + 1),
    lost: (reason, n) => (counts.lost[reason] = (counts.lost[reason] ?? 0) + n),
    corruptBytes: (n) => (counts.corruptBytes += n),
    replayed: (n) => (counts.replayed += n),
  };
  return { hooks, counts };
}

export interface OpenQueue {
  readonly q: DiskQueue;
  readonly counts: Counts;
  readonly logs: CapturedLogs;
}

export function queueOptions(dir: string, logs: CapturedLogs, over: Partial<DiskQueueOptions> = {}): DiskQueueOptions {
  return {
    output: 'out',
    dir,
    limits: { maxEvents: 100_000, maxBytes: 64 * 1024 * 1024, whenFull: 'block' },
    fsync: 'batch',
    fsyncIntervalMs: 1000,
    segmentMaxBytes: 16 * 1024,
    windowEvents: 50,
    windowBytes: 1024 * 1024,
    maxPendingBytes: 4 * 1024 * 1024,
    log: logs.logger,
    ...over,
  };
}

/** A DiskQueue on `dir`, opened (the first attempt awaited). */
export async function openQueue(dir: string, over: Partial<DiskQueueOptions> = {}): Promise<OpenQueue> {
  const logs = captureLogs();
  const { hooks, counts } = countingHooks();
  const q = new DiskQueue(queueOptions(dir, logs, over), hooks);
  await q.open();
  return { q, counts, logs };
}

/** Takes batches and acknowledges them until nothing is held; returns the records in delivery order. */
export async function deliverAll(q: DiskQueue, batch = 10, timeoutMs = 5000): Promise<OgrtRecord[]> {
  const out: OgrtRecord[] = [];
  await waitFor(
    () => {
      for (;;) {
        const t = q.take(batch, Number.MAX_SAFE_INTEGER);
        if (t === undefined) break;
        out.push(...t.records);
        q.release(t.records.length, t.bytes, t.seqs);
      }
      return q.heldEvents === 0;
    },
    timeoutMs,
    'the disk buffer to deliver everything',
  );
  return out;
}

export async function stop(q: DiskQueue): Promise<void> {
  q.close();
  await q.shutdown(1000);
}

export function uuids(records: readonly OgrtRecord[]): string[] {
  return records.map((r) => r.uuid);
}

/**
 * A directory on a tmpfs of `kib` KiB, for real ENOSPC; undefined when
 * mounting is not permitted (not root). `unmount` removes it.
 */
export async function smallFileSystem(parent: string, kib: number): Promise<{ dir: string; unmount(): Promise<void> } | undefined> {
  const dir = path.join(parent, 'small-fs');
  await mkdir(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    await rm(dir, { recursive: true, force: true });
    return undefined;
  }
  return {
    dir,
    unmount: async () => {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
