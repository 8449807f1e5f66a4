/**
 * The read loop of a disk buffer (DiskQueue, disk-buffer.ts): keeps the
 * read-ahead window filled from the segment files while it has room,
 * reporting damage once per damaged range. While the output keeps up, the
 * writer hands fresh records over in memory (handOver) and nothing is read
 * back.
 */
import type { OgrtRecord } from './record.ts';
import { OgrtError } from './errors.ts';
import type { DiskQueue } from './disk-buffer.ts';
import type { Damage, ReadEntry } from './disk-buffer-reader.ts';
import type { Appended, SegmentInfo } from './disk-buffer-writer.ts';
import { delay, failureDelay, type Chunk } from './disk-buffer-write-loop.ts';

/** Failures are logged at the first one, then at most this often. */
const REPEAT_LOG_MS = 60_000;

interface DamageReport {
  file: string;
  offset: number;
  bytes: number;
  reason: string;
  lost: number;
}

export class ReadLoop {
  running = false;
  private again = false;
  private failures = 0;
  private lastLog = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private report: DamageReport | undefined;

  constructor(private readonly q: DiskQueue) {}

  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    if (!this.q.opened || this.q.shutDown || this.retryTimer !== undefined) return;
    this.running = true;
    void this.run();
  }

  /**
   * The writer appended `chunks`. When the reader is exactly there (it has
   * read everything before), they go into the window as they are, without
   * being read back; what does not fit is read from the file later.
   */
  handOver(chunks: readonly Chunk[], appended: Appended): void {
    const q = this.q;
    const r = q.reader;
    if (this.running || q.readSeg !== appended.segment || r === undefined || r.position !== appended.offset) {
      this.kick();
      return;
    }
    const wasEmpty = q.window.events === 0;
    let pos = appended.offset;
    outer: for (const c of chunks) {
      for (let k = 0; k < c.records.length; k++) {
        if (!q.windowHasRoom()) break outer;
        const seq = c.firstSeq + k;
        q.window.push(c.records[k], c.wires[k], seq);
        q.acks.read(seq);
        pos += c.entrySizes[k];
      }
    }
    r.skipTo(pos);
    q.windowFilled(wasEmpty);
    if (pos < appended.segment.size) this.kick();
  }

  /** A last segment without a valid entry, removed at open. */
  reportRemoved(d: Damage & { file: string }): void {
    this.q.hooks.corruptBytes(d.bytes);
    this.q.hooks.error('buffer_corrupt');
    this.report = { file: d.file, offset: d.offset, bytes: d.bytes, reason: `${d.reason}; file removed`, lost: 0 };
    this.flushReport();
  }

  async finish(deadline: number): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    while (this.running && Date.now() < deadline) await delay(5);
    this.flushReport();
  }

  private async run(): Promise<void> {
    for (;;) {
      this.again = false;
      let caughtUp: boolean;
      try {
        caughtUp = await this.fill();
        this.failures = 0;
      } catch (err) {
        this.running = false;
        if (!this.q.shutDown) this.readFailed(err);
        return;
      }
      if (caughtUp) this.flushReport();
      if (!this.again || this.q.shutDown) {
        this.running = false;
        // A segment read to its end while acks came in may now be deletable.
        if (caughtUp && !this.q.shutDown) this.q.floorMoved();
        return;
      }
    }
  }

  /** Reads while the window has room; true when everything written has been read. */
  private async fill(): Promise<boolean> {
    const q = this.q;
    while (!q.shutDown) {
      if (!q.windowHasRoom()) return false;
      const seg = q.readSeg;
      const r = q.reader;
      if (seg === undefined || r === undefined) return true;
      if (r.position >= seg.size) {
        if (!seg.complete) return true;
        const next = q.segments[q.segments.indexOf(seg) + 1];
        if (next === undefined) return true;
        q.setReadSegment(next, 0);
        q.floorMoved();
        continue;
      }
      const damages: { index: number; damage: Damage }[] = [];
      let entries: ReadEntry[];
      const roomEvents = q.options.windowEvents - q.window.events;
      const roomBytes = Math.max(1, q.options.windowBytes - q.window.bytes);
      try {
        entries = await r.read(seg.size, seg.complete, roomEvents, roomBytes, (damage, index) => damages.push({ index, damage }));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        // The file was removed by hand: what it held is missing.
        damages.push({ index: 0, damage: { offset: r.position, bytes: seg.size - r.position, reason: 'segment file missing' } });
        entries = [];
        r.skipTo(seg.size);
      }
      this.accept(seg, entries, damages);
    }
    return false;
  }

  private accept(seg: SegmentInfo, entries: readonly ReadEntry[], damages: readonly { index: number; damage: Damage }[]): void {
    const q = this.q;
    const wasEmpty = q.window.events === 0;
    let d = 0;
    let replayed = 0;
    for (let i = 0; i < entries.length; i++) {
      while (d < damages.length && damages[d].index <= i) this.damaged(seg, damages[d++].damage);
      const e = entries[i];
      const expected = q.acks.nextUnread;
      // Acknowledged before a restart (the ack floor is per record, segments are deleted whole).
      if (e.seq < expected) continue;
      if (e.seq > expected) this.missing(e.seq - expected);
      let record: OgrtRecord;
      try {
        record = JSON.parse(e.payload) as OgrtRecord;
      } catch {
        this.damaged(seg, { offset: -1, bytes: e.size, reason: 'entry payload is not valid JSON' });
        this.missing(1);
        q.acks.nextUnread = e.seq + 1;
        continue;
      }
      this.flushReport();
      q.window.push(record, e.wire, e.seq);
      q.acks.read(e.seq);
      replayed++;
    }
    while (d < damages.length) this.damaged(seg, damages[d++].damage);
    if (replayed > 0) q.hooks.replayed(replayed);
    q.windowFilled(wasEmpty);
  }

  private damaged(seg: SegmentInfo, d: Damage): void {
    this.q.hooks.corruptBytes(d.bytes);
    this.q.hooks.error('buffer_corrupt');
    const r = this.report;
    if (r !== undefined && r.file === seg.path && r.offset + r.bytes === d.offset) {
      r.bytes += d.bytes;
      return;
    }
    this.flushReport();
    this.report = { file: seg.path, offset: d.offset, bytes: d.bytes, reason: d.reason, lost: 0 };
  }

  /** Records lost to damage (a gap in the sequence numbers). */
  private missing(n: number): void {
    const q = this.q;
    q.heldEvents = Math.max(0, q.heldEvents - n);
    q.hooks.lost('buffer_corrupt', n);
    q.hooks.level(q.heldEvents, q.diskBytes);
    this.report ??= { file: q.readSeg?.path ?? q.options.dir, offset: 0, bytes: 0, reason: 'records missing (a segment file was removed?)', lost: 0 };
    this.report.lost += n;
  }

  /** Logs the damage seen (once per damaged range). */
  private flushReport(): void {
    const r = this.report;
    if (r === undefined) return;
    this.report = undefined;
    const q = this.q;
    const e = new OgrtError('OGRT_ERR_BUFFER_CORRUPT', [q.options.output, r.file, r.offset, r.bytes, r.lost, r.reason]);
    q.log.error({ code: e.code, file: r.file, offset: r.offset, bytes: r.bytes, records_lost: r.lost, reason: r.reason }, e.message);
  }

  private readFailed(err: unknown): void {
    const q = this.q;
    this.failures++;
    q.hooks.error('buffer_read_failed');
    const now = Date.now();
    if (this.failures === 1 || now - this.lastLog >= REPEAT_LOG_MS) {
      this.lastLog = now;
      const e = new OgrtError('OGRT_ERR_BUFFER_READ', [q.options.output, q.reader?.path ?? q.options.dir, (err as Error)?.message ?? String(err)], { cause: err });
      q.log.error({ code: e.code, failures: this.failures, err }, e.message);
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, failureDelay(this.failures));
  }
}
