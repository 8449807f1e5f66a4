/**
 * The in-memory side of a disk buffer:
 *  - ReadyWindow: the few records read ahead from the files (or handed over
 *    by the writer) that the batcher takes batches from. Bounded, so a
 *    buffer of gigabytes on disk costs a few batches of memory.
 *  - AckTracker: which sequence numbers were read and are still waiting for
 *    the output's acknowledgement, and the ack floor (every seq below it is
 *    acknowledged). Acks may arrive out of order (concurrency > 1, partial
 *    results); the floor only moves past a contiguous acknowledged prefix.
 */
import type { OgrtRecord } from './record.ts';
import { fitBatch, type Taken } from './output-queue.ts';

const COMPACT_AT = 4096;

export class ReadyWindow {
  private items: OgrtRecord[] = [];
  private sizes: number[] = [];
  private seqs: number[] = [];
  private head = 0;
  bytes = 0;

  get events(): number {
    return this.items.length - this.head;
  }

  push(record: OgrtRecord, wire: number, seq: number): void {
    this.items.push(record);
    this.sizes.push(wire);
    this.seqs.push(seq);
    this.bytes += wire;
  }

  /** Up to maxEvents records / maxBytes bytes (at least one), in order. */
  take(maxEvents: number, maxBytes: number): Taken | undefined {
    const available = this.items.length - this.head;
    if (available === 0) return undefined;
    const { count, bytes } = fitBatch(this.sizes, this.head, available, maxEvents, maxBytes);
    const end = this.head + count;
    const taken = { records: this.items.slice(this.head, end), sizes: this.sizes.slice(this.head, end), seqs: this.seqs.slice(this.head, end), bytes };
    this.head = end;
    this.bytes -= bytes;
    if (this.head === this.items.length) {
      this.items = [];
      this.sizes = [];
      this.seqs = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AT && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.seqs = this.seqs.slice(this.head);
      this.head = 0;
    }
    return taken;
  }

  clear(): void {
    this.items = [];
    this.sizes = [];
    this.seqs = [];
    this.head = 0;
    this.bytes = 0;
  }
}

export class AckTracker {
  /** Seqs read (in the window or in flight), ascending, not yet popped. */
  private outstanding: number[] = [];
  private head = 0;
  private readonly acked = new Set<number>();

  /** `nextUnread`: seq the reader expects next; the floor when nothing is outstanding. */
  constructor(public nextUnread: number) {}

  get floor(): number {
    return this.head < this.outstanding.length ? this.outstanding[this.head] : this.nextUnread;
  }

  /** A record was read (seqs ascending). */
  read(seq: number): void {
    this.outstanding.push(seq);
    this.nextUnread = seq + 1;
  }

  /** Records acknowledged; returns true when the floor moved. */
  ack(seqs: readonly number[]): boolean {
    const before = this.floor;
    for (let i = 0; i < seqs.length; i++) this.acked.add(seqs[i]);
    const o = this.outstanding;
    while (this.head < o.length && this.acked.delete(o[this.head])) this.head++;
    if (this.head === o.length) {
      this.outstanding = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AT && this.head * 2 >= o.length) {
      this.outstanding = o.slice(this.head);
      this.head = 0;
    }
    return this.floor !== before;
  }
}
