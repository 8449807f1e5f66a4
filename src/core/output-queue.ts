/**
 * One output's bounded queue. The bound (buffer.max_events / max_bytes)
 * covers every record the output holds: waiting to be batched AND in flight
 * (sending, backing off, being dead-lettered), so a stalled store cannot
 * make the server grow without limit. Records leave the bound only when
 * release()d (acknowledged or dead-lettered).
 *
 * When a chunk does not fit:
 *  - block: as many records as fit are admitted, the rest is parked and
 *    offer() returns a promise that resolves once the whole chunk is in; the
 *    input pauses reading until then. Parked chunks are admitted in order.
 *  - drop_newest: what does not fit is dropped for this output only, counted.
 * A single record larger than max_bytes is admitted when the queue is empty
 * (it could never fit otherwise).
 *
 * `buffer.type = "disk"` outputs use DiskQueue (disk-buffer.ts) instead,
 * behind the same BufferQueue interface.
 */
import type { OgrtRecord } from './record.ts';
import type { WhenFull } from './config-schema.ts';
import type { RecordEntry } from './record-json.ts';

export interface QueueLimits {
  readonly maxEvents: number;
  readonly maxBytes: number;
  readonly whenFull: WhenFull;
}

export interface QueueHooks {
  /** Records entered the queue. */
  admitted(events: number, bytes: number): void;
  /** drop_newest: records that did not fit. */
  dropped(events: number, bytes: number): void;
  /** Records offered after close(). */
  refused(events: number, bytes: number): void;
  /** Held events/bytes changed. */
  level(events: number, bytes: number): void;
}

export interface Taken {
  /** Records, or their JSON for an output that takes JSON (record-json.ts). */
  readonly records: readonly RecordEntry[];
  /** Wire bytes of each record (the chunk's bytes spread evenly). */
  readonly sizes: number[];
  readonly bytes: number;
  /** Disk buffer: each record's sequence number, handed back to release(). */
  readonly seqs?: number[];
}

/** What the batcher, the delivery loop and the pipeline need from an output's buffer. */
export interface BufferQueue {
  readonly limits: QueueLimits;
  readonly ready: Notifier;
  readonly released: Notifier;
  readonly readyEvents: number;
  readonly readyBytes: number;
  readonly readySince: number;
  wakeEvents: number;
  wakeBytes: number;
  /** Records held (queued, in flight; for a disk buffer: not yet acknowledged). */
  readonly heldEvents: number;
  readonly parkedEvents: number;
  /**
   * No more records can become ready until some are released: the batcher
   * sends what is ready instead of waiting for a batch that cannot fill
   * (buffer.max_events or max_bytes below the batch limits).
   */
  readonly full: boolean;
  /**
   * `encoded`: the same records as JSON entries (record-json.ts), when the
   * output takes JSON; a memory buffer then holds those instead.
   */
  offer(records: readonly OgrtRecord[], wireBytes: number, encoded?: readonly RecordEntry[]): Promise<void> | undefined;
  take(maxEvents: number, maxBytes: number): Taken | undefined;
  /** Records acknowledged or dead-lettered; `seqs` as taken (disk buffer). */
  release(events: number, bytes: number, seqs?: readonly number[]): void;
  whenEmpty(): Promise<void>;
  /** No more offers; returns the records that will never be delivered. */
  close(): number;
}

interface Parked {
  readonly records: readonly RecordEntry[];
  from: number;
  readonly per: number;
  readonly first: number;
  readonly resolve: () => void;
}

/** Many waiters, woken together; cheap when nobody waits. */
export class Notifier {
  private waiters: (() => void)[] = [];

  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  get waiting(): boolean {
    return this.waiters.length > 0;
  }

  notify(): void {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

const COMPACT_AT = 4096;

export class OutputQueue implements BufferQueue {
  /** Woken when ready records reach the batch thresholds, when the queue becomes non-empty, and on close. */
  readonly ready = new Notifier();
  /** Woken whenever held records are released. */
  readonly released = new Notifier();

  /** [head, length) are waiting; slots before head are cleared. */
  private items: (RecordEntry | undefined)[] = [];
  private sizes: number[] = [];
  private head = 0;
  private parked: Parked[] = [];
  private closed = false;

  readyBytes = 0;
  heldEvents = 0;
  heldBytes = 0;
  full = false;
  /** performance.now() when the oldest not-yet-batched record became ready. */
  readySince = 0;
  /** Wake batch waiters once this many records / bytes are ready. */
  wakeEvents = 1;
  wakeBytes = Number.MAX_SAFE_INTEGER;

  constructor(readonly limits: QueueLimits, private readonly hooks: QueueHooks) {}

  get readyEvents(): number {
    return this.items.length - this.head;
  }

  /** Records waiting in parked (blocked) offers. */
  get parkedEvents(): number {
    let n = 0;
    for (const p of this.parked) n += p.records.length - p.from;
    return n;
  }

  /** See the file comment. Returns undefined when every record is in (or dropped). */
  offer(records: readonly OgrtRecord[], wireBytes: number, encoded?: readonly RecordEntry[]): Promise<void> | undefined {
    if (encoded !== undefined) return this.offerEntries(encoded, wireBytes);
    return this.offerEntries(records, wireBytes);
  }

  private offerEntries(records: readonly RecordEntry[], wireBytes: number): Promise<void> | undefined {
    const n = records.length;
    if (n === 0) return undefined;
    const per = Math.floor(wireBytes / n);
    const first = wireBytes - per * (n - 1);
    if (this.closed) {
      this.hooks.refused(n, wireBytes);
      return undefined;
    }
    const admittedUpTo = this.parked.length > 0 ? 0 : this.admit(records, 0, per, first);
    if (admittedUpTo === n) return undefined;
    if (this.limits.whenFull === 'drop_newest') {
      const left = n - admittedUpTo;
      this.hooks.dropped(left, admittedUpTo === 0 ? wireBytes : per * left);
      return undefined;
    }
    return new Promise<void>((resolve) => {
      this.parked.push({ records, from: admittedUpTo, per, first, resolve });
    });
  }

  /** Up to maxEvents records / maxBytes bytes (at least one record) for a batch. */
  take(maxEvents: number, maxBytes: number): Taken | undefined {
    const available = this.items.length - this.head;
    if (available === 0) return undefined;
    const { count, bytes } = fitBatch(this.sizes, this.head, available, maxEvents, maxBytes);
    const records = this.items.slice(this.head, this.head + count) as RecordEntry[];
    const sizes = this.sizes.slice(this.head, this.head + count);
    // The queue must not keep taken records alive until it compacts: they
    // would outlive their delivery, be promoted to the old generation and cost
    // full collections (most of the server's GC time before this line).
    this.items.fill(undefined, this.head, this.head + count);
    this.head += count;
    this.readyBytes -= bytes;
    if (this.head === this.items.length) {
      this.items = [];
      this.sizes = [];
      this.head = 0;
    } else {
      if (this.head >= COMPACT_AT && this.head * 2 >= this.items.length) {
        this.items = this.items.slice(this.head);
        this.sizes = this.sizes.slice(this.head);
        this.head = 0;
      }
      // The rest starts a new batch now.
      this.readySince = performance.now();
    }
    return { records, sizes, bytes };
  }

  /** Records acknowledged or dead-lettered: room for more. */
  release(events: number, bytes: number): void {
    if (events === 0) return;
    this.heldEvents -= events;
    this.heldBytes -= bytes;
    this.full = false;
    this.unpark();
    this.hooks.level(this.heldEvents, this.heldBytes);
    this.released.notify();
  }

  /** Resolves once nothing is held and nothing is parked. */
  async whenEmpty(): Promise<void> {
    while (this.heldEvents > 0 || this.parked.length > 0) await this.released.wait();
  }

  /**
   * No more offers; parked offers resolve (their inputs must not hang).
   * Returns how many parked records were never admitted.
   */
  close(): number {
    this.closed = true;
    const parked = this.parkedEvents;
    for (const p of this.parked) p.resolve();
    this.parked = [];
    this.ready.notify();
    this.released.notify();
    return parked;
  }

  /** Admits records[from..] while they fit; returns the index of the first one not admitted. */
  private admit(records: readonly RecordEntry[], from: number, per: number, first: number): number {
    const { maxEvents, maxBytes } = this.limits;
    const wasEmpty = this.items.length === this.head;
    let i = from;
    let bytes = 0;
    for (; i < records.length; i++) {
      const size = i === 0 ? first : per;
      if (this.heldEvents >= maxEvents) break;
      if (this.heldBytes + size > maxBytes && this.heldEvents > 0) break;
      this.items.push(records[i]);
      this.sizes.push(size);
      this.heldEvents++;
      this.heldBytes += size;
      bytes += size;
    }
    const count = i - from;
    this.full = i < records.length || this.heldEvents >= maxEvents || this.heldBytes >= maxBytes;
    if (count > 0) {
      this.readyBytes += bytes;
      if (wasEmpty) this.readySince = performance.now();
      this.hooks.admitted(count, bytes);
      this.hooks.level(this.heldEvents, this.heldBytes);
      if (wasEmpty || this.full || this.readyEvents >= this.wakeEvents || this.readyBytes >= this.wakeBytes) this.ready.notify();
    }
    return i;
  }

  private unpark(): void {
    while (this.parked.length > 0) {
      const p = this.parked[0];
      p.from = this.admit(p.records, p.from, p.per, p.first);
      if (p.from < p.records.length) return;
      this.parked.shift();
      p.resolve();
    }
  }
}

/**
 * How many records from `head` make one batch: at most `maxEvents` and
 * `maxBytes`, but always at least one (a larger record goes alone).
 */
export function fitBatch(sizes: readonly number[], head: number, available: number, maxEvents: number, maxBytes: number): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  while (count < available && count < maxEvents) {
    const size = sizes[head + count];
    if (count > 0 && bytes + size > maxBytes) break;
    bytes += size;
    count++;
  }
  return { count, bytes };
}
