/**
 * Appends entries to the active segment of a disk buffer, starting a new
 * segment once the active one reached its target size. One writer per
 * buffer, used by one loop at a time (DiskQueue's write loop), so appends,
 * syncs and rotations never overlap.
 *
 * A failed append (ENOSPC, EIO, a vanished directory) cuts the file back to
 * its last whole entry and throws: the caller retries the same bytes at the
 * same offset later, or gives them up. Nothing half-written is ever counted
 * as written.
 */
import { open, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { segmentHeader, segmentName, SEGMENT_HEADER_SIZE } from './disk-buffer-format.ts';

export interface SegmentInfo {
  readonly firstSeq: number;
  readonly path: string;
  /** Bytes of the file holding the header and whole entries. */
  size: number;
  /** Highest seq in the segment (firstSeq - 1 while it has none). */
  lastSeq: number;
  /** Nothing is appended to it any more. */
  complete: boolean;
}

export interface Appended {
  readonly segment: SegmentInfo;
  /** File offset of the first appended byte. */
  readonly offset: number;
}

export class SegmentWriter {
  active: SegmentInfo | undefined;
  /** Bytes appended since the last sync. */
  dirty = false;
  private handle: FileHandle | undefined;

  constructor(
    readonly dir: string,
    private readonly segmentMaxBytes: number,
    /** A new segment exists (header written and durable); the previous one is complete. */
    private readonly onSegment: (segment: SegmentInfo) => void,
  ) {}

  /** Appends entries firstSeq..lastSeq (their encoded bytes); throws on failure, having cut the file back. */
  async append(buffers: readonly Buffer[], bytes: number, firstSeq: number, lastSeq: number): Promise<Appended> {
    const seg = this.active;
    if (seg === undefined || seg.complete || this.handle === undefined || seg.size >= this.segmentMaxBytes) await this.rotate(firstSeq);
    const active = this.active!;
    const handle = this.handle!;
    const offset = active.size;
    const data = buffers.length === 1 ? buffers[0] : Buffer.concat(buffers as Buffer[], bytes);
    try {
      let done = 0;
      while (done < bytes) {
        const { bytesWritten } = await handle.write(data, done, bytes - done, offset + done);
        done += bytesWritten;
      }
    } catch (err) {
      // Best effort: a crash before the bytes are overwritten leaves a torn tail, which the reader detects.
      await handle.truncate(offset).catch(() => undefined);
      throw err;
    }
    active.size = offset + bytes;
    active.lastSeq = lastSeq;
    this.dirty = true;
    return { segment: active, offset };
  }

  /** fdatasync of the active segment, when something was appended since the last one. */
  async sync(): Promise<void> {
    if (!this.dirty || this.handle === undefined) return;
    this.dirty = false;
    try {
      await this.handle.datasync();
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }

  /**
   * Completes the active segment (synced, closed) so that it can be deleted
   * once acknowledged; the next append starts a new one. For a full disk
   * whose only segment is the active one.
   */
  async retire(): Promise<void> {
    await this.close();
    this.active = undefined;
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    if (this.active !== undefined) this.active.complete = true;
    if (h === undefined) return;
    try {
      await this.sync0(h);
    } finally {
      await h.close().catch(() => undefined);
    }
  }

  private async sync0(h: FileHandle): Promise<void> {
    if (this.dirty) {
      await h.datasync();
      this.dirty = false;
    }
  }

  /** Completes the active segment (synced) and starts `<firstSeq>.seg`, durable with its directory entry. */
  private async rotate(firstSeq: number): Promise<void> {
    if (this.handle !== undefined) {
      await this.sync0(this.handle);
      await this.handle.close().catch(() => undefined);
      this.handle = undefined;
    }
    if (this.active !== undefined) this.active.complete = true;
    const file = path.join(this.dir, segmentName(firstSeq));
    let handle: FileHandle | undefined;
    try {
      handle = await open(file, 'w', 0o640);
      const header = segmentHeader();
      await handle.write(header, 0, header.length, 0);
      await handle.datasync();
      await syncDir(this.dir);
    } catch (err) {
      await handle?.close().catch(() => undefined);
      await unlink(file).catch(() => undefined);
      throw err;
    }
    this.handle = handle;
    this.dirty = false;
    const segment: SegmentInfo = { firstSeq, path: file, size: SEGMENT_HEADER_SIZE, lastSeq: firstSeq - 1, complete: false };
    this.active = segment;
    this.onSegment(segment);
  }
}

/** fsync of a directory, so a new file's name survives a power loss. */
export async function syncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}
