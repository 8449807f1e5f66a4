/**
 * The write loop of a disk buffer (DiskQueue, disk-buffer.ts): group
 * commit. Whatever offers queued while the previous write was in progress
 * goes out in one write, then (fsync = "batch") one fdatasync, then their
 * offers resolve. A failed write (disk full, I/O error, directory gone) is
 * retried with backoff and the offers stay pending (block: the inputs wait),
 * or, with when_full = "drop_newest", the unwritten records are dropped for
 * this output and counted.
 */
import type { OgrtRecord } from './record.ts';
import { OgrtError } from './errors.ts';
import type { DiskQueue } from './disk-buffer.ts';
import type { Appended } from './disk-buffer-writer.ts';

/** Encoded records of one offer (or the part of it that fitted), waiting to be written. */
export interface Chunk {
  readonly buffer: Buffer;
  readonly entrySizes: number[];
  readonly records: readonly OgrtRecord[];
  readonly wires: number[];
  readonly firstSeq: number;
  /** Resolves the offer once this chunk (its last) is written and synced per policy. */
  done: (() => void) | undefined;
}

/** Backoff after the n-th consecutive failure: 50 ms doubling, at most 1 s (cheap to retry, quick to recover). */
export function failureDelay(failures: number): number {
  return Math.min(1000, 50 * 2 ** Math.min(Math.max(failures - 1, 0), 10));
}

/** Failures of one kind are logged at the first one, then at most this often. */
const REPEAT_LOG_MS = 60_000;

export class WriteLoop {
  private running = false;
  private unsynced: Chunk[] = [];
  private syncDue = false;
  private syncTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private retryAt = 0;
  private lastLog = 0;

  constructor(private readonly q: DiskQueue) {}

  get failing(): boolean {
    return this.failures > 0;
  }

  /** Failing and not yet due for the next attempt. */
  get backingOff(): boolean {
    return this.failures > 0 && Date.now() < this.retryAt;
  }

  /** Something admitted is not yet written and synced (per policy). */
  get busy(): boolean {
    return this.running || this.q.pending.length > 0 || this.unsynced.length > 0;
  }

  kick(): void {
    if (this.running || !this.q.opened || this.q.shutDown) return;
    const wait = this.retryAt - Date.now();
    if (wait > 0) {
      this.retryTimer ??= setTimeout(() => {
        this.retryTimer = undefined;
        this.kick();
      }, wait);
      return;
    }
    if (this.q.pending.length === 0 && this.unsynced.length === 0 && !this.syncDue) return;
    this.running = true;
    void this.run();
  }

  /** Shutdown: writes until nothing is pending or the deadline passes; returns the records left unwritten. */
  async finish(deadline: number): Promise<number> {
    const q = this.q;
    if (this.syncTimer !== undefined) {
      clearTimeout(this.syncTimer);
      this.syncTimer = undefined;
      this.syncDue = true;
    }
    this.kick();
    while (this.busy && Date.now() < deadline) {
      await Promise.race([q.written.wait(), delay(Math.min(50, deadline - Date.now()))]);
      this.kick();
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    let unwritten = 0;
    for (const c of q.pending) {
      unwritten += c.records.length;
      c.done?.();
    }
    q.pending = [];
    q.pendingBytes = 0;
    // Written but not synced: they survive the process; resolve their offers.
    for (const c of this.unsynced) c.done?.();
    this.unsynced = [];
    return unwritten;
  }

  private async run(): Promise<void> {
    const q = this.q;
    for (;;) {
      if (this.unsynced.length > 0 || this.syncDue) {
        this.syncDue = false;
        try {
          await q.writer.sync();
        } catch (err) {
          this.failed(err);
          return;
        }
        const done = this.unsynced;
        this.unsynced = [];
        this.succeeded();
        for (const c of done) c.done?.();
        continue;
      }
      if (q.pending.length === 0) break;
      const chunks = q.pending;
      const bytes = q.pendingBytes;
      q.pending = [];
      q.pendingBytes = 0;
      const last = chunks[chunks.length - 1];
      const buffers = new Array<Buffer>(chunks.length);
      for (let i = 0; i < chunks.length; i++) buffers[i] = chunks[i].buffer;
      let appended: Appended;
      try {
        appended = await q.writer.append(buffers, bytes, chunks[0].firstSeq, last.firstSeq + last.records.length - 1);
      } catch (err) {
        const dropped = this.appendFailed(chunks, bytes);
        await this.freeSpace();
        this.failed(err);
        // Offers whose records were dropped resolve only now, with the failure on record.
        for (const c of dropped) c.done?.();
        return;
      }
      q.readLoop.handOver(chunks, appended);
      if (q.options.fsync === 'batch') {
        for (const c of chunks) this.unsynced.push(c);
      } else {
        this.succeeded();
        for (const c of chunks) c.done?.();
        this.scheduleSync();
      }
      q.unpark();
    }
    this.running = false;
    q.written.notify();
  }

  /** Puts the chunks back (block) or drops everything unwritten (drop_newest); returns the dropped chunks. */
  private appendFailed(chunks: Chunk[], bytes: number): Chunk[] {
    const q = this.q;
    if (q.limits.whenFull === 'block') {
      q.pending = chunks.concat(q.pending);
      q.pendingBytes += bytes;
      return [];
    }
    // drop_newest: never make the inputs wait on this output; what is not written is dropped (counted).
    const all = chunks.concat(q.pending);
    q.pending = [];
    q.pendingBytes = 0;
    q.nextSeq = all[0].firstSeq;
    let lost = 0;
    for (const c of all) {
      lost += c.records.length;
      q.diskBytes -= c.buffer.length;
    }
    q.heldEvents = Math.max(0, q.heldEvents - lost);
    q.hooks.lost('buffer_write_failed', lost);
    q.hooks.level(q.heldEvents, q.diskBytes);
    return all;
  }

  /**
   * After a failed append: when every record of the active segment is
   * acknowledged, close it so that it is deleted (on a full disk it may be
   * the only thing there is to delete).
   */
  private async freeSpace(): Promise<void> {
    const q = this.q;
    const active = q.writer.active;
    if (active === undefined || active.lastSeq < active.firstSeq || active.lastSeq >= q.acks.floor) return;
    try {
      await q.writer.retire();
    } catch {
      return;
    }
    q.floorMoved();
  }

  private failed(err: unknown): void {
    const q = this.q;
    this.failures++;
    this.retryAt = Date.now() + failureDelay(this.failures);
    q.hooks.error('buffer_write_failed');
    const now = Date.now();
    if (this.failures === 1 || now - this.lastLog >= REPEAT_LOG_MS) {
      this.lastLog = now;
      const e = new OgrtError('OGRT_ERR_BUFFER_WRITE', [q.options.output, q.options.dir, (err as Error)?.message ?? String(err)], { cause: err });
      const then = q.limits.whenFull === 'block' ? 'retrying; inputs wait meanwhile' : 'retrying; new records are dropped for this output meanwhile';
      q.log.error({ code: e.code, path: q.options.dir, failures: this.failures, err }, `${e.message} (${then})`);
    }
    this.running = false;
    q.written.notify();
    this.kick();
  }

  private succeeded(): void {
    if (this.failures === 0) return;
    this.q.log.info({ path: this.q.options.dir, failed_attempts: this.failures }, 'disk buffer writable again');
    this.failures = 0;
    this.retryAt = 0;
  }

  private scheduleSync(): void {
    this.syncTimer ??= setTimeout(() => {
      this.syncTimer = undefined;
      this.syncDue = true;
      this.kick();
    }, this.q.options.fsyncIntervalMs);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
