/**
 * Retention: by age (processes that started before now - retention_days)
 * and by size, once the pages in use exceed max_size_mb: the oldest
 * processes go until the rest would fit in 90% of it at the density the
 * store had (bytes per process, not counting the one page every table and
 * index has even when empty). Deleting the oldest rows leaves pages of the
 * indexes keyed by uuid or by object half empty rather than free, so pages
 * alone would call for ~10-20% more deletions than the data needs; those
 * pages fill again with new records. If the pages in use still exceed
 * max_size_mb, more of the oldest go until they do not.
 *
 * Deletes run in chunks, one short transaction each, yielding to the event
 * loop in between so batches keep being written meanwhile. Afterwards
 * orphaned objects go, freed pages are returned to the file system
 * (auto_vacuum = INCREMENTAL) and the WAL is truncated.
 */
import type Database from 'better-sqlite3';

type Db = Database.Database;

/** Processes deleted per transaction. */
const CHUNK = 2_000;
/** Size retention keeps the records that fit in this fraction of max_size_mb, so it does not run on every check. */
const SIZE_TARGET = 0.9;

export interface RetentionPolicy {
  /** 0: no age limit. */
  readonly maxAgeMs: number;
  /** 0: no size limit. */
  readonly maxBytes: number;
}

export interface RetentionResult {
  readonly deletedByAge: number;
  readonly deletedBySize: number;
  readonly deletedObjects: number;
  /** Bytes in use (pages that are not free) after the run. */
  readonly usedBytes: number;
}

export class Retention {
  private readonly oldestBefore: Database.Statement<[number, number], number>;
  private readonly oldest: Database.Statement<[number], number>;
  private readonly deleteChunk: Database.Transaction<(ids: readonly number[]) => void>;
  private readonly deleteOrphans: Database.Statement;
  private readonly countProcesses: Database.Statement<[], number>;
  private readonly countTrees: Database.Statement<[], number>;

  constructor(private readonly db: Db) {
    this.oldestBefore = db.prepare<[number, number], number>('SELECT id FROM process WHERE time_us < ? ORDER BY time_us LIMIT ?').pluck();
    this.oldest = db.prepare<[number], number>('SELECT id FROM process ORDER BY time_us LIMIT ?').pluck();
    this.countProcesses = db.prepare<[], number>('SELECT count(*) FROM process').pluck();
    this.countTrees = db.prepare<[], number>('SELECT count(*) FROM sqlite_schema WHERE rootpage > 0').pluck();
    const delLinks = db.prepare('DELETE FROM process_object WHERE process_id = ?');
    const delEvents = db.prepare('DELETE FROM event WHERE process_id = ?');
    const delProcess = db.prepare('DELETE FROM process WHERE id = ?');
    this.deleteChunk = db.transaction((ids: readonly number[]) => {
      for (const id of ids) {
        delLinks.run(id);
        delEvents.run(id);
        delProcess.run(id);
      }
    });
    this.deleteOrphans = db.prepare('DELETE FROM object WHERE NOT EXISTS (SELECT 1 FROM process_object po WHERE po.object_id = object.id)');
  }

  /** Pages in use × page size: the data's size, whatever the file's free pages. */
  usedBytes(): number {
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    return (pages - free) * pageSize;
  }

  /** Processes beyond those that fit in `targetBytes` at the store's current bytes per process. */
  private excessProcesses(targetBytes: number): number {
    const count = this.countProcesses.get() as number;
    if (count === 0) return 0;
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    // Page 1 and the root page of every table and index: there even when empty.
    const baseline = ((this.countTrees.get() as number) + 1) * pageSize;
    const perProcess = Math.max(1, (this.usedBytes() - baseline) / count);
    const fitting = Math.max(0, Math.floor((targetBytes - baseline) / perProcess));
    return Math.max(0, count - fitting);
  }

  /** Deletes the `n` oldest processes in chunks; returns how many went. */
  private async deleteOldest(n: number): Promise<number> {
    let deleted = 0;
    while (deleted < n) {
      const ids = this.oldest.all(Math.min(CHUNK, n - deleted));
      if (ids.length === 0) break;
      this.deleteChunk.immediate(ids);
      deleted += ids.length;
      await yieldToEventLoop();
    }
    return deleted;
  }

  async run(policy: RetentionPolicy, nowMs = Date.now()): Promise<RetentionResult> {
    let deletedByAge = 0;
    let deletedBySize = 0;
    if (policy.maxAgeMs > 0) {
      const cutoffUs = (nowMs - policy.maxAgeMs) * 1000;
      for (;;) {
        const ids = this.oldestBefore.all(cutoffUs, CHUNK);
        if (ids.length === 0) break;
        this.deleteChunk.immediate(ids);
        deletedByAge += ids.length;
        await yieldToEventLoop();
      }
    }
    if (policy.maxBytes > 0 && this.usedBytes() > policy.maxBytes) {
      deletedBySize += await this.deleteOldest(this.excessProcesses(policy.maxBytes * SIZE_TARGET));
      // Half-empty index pages can keep the file over the limit: then pages decide.
      for (let used = this.usedBytes(); used > policy.maxBytes; used = this.usedBytes()) {
        const count = this.countProcesses.get() as number;
        if (count === 0) break;
        // In proportion to the excess: pages free up less than rows go, so this approaches the limit from above.
        const deleted = await this.deleteOldest(Math.max(1, Math.ceil(((used - policy.maxBytes) / used) * count)));
        if (deleted === 0) break;
        deletedBySize += deleted;
      }
    }
    let deletedObjects = 0;
    if (deletedByAge + deletedBySize > 0) {
      deletedObjects = this.deleteOrphans.run().changes;
      this.db.pragma('incremental_vacuum');
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    }
    return { deletedByAge, deletedBySize, deletedObjects, usedBytes: this.usedBytes() };
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
