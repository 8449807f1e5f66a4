/**
 * Opening a disk buffer directory: create it, take its lock, read the ack
 * floor, list the segments, delete those entirely acknowledged and find the
 * last sequence number written (scanning the last segment, whose tail may
 * be torn by a crash). Plus the ack file and an offline reader for tools and
 * tests (readBufferDir).
 */
import { mkdir, open, readdir, readFile, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import {
  ACK_FILE, decodeAck, encodeAck, LOCK_FILE, parseSegmentName, SEGMENT_HEADER_SIZE,
} from './disk-buffer-format.ts';
import { SegmentReader, type Damage } from './disk-buffer-reader.ts';
import type { SegmentInfo } from './disk-buffer-writer.ts';

/** Buffer directories open in this process: two outputs must never share one. */
const openDirs = new Set<string>();

export class BufferLockedError extends Error {
  constructor(readonly dir: string, readonly pid: number) {
    super(`${dir} is in use by process ${pid}`);
  }
}

export interface OpenedDir {
  /** Existing segments, oldest first, all complete (new records go to a new segment). */
  readonly segments: SegmentInfo[];
  /** Every seq below it was acknowledged. */
  readonly ackFloor: number;
  /** Seq of the next record to write. */
  readonly nextSeq: number;
  /** Records not yet acknowledged (seq >= ackFloor). */
  readonly heldEvents: number;
  /** Bytes of the segment files. */
  readonly diskBytes: number;
  /** The ack file existed but was unreadable (its floor is then 0: records may be delivered again). */
  readonly ackFileDamaged: boolean;
  /** A last segment without any valid entry that was removed at open. */
  readonly removedDamage: (Damage & { readonly file: string }) | undefined;
}

/** Opens `dir` for this process; throws BufferLockedError or the I/O error. Call releaseDir() when done. */
export async function openBufferDir(dir: string): Promise<OpenedDir> {
  await mkdir(dir, { recursive: true, mode: 0o750 });
  await lockDir(dir);
  try {
    return await scanDir(dir);
  } catch (err) {
    await releaseDir(dir);
    throw err;
  }
}

export async function releaseDir(dir: string): Promise<void> {
  if (!openDirs.delete(dir)) return;
  await unlink(path.join(dir, LOCK_FILE)).catch(() => undefined);
}

async function lockDir(dir: string): Promise<void> {
  if (openDirs.has(dir)) throw new BufferLockedError(dir, process.pid);
  const file = path.join(dir, LOCK_FILE);
  try {
    await writeFile(file, `${process.pid}\n`, { flag: 'wx', mode: 0o640 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    // A lock left by a process that is gone (kill -9, power loss) is stale.
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) throw new BufferLockedError(dir, pid);
    await writeFile(file, `${process.pid}\n`, { mode: 0o640 });
  }
  openDirs.add(dir);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function scanDir(dir: string): Promise<OpenedDir> {
  const names = await readdir(dir);
  const ack = await readAckFile(dir);
  const floor = ack.floor;
  const found: { firstSeq: number; file: string }[] = [];
  for (const name of names) {
    const firstSeq = parseSegmentName(name);
    if (firstSeq !== undefined) found.push({ firstSeq, file: path.join(dir, name) });
  }
  found.sort((a, b) => a.firstSeq - b.firstSeq);

  const segments: SegmentInfo[] = [];
  let removedDamage: OpenedDir['removedDamage'];
  let nextSeq = floor;
  for (let i = 0; i < found.length; i++) {
    const { firstSeq, file } = found[i];
    const next = found[i + 1];
    if (next !== undefined) {
      // Entirely acknowledged: every seq in it is below the next segment's first.
      if (next.firstSeq <= floor) {
        await unlink(file);
        continue;
      }
      const { size } = await stat(file);
      segments.push({ firstSeq, path: file, size, lastSeq: next.firstSeq - 1, complete: true });
      continue;
    }
    const last = await scanSegment(file);
    if (last.lastSeq === undefined) {
      // Nothing valid in it: empty (crash right after creating it) or wholly damaged.
      await unlink(file);
      if (last.size > SEGMENT_HEADER_SIZE || last.damage.length > 0) {
        removedDamage = { file, offset: 0, bytes: last.size, reason: last.damage[0]?.reason ?? 'no valid entry' };
      }
      nextSeq = Math.max(nextSeq, firstSeq);
      continue;
    }
    segments.push({ firstSeq, path: file, size: last.size, lastSeq: last.lastSeq, complete: true });
    nextSeq = Math.max(nextSeq, last.lastSeq + 1);
  }
  const oldest = segments.length > 0 ? segments[0].firstSeq : nextSeq;
  let diskBytes = 0;
  for (const s of segments) diskBytes += s.size;
  return {
    segments,
    ackFloor: floor,
    nextSeq,
    heldEvents: Math.max(0, nextSeq - Math.max(floor, oldest)),
    diskBytes,
    ackFileDamaged: ack.damaged,
    removedDamage,
  };
}

/** Last valid seq of a segment (undefined: none), its size and the damage seen, without reporting it. */
async function scanSegment(file: string): Promise<{ lastSeq: number | undefined; size: number; damage: Damage[] }> {
  const { size } = await stat(file);
  const reader = new SegmentReader(file);
  const damage: Damage[] = [];
  let lastSeq: number | undefined;
  try {
    for (;;) {
      const before = reader.position;
      const entries = await reader.read(size, true, 4096, 8 * 1024 * 1024, (d) => damage.push(d), false);
      for (const e of entries) if (lastSeq === undefined || e.seq > lastSeq) lastSeq = e.seq;
      if (reader.position >= size || (reader.position === before && entries.length === 0)) break;
    }
  } finally {
    await reader.close();
  }
  return { lastSeq, size, damage };
}

// --- ack file ---------------------------------------------------------------

async function readAckFile(dir: string): Promise<{ floor: number; damaged: boolean }> {
  let data: Buffer;
  try {
    data = await readFile(path.join(dir, ACK_FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { floor: 0, damaged: false };
    throw err;
  }
  const floor = decodeAck(data);
  return floor === undefined ? { floor: 0, damaged: true } : { floor, damaged: false };
}

/**
 * Writes the ack floor in place (one 20-byte write, checksummed). Not
 * synced on every update: a stale floor after a power loss only means that
 * some records are delivered twice, never that one is lost.
 */
export class AckFile {
  private handle: FileHandle | undefined;
  private written = -1;
  private wanted = -1;
  private writing: Promise<void> | undefined;
  private closed = false;

  constructor(readonly file: string) {}

  /** Records `floor`; writes coalesce. Never rejects (errors go to onError). */
  update(floor: number, onError: (err: unknown) => void): void {
    if (this.closed) return;
    this.wanted = floor;
    if (this.writing !== undefined) return;
    this.writing = this.loop(onError).finally(() => (this.writing = undefined));
  }

  /** Writes the latest floor and syncs it, then closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    await this.writing;
    try {
      if (this.wanted !== this.written || this.handle !== undefined) {
        await this.write(this.wanted);
        await this.handle?.datasync();
      }
    } finally {
      await this.handle?.close().catch(() => undefined);
      this.handle = undefined;
    }
  }

  private async loop(onError: (err: unknown) => void): Promise<void> {
    while (this.wanted !== this.written) {
      try {
        await this.write(this.wanted);
      } catch (err) {
        onError(err);
        return;
      }
    }
  }

  private async write(floor: number): Promise<void> {
    if (floor < 0) return;
    this.handle ??= await open(this.file, 'w', 0o640);
    const b = encodeAck(floor);
    await this.handle.write(b, 0, b.length, 0);
    this.written = floor;
  }
}

// --- offline reading (tests, tools) -------------------------------------------

export interface BufferContents {
  /** Valid entries with seq >= the ack floor, in file order. */
  readonly entries: { seq: number; wire: number; payload: string }[];
  readonly ackFloor: number;
  readonly damage: (Damage & { file: string })[];
}

/** Reads a buffer directory without opening it for writing (no lock, no changes). */
export async function readBufferDir(dir: string): Promise<BufferContents> {
  const ack = await readAckFile(dir);
  const names = (await readdir(dir)).filter((n) => parseSegmentName(n) !== undefined).sort();
  const entries: BufferContents['entries'] = [];
  const damage: BufferContents['damage'] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const { size } = await stat(file);
    const reader = new SegmentReader(file);
    try {
      for (;;) {
        const before = reader.position;
        const got = await reader.read(size, true, 4096, 8 * 1024 * 1024, (d) => damage.push({ ...d, file }));
        for (const e of got) if (e.seq >= ack.floor) entries.push({ seq: e.seq, wire: e.wire, payload: e.payload });
        if (reader.position >= size || (reader.position === before && got.length === 0)) break;
      }
    } finally {
      await reader.close();
    }
  }
  return { entries, ackFloor: ack.floor, damage };
}
