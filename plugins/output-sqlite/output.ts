/**
 * The output instance: opens the database (WAL), writes each batch in one
 * transaction and reports `ok` only after the commit; enforces retention on
 * a timer. send() never throws:
 *  - a lock held too long (SQLITE_BUSY/LOCKED) or an I/O problem (IOERR,
 *    FULL, CANTOPEN, READONLY, ...) is `retry` — the same batch again later;
 *  - any other error is narrowed down record by record: the records that
 *    fail on their own are rejected (dead-lettered), the rest is stored.
 */
import { closeSync, fchmodSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Batch, OgrtRecord, OutputContext, OutputInstance, SendResult } from '../../src/core/plugin-api.ts';
import type { SqliteSettings } from './config.ts';
import { ensureSchema } from './schema.ts';
import { StoreWriter } from './writer.ts';
import { Retention } from './retention.ts';

/** Page cache of the writing connection, KiB. */
const CACHE_KIB = 32_768;

const OK: SendResult = Object.freeze({ status: 'ok' });

/** SQLite result codes (primary part of the extended code) worth retrying. */
const TRANSIENT = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_PROTOCOL', 'SQLITE_NOLFS', 'SQLITE_INTERRUPT']);

export function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string') return false;
  const primary = /^SQLITE_[A-Z]+/.exec(code)?.[0] ?? code;
  return TRANSIENT.has(primary);
}

export class SqliteOutput implements OutputInstance {
  private db: Database.Database | undefined;
  private writer: StoreWriter | undefined;
  private retention: Retention | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retentionRunning: Promise<void> | undefined;

  constructor(private readonly ctx: OutputContext, private readonly settings: SqliteSettings) {}

  async start(): Promise<void> {
    const s = this.settings;
    mkdirSync(path.dirname(s.file), { recursive: true, mode: 0o750 });
    createWithMode(s.file, s.mode);
    const db = new Database(s.file, { timeout: s.busyTimeoutMs });
    try {
      const hasTables = (db.prepare("SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'").pluck().get() as number) > 0;
      if (!hasTables) db.pragma('auto_vacuum = INCREMENTAL');
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`${s.file}: cannot switch to WAL mode (journal_mode is ${String(mode)})`);
      db.pragma(`synchronous = ${s.synchronous.toUpperCase()}`);
      // Random uuid keys touch many pages per batch; a larger page cache keeps them in memory.
      db.pragma(`cache_size = -${CACHE_KIB}`);
      ensureSchema(db, s.file);
      this.writer = new StoreWriter(db);
      this.retention = new Retention(db);
    } catch (err) {
      db.close();
      throw err;
    }
    this.db = db;
    this.ctx.log.info({ path: s.file }, 'database open');
    // Also without limits: each run reports the database size (gauge database_bytes).
    void this.runRetention();
    this.timer = setInterval(() => void this.runRetention(), s.retentionIntervalMs);
    this.timer.unref();
  }

  async send(batch: Batch): Promise<SendResult> {
    const writer = this.writer;
    if (writer === undefined) return { status: 'retry', reason: 'database is not open' };
    if (batch.records.length === 0) return OK;
    try {
      const outcome = writer.write(batch.records);
      if (outcome.duplicates > 0) this.ctx.metrics.increment('duplicates_total', outcome.duplicates);
      return OK;
    } catch (err) {
      if (isTransient(err)) return this.retry(err);
      return this.narrowDown(writer, batch.records, err);
    }
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.retentionRunning;
    const db = this.db;
    this.db = this.writer = this.retention = undefined;
    if (db === undefined) return;
    try {
      db.pragma('optimize');
    } finally {
      db.close();
    }
  }

  /** Runs retention now unless a run is in progress (tests and the timer). */
  runRetention(): Promise<void> {
    if (this.retentionRunning !== undefined) return this.retentionRunning;
    const retention = this.retention;
    if (retention === undefined) return Promise.resolve();
    const s = this.settings;
    this.retentionRunning = retention
      .run({ maxAgeMs: s.retentionMs, maxBytes: s.maxBytes })
      .then(
        (r) => {
          if (r.deletedObjects > 0) this.writer?.forgetObjects();
          if (r.deletedByAge > 0) this.ctx.metrics.increment('retention_deleted_processes_total', r.deletedByAge, { reason: 'age' });
          if (r.deletedBySize > 0) this.ctx.metrics.increment('retention_deleted_processes_total', r.deletedBySize, { reason: 'size' });
          if (r.deletedByAge + r.deletedBySize > 0) {
            this.ctx.log.info({ deleted_by_age: r.deletedByAge, deleted_by_size: r.deletedBySize, deleted_objects: r.deletedObjects, used_bytes: r.usedBytes }, 'retention');
          }
          this.ctx.metrics.setGauge('database_bytes', r.usedBytes);
        },
        (err: unknown) => {
          // A failed run is retried by the next tick; records are never at risk here.
          this.ctx.metrics.increment('component_errors_total', 1, { error_type: 'retention_failed', stage: 'processing' });
          this.ctx.log.warn({ err, code: (err as { code?: string })?.code }, 'retention run failed; will try again');
        },
      )
      .finally(() => {
        this.retentionRunning = undefined;
      });
    return this.retentionRunning;
  }

  private retry(err: unknown): SendResult {
    const code = (err as { code?: string }).code ?? 'error';
    this.ctx.metrics.increment('component_errors_total', 1, { error_type: code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') ? 'busy' : 'io', stage: 'sending' });
    return { status: 'retry', reason: `${code}: ${(err as Error).message}` };
  }

  /** A non-transient error: find the records that fail on their own. */
  private narrowDown(writer: StoreWriter, records: readonly OgrtRecord[], first: unknown): SendResult {
    const rejected: { index: number; reason: string }[] = [];
    for (let i = 0; i < records.length; i++) {
      try {
        writer.write([records[i]]);
      } catch (err) {
        if (isTransient(err)) return this.retry(err);
        rejected.push({ index: i, reason: describe(err) });
      }
    }
    if (rejected.length === 0) {
      // Every record stored alone: the batch error was not about the data.
      this.ctx.log.warn({ reason: describe(first) }, 'batch failed but each record stored on its own');
      return OK;
    }
    this.ctx.metrics.increment('component_errors_total', rejected.length, { error_type: 'record_refused', stage: 'sending' });
    if (rejected.length === records.length) return { status: 'reject', reason: rejected[0].reason };
    return { status: 'partial', rejected };
  }
}

/**
 * Creates the (empty) database file with exactly `mode` unless it exists:
 * SQLite would create it 0644 minus the umask, and gives its -wal and -shm
 * files the mode of the database file.
 */
function createWithMode(file: string, mode: number): void {
  let fd: number;
  try {
    fd = openSync(file, 'wx', mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw err;
  }
  try {
    fchmodSync(fd, mode);
  } finally {
    closeSync(fd);
  }
}

function describe(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  const message = (err as Error)?.message ?? String(err);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}
