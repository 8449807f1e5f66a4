/**
 * Retention: by age (processes that started before now - retention_days)
 * and by size (the oldest processes until the data fits in 90% of
 * max_size_mb). Deletes run in chunks, one short transaction each, yielding
 * to the event loop in between so batches keep being written meanwhile.
 * Afterwards orphaned objects go, freed pages are returned to the file
 * system (auto_vacuum = INCREMENTAL) and the WAL is truncated.
 */
import type Database from 'better-sqlite3';

type Db = Database.Database;

/** Processes deleted per transaction. */
const CHUNK = 2_000;
/** Size retention deletes down to this fraction of max_size_mb, so it does not run on every check. */
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

  constructor(private readonly db: Db) {
    this.oldestBefore = db.prepare<[number, number], number>('SELECT id FROM process WHERE time_us < ? ORDER BY time_us LIMIT ?').pluck();
    this.oldest = db.prepare<[number], number>('SELECT id FROM process ORDER BY time_us LIMIT ?').pluck();
    this.countProcesses = db.prepare<[], number>('SELECT count(*) FROM process').pluck();
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
    if (policy.maxBytes > 0) {
      const target = policy.maxBytes * SIZE_TARGET;
      let used = this.usedBytes();
      if (used > policy.maxBytes) {
        while (used > target) {
          const count = this.countProcesses.get() as number;
          if (count === 0) break;
          // Average bytes per process (with its links and events) estimate how many to delete.
          const wanted = Math.ceil(((used - target) / used) * count);
          const ids = this.oldest.all(Math.max(1, Math.min(CHUNK, wanted)));
          this.deleteChunk.immediate(ids);
          deletedBySize += ids.length;
          await yieldToEventLoop();
          used = this.usedBytes();
        }
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
