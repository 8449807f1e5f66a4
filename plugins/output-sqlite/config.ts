/**
 * Options of `type = "sqlite"` outputs and their resolution into what the
 * store needs.
 */
import path from 'node:path';
import { Type, type Static } from '../../src/core/plugin-api.ts';

export const SYNCHRONOUS = ['full', 'normal'] as const;

export const SqliteOutputOptions = Type.Object(
  {
    path: Type.String({
      minLength: 1,
      default: 'data/ogrt.db',
      description:
        'SQLite database file; relative to the directory of ogrt.conf. Created (with missing directories) on first start. The queries of the dashboard and of `ogrt-server query` read it.',
    }),
    retention_days: Type.Number({
      minimum: 0,
      default: 0,
      description: 'Delete processes (with their libraries and events) whose start is older than this many days. 0 keeps everything.',
    }),
    max_size_mb: Type.Number({
      minimum: 0,
      default: 0,
      description:
        'Keep the data under this many MiB: the oldest processes are deleted until the rest would fit in 90% of it (and the pages in use are under the limit), and the freed pages are returned to the file system. 0: no size limit.',
    }),
    retention_interval_s: Type.Integer({
      minimum: 1,
      default: 300,
      description: 'How often retention_days and max_size_mb are enforced (also once at start).',
    }),
    synchronous: Type.Unsafe<(typeof SYNCHRONOUS)[number]>({
      type: 'string',
      enum: [...SYNCHRONOUS],
      default: 'full',
      description:
        '"full": every batch is fsynced before it is reported stored (survives a power loss); "normal": survives a crash of ogrt-server but the last batches may be lost on a power loss (faster on slow disks).',
    }),
    mode: Type.String({
      pattern: '^0?[0-7]{3}$',
      default: '0640',
      description:
        'Permissions (octal) of the database file when this output creates it, set exactly regardless of the umask; SQLite gives its -wal and -shm files the same. Records carry user names, command lines and environment variables: keep them away from other users. Directories it creates get 0750.',
    }),
    busy_timeout_ms: Type.Integer({
      minimum: 0,
      default: 5_000,
      description: 'How long a write waits for a lock held by another connection (e.g. a long query) before the batch is retried.',
    }),
  },
  { additionalProperties: false },
);

export type SqliteOutputOptions = Static<typeof SqliteOutputOptions>;

export interface SqliteSettings {
  /** Absolute path of the database file. */
  readonly file: string;
  /** 0: none. */
  readonly retentionMs: number;
  /** 0: none. */
  readonly maxBytes: number;
  readonly retentionIntervalMs: number;
  readonly synchronous: 'full' | 'normal';
  readonly busyTimeoutMs: number;
  readonly mode: number;
}

const DAY_MS = 86_400_000;

/** Throws (with a message naming the key) on what the schema cannot check. */
export function resolveSettings(options: SqliteOutputOptions, configDir: string): SqliteSettings {
  if (options.path.endsWith('/')) throw new Error(`path: "${options.path}" names a directory, not a file`);
  if (options.path === ':memory:') throw new Error('path: ":memory:" would lose every record at exit; name a file');
  return Object.freeze({
    file: path.resolve(configDir, options.path),
    retentionMs: Math.round(options.retention_days * DAY_MS),
    maxBytes: Math.round(options.max_size_mb * 1_048_576),
    retentionIntervalMs: options.retention_interval_s * 1000,
    synchronous: options.synchronous,
    busyTimeoutMs: options.busy_timeout_ms,
    mode: parseInt(options.mode, 8),
  });
}
