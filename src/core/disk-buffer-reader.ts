/**
 * Reads the entries of one segment file incrementally: a small window of the
 * file (READ_CHUNK, more only for an entry larger than that) is in memory at
 * a time, whatever the segment's size.
 *
 * Damage (a bad header, magic or checksum, a torn entry at the end of a
 * finished segment) is reported once per damaged range through `onDamage`;
 * reading goes on at the next valid entry, found by its magic and checksum,
 * so good data after a damaged entry is never skipped.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { checkEntry, ENTRY_HEADER_SIZE, ENTRY_MAGIC, findMagic, isSegmentHeader, payloadOf, SEGMENT_HEADER_SIZE } from './disk-buffer-format.ts';

export const READ_CHUNK = 256 * 1024;

export interface ReadEntry {
  readonly seq: number;
  /** Wire bytes of the record. */
  readonly wire: number;
  /** Entry bytes in the file (header + payload). */
  readonly size: number;
  /** The record's JSON. */
  readonly payload: string;
}

export interface Damage {
  /** File offset where the damage starts. */
  readonly offset: number;
  readonly bytes: number;
  readonly reason: string;
}

export class SegmentReader {
  private handle: FileHandle | undefined;
  private buf: Buffer = Buffer.allocUnsafe(READ_CHUNK);
  /** File offset of buf[0], and valid bytes in buf. */
  private bufPos = 0;
  private bufLen = 0;
  private closed = false;
  /** Where a read hit the end of the file, if it ever did before `limit`. */
  private fileEnd = Number.MAX_SAFE_INTEGER;
  /** File offset of the next byte to parse. */
  position: number;

  constructor(readonly path: string, position = 0) {
    this.position = position;
  }

  /**
   * Entries from `position` up to file offset `limit` (exclusive), at most
   * `maxEntries` and about `maxBytes` of payload. `complete`: the segment is
   * finished (no writer appends to it), so bytes before `limit` that do not
   * form a whole entry are damage; otherwise they are left for later.
   */
  async read(
    limit: number,
    complete: boolean,
    maxEntries: number,
    maxBytes: number,
    /** `entriesBefore`: entries of this call that come before the damage. */
    onDamage: (d: Damage, entriesBefore: number) => void,
    withPayload = true,
  ): Promise<ReadEntry[]> {
    const out: ReadEntry[] = [];
    let bytes = 0;
    if (this.position < SEGMENT_HEADER_SIZE && this.position < limit) {
      await this.ensure(0, SEGMENT_HEADER_SIZE, limit);
      if (isSegmentHeader(this.buf, 0 - this.bufPos) || !complete) this.position = SEGMENT_HEADER_SIZE;
      else {
        const found = await this.resync(0, limit);
        onDamage({ offset: 0, bytes: found, reason: 'bad segment header' }, 0);
        this.position = found;
      }
    }
    while (out.length < maxEntries && bytes < maxBytes && this.position < (limit = Math.min(limit, this.fileEnd))) {
      const at = this.position;
      await this.ensure(at, ENTRY_HEADER_SIZE, limit);
      limit = Math.min(limit, this.fileEnd);
      let c = checkEntry(this.buf, at - this.bufPos, this.bufLen);
      if (c.kind === 'short' && at + c.need <= limit) {
        await this.ensure(at, c.need, limit);
        c = checkEntry(this.buf, at - this.bufPos, this.bufLen);
      }
      if (c.kind === 'entry') {
        out.push({ seq: c.seq, wire: c.wire, size: c.size, payload: withPayload ? payloadOf(this.buf, at - this.bufPos, c.size) : '' });
        bytes += c.size;
        this.position = at + c.size;
        continue;
      }
      if (c.kind === 'short') {
        if (!complete) break;
        onDamage({ offset: at, bytes: limit - at, reason: 'torn entry at the end of the segment' }, out.length);
        this.position = limit;
        break;
      }
      const found = await this.resync(at + 1, limit);
      onDamage({ offset: at, bytes: found - at, reason: c.reason }, out.length);
      this.position = found;
    }
    this.shrink();
    return out;
  }

  /** The bytes up to `position` were consumed elsewhere (handed over straight from the writer). */
  skipTo(position: number): void {
    this.position = position;
  }

  async close(): Promise<void> {
    this.closed = true;
    const h = this.handle;
    this.handle = undefined;
    this.bufLen = 0;
    await h?.close().catch(() => undefined);
  }

  /** File offset of the next valid entry at or after `from`, or `limit` when there is none. */
  private async resync(from: number, limit: number): Promise<number> {
    let p = from;
    while (p < (limit = Math.min(limit, this.fileEnd))) {
      await this.ensure(p, ENTRY_HEADER_SIZE, limit);
      const idx = findMagic(this.buf, p - this.bufPos, this.bufLen);
      if (idx === -1) {
        const end = this.bufPos + this.bufLen;
        if (end >= limit) return limit;
        // A magic may straddle the end of what is in memory.
        p = Math.max(p + 1, end - (ENTRY_MAGIC.length - 1));
        continue;
      }
      const candidate = this.bufPos + idx;
      await this.ensure(candidate, ENTRY_HEADER_SIZE, limit);
      let c = checkEntry(this.buf, candidate - this.bufPos, this.bufLen);
      if (c.kind === 'short' && candidate + c.need <= limit) {
        await this.ensure(candidate, c.need, limit);
        c = checkEntry(this.buf, candidate - this.bufPos, this.bufLen);
      }
      if (c.kind === 'entry') return candidate;
      p = candidate + 1;
    }
    return limit;
  }

  /** Makes buf hold file bytes [from, from + need) (or up to limit / end of file), reading ahead READ_CHUNK. */
  private async ensure(from: number, need: number, limit: number): Promise<void> {
    const want = Math.min(limit, from + Math.max(need, READ_CHUNK));
    const haveEnd = this.bufPos + this.bufLen;
    if (from >= this.bufPos && Math.min(limit, from + need) <= haveEnd) return;
    // Keep what is already read from `from` on, at the start of the buffer.
    let keep = 0;
    if (from >= this.bufPos && from < haveEnd) {
      keep = haveEnd - from;
      this.buf.copy(this.buf, 0, from - this.bufPos, this.bufLen);
    }
    if (want - from > this.buf.length) {
      const bigger = Buffer.allocUnsafe(want - from);
      this.buf.copy(bigger, 0, 0, keep);
      this.buf = bigger;
    }
    this.bufPos = from;
    this.bufLen = keep;
    if (this.handle === undefined) {
      const h = await open(this.path, 'r');
      if (this.closed) {
        await h.close();
        throw new Error(`${this.path}: reader closed`);
      }
      this.handle = h;
    }
    while (this.bufPos + this.bufLen < want) {
      const { bytesRead } = await this.handle.read(this.buf, this.bufLen, want - this.bufPos - this.bufLen, this.bufPos + this.bufLen);
      // The file is shorter than `limit` (truncated by hand): what is missing reads as a torn end.
      if (bytesRead === 0) {
        this.fileEnd = this.bufPos + this.bufLen;
        return;
      }
      this.bufLen += bytesRead;
    }
  }

  /** After a large entry, go back to a small buffer. */
  private shrink(): void {
    if (this.buf.length <= 4 * READ_CHUNK) return;
    const keepFrom = Math.max(this.position, this.bufPos);
    const keep = Math.max(0, this.bufPos + this.bufLen - keepFrom);
    if (keep > READ_CHUNK) return;
    const small = Buffer.allocUnsafe(READ_CHUNK);
    this.buf.copy(small, 0, keepFrom - this.bufPos, this.bufLen);
    this.buf = small;
    this.bufPos = keepFrom;
    this.bufLen = keep;
  }
}
