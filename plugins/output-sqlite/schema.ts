/**
 * The store's tables, made for the built-in queries (src/core/queries/):
 *
 *  - process: one row per process record. `time_us` (microseconds since the
 *    epoch) orders and ranges; `time` keeps the record's ISO string. A
 *    dlopen or exit record whose process record has not arrived (yet)
 *    creates the row with complete = 0; the process record fills it later.
 *    exit records add exit_* columns to their process.
 *  - object: each distinct (path, signature) once — libc is stored once, not
 *    once per process. `signature` is '' for unstamped objects (a NULL would
 *    defeat the UNIQUE constraint).
 *  - process_object: which process loaded which object; `seq` is the index
 *    in the record's list, `dlopen_time_us` is set for objects a dlopen
 *    record added.
 *  - event: the uuid of every stored record, so a retried batch stores
 *    nothing twice (INSERT OR IGNORE).
 *
 * Indexes follow the queries: signature → processes (process.signature,
 * object.signature), object → processes (process_object_object), job →
 * processes in time order (process_job), time ranges and retention
 * (process_time), census groupings (binpath, username, hostname).
 *
 * PRAGMA user_version holds SCHEMA_VERSION; readers refuse a newer one.
 */

import type Database from 'better-sqlite3';

export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS process (
  id            INTEGER PRIMARY KEY,
  uuid          TEXT    NOT NULL UNIQUE,
  complete      INTEGER NOT NULL DEFAULT 1,
  time_us       INTEGER NOT NULL,
  time          TEXT    NOT NULL,
  hostname      TEXT    NOT NULL,
  job_id        TEXT,
  pid           INTEGER NOT NULL,
  parent_pid    INTEGER,
  uid           INTEGER,
  username      TEXT,
  binpath       TEXT,
  signature     TEXT,
  cmdline       TEXT,
  modules       TEXT,
  environment   TEXT,
  truncated     TEXT,
  incomplete    INTEGER NOT NULL DEFAULT 0,
  exit_time_us  INTEGER,
  exit_status   INTEGER,
  wall_time_us  INTEGER,
  max_rss_kb    INTEGER
);
CREATE INDEX IF NOT EXISTS process_time      ON process(time_us);
CREATE INDEX IF NOT EXISTS process_job       ON process(job_id, time_us);
CREATE INDEX IF NOT EXISTS process_signature ON process(signature) WHERE signature IS NOT NULL;
CREATE INDEX IF NOT EXISTS process_binpath   ON process(binpath);
CREATE INDEX IF NOT EXISTS process_user      ON process(username);
CREATE INDEX IF NOT EXISTS process_host      ON process(hostname);

CREATE TABLE IF NOT EXISTS object (
  id        INTEGER PRIMARY KEY,
  path      TEXT NOT NULL,
  signature TEXT NOT NULL DEFAULT '',
  UNIQUE (path, signature)
);
CREATE INDEX IF NOT EXISTS object_signature ON object(signature) WHERE signature <> '';

CREATE TABLE IF NOT EXISTS process_object (
  process_id     INTEGER NOT NULL,
  object_id      INTEGER NOT NULL,
  seq            INTEGER NOT NULL,
  dlopen_time_us INTEGER,
  PRIMARY KEY (process_id, object_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS process_object_object ON process_object(object_id, process_id);

CREATE TABLE IF NOT EXISTS event (
  uuid       TEXT    NOT NULL PRIMARY KEY,
  kind       TEXT    NOT NULL,
  process_id INTEGER NOT NULL,
  time_us    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS event_process ON event(process_id);
`;

/**
 * Creates or checks the schema. (auto_vacuum = INCREMENTAL, which lets
 * retention give pages back, must be set before journal_mode = WAL on a new
 * file: see output.ts.)
 */
export function ensureSchema(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(`${file}: database schema version ${version} is newer than this server's (${SCHEMA_VERSION}); use a newer ogrt-server`);
  }
  if (version === SCHEMA_VERSION) return;
  const tables = db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().get() as number;
  if (tables > 0) throw new Error(`${file}: not an OGRT store (it has tables but no OGRT schema version)`);
  db.transaction(() => {
    db.exec(SCHEMA_SQL);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}
