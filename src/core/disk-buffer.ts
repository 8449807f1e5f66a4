/**
 * `buffer.type = "disk"`: an output's queue as a write-ahead log
 * (docs/buffering.md). Same interface as the memory queue (BufferQueue), so
 * the batcher, delivery and the pipeline do not care which one they drive.
 *
 *  offer()  encodes the records as entries, queues them for the write loop
 *           and returns a promise that resolves once they are written and,
 *           with fsync = "batch", fdatasync'ed: an input's emit() resolves
 *           only for records that survive a crash (and, per policy, a power
 *           loss). Over max_events / max_bytes, `when_full` applies.
 *  take()   hands the batcher records from a small read-ahead window, filled
 *           from the segment files (or straight from the writer while the
 *           output keeps up, without reading back).
 *  release() acknowledges by sequence number; a segment is deleted once
 *           every record in it is acknowledged, and the ack floor is saved.
 *
 * On open, records not acknowledged before a stop or crash are delivered
 * first. The write loop (group commit) is in disk-buffer-write-loop.ts, the
 * read loop in disk-buffer-read-loop.ts.
 */
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import type { OgrtRecord } from './record.ts';
import type { Logger } from './plugin-api.ts';
import { OgrtError } from './errors.ts';
import { Notifier, type BufferQueue, type QueueHooks, type QueueLimits, type Taken } from './output-queue.ts';
import { encodeEntries, ENTRY_HEADER_SIZE, SEGMENT_HEADER_SIZE, ACK_FILE } from './disk-buffer-format.ts';
import { SegmentReader } from './disk-buffer-reader.ts';
import { SegmentWriter, type SegmentInfo } from './disk-buffer-writer.ts';
import { AckFile, BufferLockedError, openBufferDir, releaseDir } from './disk-buffer-store.ts';
import { AckTracker, ReadyWindow } from './disk-buffer-window.ts';
import { WriteLoop, failureDelay, type Chunk } from './disk-buffer-write-loop.ts';
import { ReadLoop } from './disk-buffer-read-loop.ts';

export interface DiskQueueOptions {
  /** Output name, for messages. */
  readonly output: string;
  readonly dir: string;
  readonly limits: QueueLimits;
  /** "batch": fdatasync before offers resolve; "interval": every fsyncIntervalMs. */
  readonly fsync: 'batch' | 'interval';
  readonly fsyncIntervalMs: number;
  readonly segmentMaxBytes: number;
  /** Read-ahead bound: records and wire bytes held in memory, ready for batches. */
  readonly windowEvents: number;
  readonly windowBytes: number;
  /** Encoded bytes waiting for the write loop before further offers wait too. */
  readonly maxPendingBytes: number;
  readonly log: Logger;
}

export interface DiskHooks extends QueueHooks {
  /** An error of the buffer itself (error_type buffer_open_failed, buffer_write_failed, buffer_read_failed, buffer_corrupt). */
  error(errorType: string): void;
  /** Accepted records that will never be delivered, by reason. */
  lost(reason: 'buffer_write_failed' | 'buffer_corrupt' | 'shutdown', events: number): void;
  corruptBytes(bytes: number): void;
  /** Records read back from the files rather than handed over in memory. */
  replayed(events: number): void;
}

interface Parked {
  readonly records: readonly OgrtRecord[];
  from: number;
  readonly per: number;
  readonly first: number;
  readonly resolve: () => void;
}

/** Open failures are logged at the first one, then at most this often. */
const REPEAT_LOG_MS = 60_000;

export class DiskQueue implements BufferQueue {
  readonly ready = new Notifier();
  readonly released = new Notifier();
  /** Woken when the write loop has nothing left to write. */
  readonly written = new Notifier();
  readonly limits: QueueLimits;

  readySince = 0;
  wakeEvents = 1;
  wakeBytes = Number.MAX_SAFE_INTEGER;
  heldEvents = 0;
  /** Bytes of the segment files plus encoded bytes not yet written. */
  diskBytes = 0;

  opened = false;
  closed = false;
  shutDown = false;
  nextSeq = 0;
  segments: SegmentInfo[] = [];
  pending: Chunk[] = [];
  pendingBytes = 0;
  readonly window = new ReadyWindow();
  acks = new AckTracker(0);
  readonly writer: SegmentWriter;
  readSeg: SegmentInfo | undefined;
  reader: SegmentReader | undefined;

  private parked: Parked[] = [];
  private ackFile: AckFile | undefined;
  readonly writeLoop: WriteLoop;
  readonly readLoop: ReadLoop;
  private readonly opening = new AbortController();
  private openFailures = 0;
  private lastOpenLog = 0;

  constructor(readonly options: DiskQueueOptions, readonly hooks: DiskHooks) {
    this.limits = options.limits;
    this.writer = new SegmentWriter(options.dir, options.segmentMaxBytes, (s) => this.onSegment(s));
    this.writeLoop = new WriteLoop(this);
    this.readLoop = new ReadLoop(this);
  }

  get readyEvents(): number {
    return this.window.events;
  }

  /** Nothing more can be admitted until records are acknowledged (BufferQueue.full). */
  get full(): boolean {
    return this.parked.length > 0 || this.heldEvents >= this.limits.maxEvents || this.diskBytes >= this.limits.maxBytes;
  }

  get readyBytes(): number {
    return this.window.bytes;
  }

  get parkedEvents(): number {
    let n = 0;
    for (const p of this.parked) n += p.records.length - p.from;
    return n;
  }

  get log(): Logger {
    return this.options.log;
  }

  /** First attempt to open the directory, awaited; on failure, further attempts run in the background. Never rejects. */
  async open(): Promise<void> {
    if (await this.tryOpen()) return;
    void this.keepOpening();
  }

  offer(records: readonly OgrtRecord[], wireBytes: number): Promise<void> | undefined {
    const n = records.length;
    if (n === 0) return undefined;
    const per = Math.floor(wireBytes / n);
    const first = wireBytes - per * (n - 1);
    if (this.closed) {
      this.hooks.refused(n, wireBytes);
      return undefined;
    }
    const dropping = this.limits.whenFull === 'drop_newest';
    // drop_newest: while writes fail, drop at once; after each backoff one offer probes the disk again.
    if (!this.opened || (dropping && this.writeLoop.backingOff)) {
      if (dropping) {
        this.hooks.lost('buffer_write_failed', n);
        return undefined;
      }
      return this.park(records, 0, per, first);
    }
    const { upTo, chunk } = this.parked.length > 0 ? { upTo: 0, chunk: undefined } : this.admit(records, 0, per, first, false);
    if (upTo === n) return new Promise<void>((resolve) => (chunk!.done = resolve));
    if (dropping) {
      const left = n - upTo;
      this.hooks.dropped(left, upTo === 0 ? wireBytes : per * left);
      return chunk === undefined ? undefined : new Promise<void>((resolve) => (chunk.done = resolve));
    }
    return this.park(records, upTo, per, first);
  }

  take(maxEvents: number, maxBytes: number): (Taken & { readonly records: readonly OgrtRecord[] }) | undefined {
    const taken = this.window.take(maxEvents, maxBytes);
    if (taken === undefined) return undefined;
    if (this.window.events > 0) this.readySince = performance.now();
    this.readLoop.kick();
    // The read window holds records decoded from the segment files, never JSON entries.
    return taken as Taken & { readonly records: readonly OgrtRecord[] };
  }

  release(events: number, bytes: number, seqs?: readonly number[]): void {
    if (events === 0) return;
    this.heldEvents = Math.max(0, this.heldEvents - events);
    if (seqs !== undefined && this.acks.ack(seqs)) this.floorMoved();
    this.unpark();
    this.hooks.level(this.heldEvents, this.diskBytes);
    this.released.notify();
  }

  /** Resolves once every record was acknowledged and nothing waits to get in. */
  async whenEmpty(): Promise<void> {
    while (this.heldEvents > 0 || this.parked.length > 0) await this.released.wait();
  }

  /** Resolves once every admitted record is written (and synced, per policy). */
  async persisted(): Promise<void> {
    while (this.writeLoop.busy) await this.written.wait();
  }

  /**
   * No more offers. Parked records are admitted regardless of the limits,
   * so that shutdown() persists them: nothing accepted is dropped. Returns
   * the records that cannot be persisted (the directory never opened).
   */
  close(): number {
    if (this.closed) return 0;
    this.closed = true;
    let lost = 0;
    for (const p of this.parked) {
      if (!this.opened) {
        lost += p.records.length - p.from;
        p.resolve();
        continue;
      }
      const { chunk } = this.admit(p.records, p.from, p.per, p.first, true);
      if (chunk === undefined) p.resolve();
      else chunk.done = p.resolve;
    }
    this.parked = [];
    this.ready.notify();
    this.released.notify();
    return lost;
  }

  /**
   * After close(): writes what is pending (for up to timeoutMs), saves the
   * ack floor, syncs and closes the files and the lock. Records still
   * unacknowledged stay on disk for the next start.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    this.close();
    this.opening.abort();
    const deadline = Date.now() + timeoutMs;
    const unwritten = await this.writeLoop.finish(deadline);
    if (unwritten > 0) {
      const e = new OgrtError('OGRT_ERR_BUFFER_WRITE', [this.options.output, this.options.dir, `still failing at shutdown: ${unwritten} record(s) were not written and are lost`]);
      this.log.error({ code: e.code, records: unwritten }, e.message);
      this.hooks.lost('shutdown', unwritten);
    }
    this.shutDown = true;
    await this.readLoop.finish(deadline);
    if (!this.opened) return;
    try {
      await this.writer.close();
      await this.ackFile?.close();
    } catch (err) {
      const e = new OgrtError('OGRT_ERR_BUFFER_WRITE', [this.options.output, this.options.dir, (err as Error).message], { cause: err });
      this.log.error({ code: e.code, err }, `${e.message} (while closing; unacknowledged records stay and may be delivered twice)`);
    }
    await this.reader?.close();
    await releaseDir(this.options.dir);
    if (this.heldEvents > 0) {
      this.log.info({ path: this.options.dir, records: this.heldEvents, bytes: this.diskBytes }, 'records kept in the disk buffer; they are delivered after the next start');
    }
  }

  // --- admission ---------------------------------------------------------------

  /** Encodes records[from..] while they fit (all of them when forced) as one pending chunk. */
  admit(records: readonly OgrtRecord[], from: number, per: number, first: number, force: boolean): { upTo: number; chunk: Chunk | undefined } {
    const { maxEvents, maxBytes } = this.limits;
    const json: string[] = [];
    const lengths: number[] = [];
    const wires: number[] = [];
    let bytes = 0;
    let wireBytes = 0;
    let i = from;
    for (; i < records.length; i++) {
      const held = this.heldEvents + (i - from);
      if (!force && (held >= maxEvents || (i > from && this.pendingBytes + bytes >= this.options.maxPendingBytes))) break;
      const text = JSON.stringify(records[i]);
      const len = Buffer.byteLength(text, 'utf8');
      if (!force && held > 0 && this.diskBytes + bytes + ENTRY_HEADER_SIZE + len > maxBytes) break;
      json.push(text);
      lengths.push(len);
      const wire = i === 0 ? first : per;
      wires.push(wire);
      wireBytes += wire;
      bytes += ENTRY_HEADER_SIZE + len;
    }
    const count = i - from;
    if (count === 0) return { upTo: i, chunk: undefined };
    const { buffer, entrySizes } = encodeEntries(json, lengths, wires, this.nextSeq, bytes);
    const chunk: Chunk = {
      buffer,
      entrySizes,
      records: from === 0 && i === records.length ? records : records.slice(from, i),
      wires,
      firstSeq: this.nextSeq,
      done: undefined,
    };
    this.nextSeq += count;
    this.heldEvents += count;
    this.diskBytes += bytes;
    this.pendingBytes += bytes;
    this.pending.push(chunk);
    this.hooks.admitted(count, wireBytes);
    this.hooks.level(this.heldEvents, this.diskBytes);
    this.writeLoop.kick();
    return { upTo: i, chunk };
  }

  private park(records: readonly OgrtRecord[], from: number, per: number, first: number): Promise<void> {
    return new Promise<void>((resolve) => this.parked.push({ records, from, per, first, resolve }));
  }

  /** Admits parked offers, in order, while they fit. */
  unpark(): void {
    if (!this.opened || this.closed) return;
    while (this.parked.length > 0) {
      const p = this.parked[0];
      const { upTo, chunk } = this.admit(p.records, p.from, p.per, p.first, false);
      p.from = upTo;
      if (upTo < p.records.length) return;
      this.parked.shift();
      chunk!.done = p.resolve;
    }
  }

  // --- window, acks, segments -------------------------------------------------

  windowHasRoom(): boolean {
    return this.window.events < this.options.windowEvents && this.window.bytes < this.options.windowBytes;
  }

  /** After records entered the window: the batcher's wake-up rules (as in the memory queue). */
  windowFilled(wasEmpty: boolean): void {
    const w = this.window;
    if (w.events === 0) return;
    if (wasEmpty) this.readySince = performance.now();
    if (wasEmpty || this.full || w.events >= this.wakeEvents || w.bytes >= this.wakeBytes) this.ready.notify();
  }

  setReadSegment(segment: SegmentInfo, position: number): void {
    void this.reader?.close();
    this.readSeg = segment;
    this.reader = new SegmentReader(segment.path, position);
  }

  /** Deletes leading segments whose records are all acknowledged; saves the floor. */
  floorMoved(): void {
    // After shutdown the directory may already belong to someone else.
    if (this.shutDown) return;
    const floor = this.acks.floor;
    while (this.segments.length > 0) {
      const s = this.segments[0];
      if (!s.complete || s === this.writer.active || s.lastSeq >= floor) break;
      if (s === this.readSeg) {
        // Entirely read and acknowledged: the reader moves on (or waits for the writer's next segment).
        if (this.readLoop.running) break;
        const next = this.segments[1];
        if (next !== undefined) this.setReadSegment(next, 0);
        else {
          void this.reader?.close();
          this.readSeg = undefined;
          this.reader = undefined;
        }
      }
      this.segments.shift();
      this.diskBytes -= s.size;
      unlink(s.path).catch((err: unknown) => {
        this.log.warn({ err, file: s.path }, 'cannot delete an acknowledged disk buffer segment');
      });
    }
    this.ackFile?.update(floor, (err) => {
      this.hooks.error('buffer_write_failed');
      this.log.warn({ err, file: path.join(this.options.dir, ACK_FILE) }, 'cannot save the ack floor (records may be delivered twice after a restart)');
    });
    this.hooks.level(this.heldEvents, this.diskBytes);
  }

  /** The writer started a segment. */
  private onSegment(segment: SegmentInfo): void {
    const previous = this.segments[this.segments.length - 1];
    this.segments.push(segment);
    this.diskBytes += SEGMENT_HEADER_SIZE;
    const r = this.reader;
    const caughtUp = this.readSeg === undefined || (this.readSeg === previous && previous.complete && r !== undefined && r.position >= previous.size);
    if (caughtUp && !this.readLoop.running) {
      this.setReadSegment(segment, SEGMENT_HEADER_SIZE);
      this.floorMoved();
    }
  }

  // --- open -------------------------------------------------------------------------

  private async tryOpen(): Promise<boolean> {
    const { dir, output } = this.options;
    let opened;
    try {
      opened = await openBufferDir(dir);
    } catch (err) {
      this.openFailures++;
      this.hooks.error('buffer_open_failed');
      const now = Date.now();
      if (this.openFailures === 1 || now - this.lastOpenLog >= REPEAT_LOG_MS) {
        this.lastOpenLog = now;
        const e = err instanceof BufferLockedError
          ? new OgrtError('OGRT_ERR_BUFFER_LOCKED', [output, dir, err.pid])
          : new OgrtError('OGRT_ERR_BUFFER_OPEN', [output, dir, (err as Error).message], { cause: err });
        this.log.error({ code: e.code, path: dir, attempt: this.openFailures, err }, e.message);
      }
      return false;
    }
    if (this.closed) {
      await releaseDir(dir);
      return false;
    }
    this.segments = opened.segments;
    this.nextSeq = opened.nextSeq;
    this.heldEvents = opened.heldEvents;
    this.diskBytes = opened.diskBytes + this.pendingBytes;
    const oldest = opened.segments.length > 0 ? opened.segments[0].firstSeq : opened.nextSeq;
    this.acks = new AckTracker(Math.max(opened.ackFloor, oldest));
    this.ackFile = new AckFile(path.join(dir, ACK_FILE));
    if (opened.segments.length > 0) this.setReadSegment(opened.segments[0], 0);
    if (opened.ackFileDamaged) this.log.warn({ path: dir }, 'disk buffer ack file damaged: records kept in the buffer are delivered again from the oldest');
    if (opened.removedDamage !== undefined) this.readLoop.reportRemoved(opened.removedDamage);
    this.opened = true;
    if (this.openFailures > 0) this.log.info({ path: dir, attempts: this.openFailures + 1 }, 'disk buffer opened after failures');
    this.log.info({ path: dir, records: this.heldEvents, bytes: opened.diskBytes, segments: opened.segments.length }, this.heldEvents > 0 ? 'disk buffer opened; replaying unacknowledged records first' : 'disk buffer opened');
    this.hooks.level(this.heldEvents, this.diskBytes);
    this.floorMoved();
    this.unpark();
    this.readLoop.kick();
    this.writeLoop.kick();
    this.released.notify();
    return true;
  }

  private async keepOpening(): Promise<void> {
    const signal = this.opening.signal;
    for (let attempt = 1; !signal.aborted; attempt++) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, failureDelay(attempt));
        signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
      if (signal.aborted || (await this.tryOpen())) return;
    }
  }
}
