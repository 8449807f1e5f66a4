/**
 * Writes batches into the store (schema.ts): one transaction per batch, all
 * statements prepared once. Idempotent by record uuid: a record whose uuid
 * is already in `event` is skipped, so a batch retried after an unknown
 * outcome stores nothing twice. (A record in the same batch twice is two
 * inserts of one uuid: the second is skipped as well, since the first is
 * visible inside the transaction.)
 *
 * Shared objects are normalized: (path, signature) → object id, cached in
 * memory because the same few hundred libraries appear in nearly every
 * record; a miss costs one INSERT OR IGNORE + one SELECT.
 *
 * Strings that hold bytes which were not UTF-8 (lone surrogates, see
 * docs/protocol.md §7) are stored with U+FFFD in their place: SQLite text
 * is UTF-8. The file output keeps such bytes exactly.
 */
import type Database from 'better-sqlite3';
import type { OgrtRecord } from '../../src/core/plugin-api.ts';

type Db = Database.Database;
type Stmt = Database.Statement;

/** Links inserted per statement. */
const LINK_CHUNK = 32;
/** Object ids kept in memory at most; the cache starts over when full. */
const OBJECT_CACHE_MAX = 100_000;

export interface WriteOutcome {
  /** Records newly stored (the others were stored before: duplicates). */
  readonly stored: number;
  readonly duplicates: number;
}

export class StoreWriter {
  private readonly eventExists: Stmt;
  private readonly insertEvent: Stmt;
  private readonly upsertProcess: Stmt;
  private readonly placeholderProcess: Stmt;
  private readonly processIdByUuid: Stmt;
  private readonly insertObject: Stmt;
  private readonly objectId: Stmt;
  /** Multi-row link inserts by row count, prepared on first use. */
  private readonly insertLinks: Stmt[] = [];
  private readonly linkParams: unknown[] = [];
  private readonly setExit: Stmt;
  private readonly objectIds = new Map<string, number>();
  private readonly writeBatch: Database.Transaction<(records: readonly OgrtRecord[]) => WriteOutcome>;

  constructor(private readonly db: Db) {
    this.eventExists = db.prepare('SELECT 1 FROM event WHERE uuid = ?').pluck();
    this.insertEvent = db.prepare('INSERT INTO event (uuid, kind, process_id, time_us) VALUES (?, ?, ?, ?)');
    this.upsertProcess = db.prepare(`
      INSERT INTO process (uuid, complete, time_us, time, hostname, job_id, pid, parent_pid, uid, username,
                           binpath, signature, cmdline, modules, environment, truncated, incomplete)
      VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (uuid) DO UPDATE SET
        complete = 1, time_us = excluded.time_us, time = excluded.time, hostname = excluded.hostname,
        job_id = excluded.job_id, pid = excluded.pid, parent_pid = excluded.parent_pid, uid = excluded.uid,
        username = excluded.username, binpath = excluded.binpath, signature = excluded.signature,
        cmdline = excluded.cmdline, modules = excluded.modules, environment = excluded.environment,
        truncated = excluded.truncated, incomplete = excluded.incomplete
      WHERE process.complete = 0
      RETURNING id`);
    // A dlopen/exit record before (or without) its process record: the row
    // holds what that record knows until the process record arrives.
    this.placeholderProcess = db.prepare(`
      INSERT INTO process (uuid, complete, time_us, time, hostname, job_id, pid, parent_pid, uid, username, binpath, signature)
      VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (uuid) DO NOTHING`);
    this.processIdByUuid = db.prepare('SELECT id FROM process WHERE uuid = ?').pluck();
    this.insertObject = db.prepare('INSERT OR IGNORE INTO object (path, signature) VALUES (?, ?)');
    this.objectId = db.prepare('SELECT id FROM object WHERE path = ? AND signature = ?').pluck();
    this.setExit = db.prepare('UPDATE process SET exit_time_us = ?, exit_status = ?, wall_time_us = ?, max_rss_kb = ? WHERE id = ?');

    this.writeBatch = db.transaction((records: readonly OgrtRecord[]): WriteOutcome => {
      let stored = 0;
      for (let i = 0; i < records.length; i++) {
        const r = records[i];
        const timeUs = isoToMicros(r.time);
        if (this.eventExists.get(r.uuid) !== undefined) continue;
        const processId = r.kind === 'process' ? this.storeProcess(r, timeUs) : this.storeFollowUp(r, timeUs);
        this.insertEvent.run(r.uuid, r.kind, processId, timeUs);
        stored++;
      }
      return { stored, duplicates: records.length - stored };
    });
  }

  /** Stores the records in one transaction; throws (nothing stored) on any SQLite error. */
  write(records: readonly OgrtRecord[]): WriteOutcome {
    return this.writeBatch.immediate(records);
  }

  /** Retention deleted objects: cached ids may be stale. */
  forgetObjects(): void {
    this.objectIds.clear();
  }

  private storeProcess(r: OgrtRecord, timeUs: number): number {
    const row = this.upsertProcess.get(
      r.uuid, timeUs, r.time, r.hostname, opt(r.job_id), r.pid, opt(r.parent_pid), opt(r.uid), opt(r.username),
      opt(r.binpath), opt(r.signature), opt(r.cmdline),
      r.loaded_modules.length === 0 ? null : JSON.stringify(r.loaded_modules.map(moduleName)),
      r.environment_variables.length === 0 ? null : JSON.stringify(r.environment_variables.map(envPair)),
      r.truncated === undefined || r.truncated.length === 0 ? null : JSON.stringify(r.truncated),
      r.incomplete === true ? 1 : 0,
    ) as { id: number } | undefined;
    const processId = row !== undefined ? row.id : (this.processIdByUuid.get(r.uuid) as number);
    this.link(processId, r, null);
    return processId;
  }

  /** dlopen and exit records: attach to their process (created if it has not arrived). */
  private storeFollowUp(r: OgrtRecord, timeUs: number): number {
    const processUuid = r.process_uuid ?? r.uuid;
    let processId = this.processIdByUuid.get(processUuid) as number | undefined;
    if (processId === undefined) {
      this.placeholderProcess.run(
        processUuid, timeUs, r.time, r.hostname, opt(r.job_id), r.pid, opt(r.parent_pid), opt(r.uid), opt(r.username),
        opt(r.binpath), opt(r.signature),
      );
      processId = this.processIdByUuid.get(processUuid) as number;
    }
    if (r.kind === 'exit') {
      this.setExit.run(timeUs, opt(r.exit_status), opt(r.wall_time_us), opt(r.max_rss_kb), processId);
    }
    this.link(processId, r, r.kind === 'dlopen' ? timeUs : null);
    return processId;
  }

  /** One multi-row INSERT per LINK_CHUNK objects: a third faster than a statement per row. */
  private link(processId: number, r: OgrtRecord, dlopenTimeUs: number | null): void {
    const objects = r.shared_objects;
    const params = this.linkParams;
    for (let start = 0; start < objects.length; start += LINK_CHUNK) {
      const end = Math.min(objects.length, start + LINK_CHUNK);
      params.length = 0;
      for (let i = start; i < end; i++) {
        const so = objects[i];
        params.push(processId, this.objectIdOf(so.path, so.signature ?? ''), i, dlopenTimeUs);
      }
      this.linkStatement(end - start).run(params);
    }
  }

  private linkStatement(rows: number): Stmt {
    let stmt = this.insertLinks[rows];
    if (stmt === undefined) {
      const values = new Array<string>(rows).fill('(?, ?, ?, ?)').join(', ');
      stmt = this.db.prepare(`INSERT OR IGNORE INTO process_object (process_id, object_id, seq, dlopen_time_us) VALUES ${values}`);
      this.insertLinks[rows] = stmt;
    }
    return stmt;
  }

  private objectIdOf(path: string, signature: string): number {
    const key = signature === '' ? path : `${path}\u0000${signature}`;
    let id = this.objectIds.get(key);
    if (id !== undefined) return id;
    this.insertObject.run(path, signature);
    id = this.objectId.get(path, signature) as number;
    if (this.objectIds.size >= OBJECT_CACHE_MAX) this.objectIds.clear();
    this.objectIds.set(key, id);
    return id;
  }
}

function opt<T>(v: T | undefined): T | null {
  return v === undefined ? null : v;
}

function moduleName(m: { name: string }): string {
  return m.name;
}

function envPair(e: { name: string; value: string }): [string, string] {
  return [e.name, e.value];
}

const ISO_MICROS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;

/** `2026-11-24T21:40:08.123456Z` → microseconds since the epoch (exact, no float rounding of the fraction). */
export function isoToMicros(time: string): number {
  const m = ISO_MICROS.exec(time);
  if (m === null) {
    const ms = Date.parse(time);
    return Number.isNaN(ms) ? 0 : ms * 1000;
  }
  const seconds = Date.parse(`${m[1]}Z`) / 1000;
  const fraction = m[2] === undefined ? 0 : Number((m[2] + '00000').slice(0, 6));
  return seconds * 1_000_000 + fraction;
}
