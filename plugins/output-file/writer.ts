/**
 * Appends whole batches to a JSON Lines file.
 *
 * Guarantees:
 *  - a batch is one write of complete lines (looped only if the kernel takes
 *    it in pieces); on any error the file is truncated back to its size before
 *    the batch, so a batch is stored whole or not at all — except when the
 *    process dies mid-write, which leaves a torn last line;
 *  - a torn last line (no final '\n') is cut off when the file is opened,
 *    and the number of bytes removed is logged;
 *  - with fsync "batch", a write is reported only after fdatasync (and the
 *    directory is synced once when a file is created, so the file itself
 *    survives a power loss);
 *  - writes, rotations and reopen() never interleave (one queue).
 *
 * Files that are not regular (e.g. path = "/dev/stdout") are written to as
 * they are: no tail repair, no size rotation, no truncation.
 */
import { mkdir, open, readdir, rename, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../src/core/plugin-api.ts';
import type { PathPattern } from './path-pattern.ts';

export interface WriterOptions {
  readonly pattern: PathPattern;
  /** 0: no size rotation. */
  readonly maxSize: number;
  readonly fsync: 'batch' | 'none';
  /** Permissions of created files. */
  readonly mode: number;
  readonly log: Logger;
  /** Wall clock in epoch ms; tests inject one to cross midnight. */
  readonly now?: () => number;
}

export type WriteOutcome =
  | { readonly ok: true; readonly path: string }
  | { readonly ok: false; readonly reason: string; readonly code: string };

const DIR_MODE = 0o750;
const TAIL_BLOCK = 64 * 1024;
const LF = 0x0a;

export class JsonlFileWriter {
  private handle: FileHandle | undefined;
  private currentPath: string | undefined;
  private regular = true;
  private size = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly opts: WriterOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Path of the open file, if any. */
  get path(): string | undefined {
    return this.currentPath;
  }

  /** Opens today's file (repairing a torn tail). Never throws: errors are logged and the first write retries. */
  start(): Promise<void> {
    return this.serial(() => this.openQuietly(this.opts.pattern.format(this.now())));
  }

  write(data: Buffer): Promise<WriteOutcome> {
    return this.serial(() => this.writeNow(data));
  }

  /** After logrotate moved the file away: close it and open the current path afresh. */
  reopen(): Promise<void> {
    return this.serial(async () => {
      await this.closeHandle();
      await this.openQuietly(this.opts.pattern.format(this.now()));
    });
  }

  close(): Promise<void> {
    return this.serial(async () => {
      if (this.handle !== undefined && this.regular && this.opts.fsync === 'none') {
        await this.handle.datasync().catch((err: NodeJS.ErrnoException) => this.opts.log.warn({ path: this.currentPath, code: err.code }, 'fdatasync at close failed'));
      }
      await this.closeHandle();
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async writeNow(data: Buffer): Promise<WriteOutcome> {
    const want = this.opts.pattern.format(this.now());
    let stage = 'open';
    try {
      if (this.handle === undefined || want !== this.currentPath) await this.openPath(want);
      if (this.opts.maxSize > 0 && this.regular && this.size > 0 && this.size + data.length > this.opts.maxSize) {
        stage = 'rotate';
        await this.rotate();
      }
    } catch (err) {
      return this.failed(stage, want, err);
    }
    const handle = this.handle!;
    const before = this.size;
    try {
      let offset = 0;
      while (offset < data.length) {
        const { bytesWritten } = await handle.write(data, offset, data.length - offset);
        offset += bytesWritten;
      }
      if (this.opts.fsync === 'batch') await handle.datasync();
      this.size = before + data.length;
      return { ok: true, path: want };
    } catch (err) {
      await this.undoPartialWrite(handle, before);
      return this.failed('write', want, err);
    }
  }

  /** Keeps "whole batch or nothing": cut back what a failed write left. */
  private async undoPartialWrite(handle: FileHandle, before: number): Promise<void> {
    if (this.regular) {
      try {
        await handle.truncate(before);
        return;
      } catch (err) {
        this.opts.log.error({ path: this.currentPath, code: (err as NodeJS.ErrnoException).code }, 'cannot truncate after a failed write; reopening (a torn line will be cut then)');
      }
    }
    await this.closeHandle();
  }

  private failed(stage: string, file: string, err: unknown): WriteOutcome {
    const code = (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
    const message = err instanceof Error ? err.message : String(err);
    this.opts.log.error({ path: file, stage, code, err: message }, 'cannot write batch to file; it will be retried');
    return { ok: false, code, reason: `${stage} ${file}: ${message}` };
  }

  private async openQuietly(file: string): Promise<void> {
    try {
      await this.openPath(file);
    } catch (err) {
      this.failed('open', file, err);
    }
  }

  private async openPath(file: string): Promise<void> {
    await this.closeHandle();
    const dir = path.dirname(file);
    await ensureDirectory(dir);
    const existing = await stat(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    let handle: FileHandle;
    let created = false;
    if (existing !== undefined && !existing.isFile()) {
      handle = await open(file, 'a');
    } else {
      try {
        handle = await open(file, 'ax+', this.opts.mode);
        created = true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        handle = await open(file, 'a+');
      }
    }
    try {
      const st = await handle.stat();
      this.regular = st.isFile();
      if (created) {
        await handle.chmod(this.opts.mode);
        if (this.opts.fsync === 'batch') await syncDirectory(dir);
      }
      this.size = this.regular ? await this.repairTornTail(handle, st.size, file) : 0;
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
    this.handle = handle;
    this.currentPath = file;
    this.opts.log.info({ path: file, size: this.size, created }, 'opened output file');
  }

  /** Cuts the file back to just after its last '\n'; returns the new size. */
  private async repairTornTail(handle: FileHandle, size: number, file: string): Promise<number> {
    if (size === 0) return 0;
    const block = Buffer.allocUnsafe(Math.min(TAIL_BLOCK, size));
    await readFully(handle, block, 1, size - 1);
    if (block[0] === LF) return size;
    let keep = 0;
    for (let end = size; end > 0; ) {
      const start = Math.max(0, end - block.length);
      const length = end - start;
      await readFully(handle, block, length, start);
      const nl = block.lastIndexOf(LF, length - 1);
      if (nl !== -1) {
        keep = start + nl + 1;
        break;
      }
      end = start;
    }
    await handle.truncate(keep);
    if (this.opts.fsync === 'batch') await handle.datasync();
    this.opts.log.warn(
      { path: file, removed_bytes: size - keep, size: keep },
      'removed a torn last line (the previous run stopped in the middle of a write)',
    );
    return keep;
  }

  /** PATH → PATH.N with N one above the highest existing suffix, then a fresh PATH. */
  private async rotate(): Promise<void> {
    const file = this.currentPath!;
    await this.closeHandle();
    const base = path.basename(file) + '.';
    let highest = 0;
    for (const name of await readdir(path.dirname(file))) {
      if (!name.startsWith(base)) continue;
      const suffix = name.slice(base.length);
      if (/^[1-9][0-9]*$/.test(suffix)) highest = Math.max(highest, Number(suffix));
    }
    const target = `${file}.${highest + 1}`;
    await rename(file, target);
    this.opts.log.info({ path: file, rotated_to: target, max_size: this.opts.maxSize }, 'rotated output file (max_size)');
    await this.openPath(file);
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    if (handle === undefined) return;
    this.handle = undefined;
    try {
      await handle.close();
    } catch (err) {
      this.opts.log.warn({ path: this.currentPath, code: (err as NodeJS.ErrnoException).code }, 'closing the output file failed');
    }
  }
}

async function readFully(handle: FileHandle, buf: Buffer, length: number, position: number): Promise<void> {
  let got = 0;
  while (got < length) {
    const { bytesRead } = await handle.read(buf, got, length - got, position + got);
    if (bytesRead === 0) throw new Error(`file shrank while reading its tail at byte ${position + got}`);
    got += bytesRead;
  }
}

/**
 * mkdir -p, one level at a time. Not `mkdir(dir, { recursive: true })`: on
 * Node 20 that spins forever (100% CPU, sync and async) where mkdir keeps
 * failing with ENOENT below an existing directory, e.g. /proc/x/y.
 */
async function ensureDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { mode: DIR_MODE });
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if ((await stat(dir)).isDirectory()) return;
      throw Object.assign(new Error(`ENOTDIR: ${dir} exists and is not a directory`), { code: 'ENOTDIR' });
    }
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw err;
  }
  await ensureDirectory(path.dirname(dir));
  try {
    await mkdir(dir, { mode: DIR_MODE });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !(await stat(dir)).isDirectory()) throw err;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
