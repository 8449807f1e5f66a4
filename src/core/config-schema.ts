/**
 * Schemas of the keys the core owns in ogrt.conf: `[server]` and the keys
 * shared by every output. Each plugin's own options are its schema's business
 * (plugins/<kind>-<name>/index.ts); inputs share only `type`.
 * docs/configuration.md documents every key here; keep them in step.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { LOG_LEVELS } from './logger.ts';

/** A string enum that ajv reports as one `enum` error (a Type.Union reports one error per branch). */
function StringEnum<const T extends readonly string[]>(values: T, options: { default?: T[number]; description: string }) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

const PositiveInt = (def: number, description: string, minimum = 1) =>
  Type.Integer({ minimum, default: def, description });

export const ServerSchema = Type.Object(
  {
    shutdown_timeout_ms: PositiveInt(10_000, 'Total time allowed on SIGTERM/SIGINT to stop inputs and flush every output queue.'),
    log_level: StringEnum(LOG_LEVELS, { default: 'info', description: 'Least severe level written to stderr.' }),
    data_dir: Type.String({ minLength: 1, default: 'data', description: 'Directory for server data (dead letters, disk buffers); relative to the config file.' }),
  },
  // No default here: this schema is validated as a root, where Ajv ignores `default`.
  { additionalProperties: false },
);
export type ServerSettings = Static<typeof ServerSchema>;

export const WHEN_FULL = ['block', 'drop_newest'] as const;
export type WhenFull = (typeof WHEN_FULL)[number];

export const BatchSchema = Type.Object(
  {
    max_events: PositiveInt(500, 'A batch is sent once it holds this many records.'),
    max_bytes: PositiveInt(1_048_576, 'A batch is sent once its records reach this many wire bytes.'),
    timeout_ms: PositiveInt(1_000, 'A batch that is not full is sent this long after its first record arrived.'),
  },
  { additionalProperties: false, default: {} },
);

export const FSYNC_POLICIES = ['batch', 'interval'] as const;

// max_events / max_bytes have no schema default: it depends on `type` (disk-buffer-config.ts, BUFFER_DEFAULTS).
export const BufferSchema = Type.Object(
  {
    type: StringEnum(['memory', 'disk'] as const, { default: 'memory', description: '"memory": records wait in RAM (lost if the server dies); "disk": in a write-ahead log under `path`, replayed at start (docs/buffering.md).' }),
    path: Type.Optional(Type.String({ minLength: 1, description: 'type = "disk": the buffer directory; default "<data_dir>/buffer/<output name>". Relative to the config file.' })),
    max_events: Type.Optional(Type.Integer({ minimum: 1, description: 'Records held for this output at most (queued + in flight; disk: not yet acknowledged). Default 2000 (memory), 1000000 (disk).' })),
    max_bytes: Type.Optional(Type.Integer({ minimum: 1, description: 'Bytes held for this output at most: wire bytes (memory, default 16 MiB) or bytes of the buffer files (disk, default 1 GiB).' })),
    when_full: StringEnum(WHEN_FULL, { default: 'block', description: '"block": inputs pause until there is room; "drop_newest": new records are dropped for this output only, and counted.' }),
    fsync: Type.Optional(StringEnum(FSYNC_POLICIES, { description: 'type = "disk": "batch" (default): each write is fdatasync\'ed before its records count as accepted; "interval": accepted once written, synced every fsync_interval_ms.' })),
    fsync_interval_ms: Type.Optional(Type.Integer({ minimum: 1, description: 'fsync = "interval": time between syncs; default 1000. A power loss may lose the records accepted in that time.' })),
  },
  { additionalProperties: false, default: {} },
);

/** `buffer` after resolution (disk-buffer-config.ts): defaults by type, absolute path. */
export interface BufferSettings {
  readonly type: 'memory' | 'disk';
  readonly max_events: number;
  readonly max_bytes: number;
  readonly when_full: WhenFull;
  /** type = "disk" only: absolute directory. */
  readonly path?: string;
  readonly fsync?: (typeof FSYNC_POLICIES)[number];
  readonly fsync_interval_ms?: number;
}

export const RetrySchema = Type.Object(
  {
    initial_backoff_ms: PositiveInt(200, 'Upper bound of the first retry delay (full jitter).'),
    max_backoff_ms: PositiveInt(30_000, 'Upper bound of any retry delay.'),
    max_attempts: PositiveInt(0, 'Sends of one batch before its records are dead-lettered; 0 retries forever.', 0),
  },
  { additionalProperties: false, default: {} },
);

/** Keys every output has, validated by the core and removed before the plugin sees its options. */
export const OutputSharedSchema = Type.Object(
  {
    batch: BatchSchema,
    buffer: BufferSchema,
    // No default here: a default would always conflict-check against buffer.when_full.
    when_full: Type.Optional(StringEnum(WHEN_FULL, { description: 'Shorthand for buffer.when_full.' })),
    retry: RetrySchema,
    dead_letter_path: Type.Optional(Type.String({ minLength: 1, description: 'JSONL file for rejected records; default "<data_dir>/dead-letter/<output name>.jsonl".' })),
    concurrency: PositiveInt(1, 'Batches in flight at once for this output.'),
    send_timeout_ms: PositiveInt(60_000, 'A send() that has not settled after this long is treated as "retry"; its late result is ignored.'),
  },
  { additionalProperties: false },
);
export type OutputShared = Static<typeof OutputSharedSchema>;

/** Names of keys the core owns in an `[outputs.NAME]` table (besides `type`). */
export const OUTPUT_SHARED_KEYS: readonly string[] = Object.keys(OutputSharedSchema.properties);

/**
 * Keys every filter has (`[filters.NAME]`), validated by the core and
 * removed before the plugin sees its options. docs/plugins.md documents them.
 */
export const FilterSharedSchema = Type.Object(
  {
    timeout_ms: PositiveInt(5_000, 'An async process() that has not settled after this long is abandoned: the batch passes on unfiltered.'),
    inputs: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        uniqueItems: true,
        description: 'Names of the inputs ([inputs.NAME]) whose records this filter sees; default: every input.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type FilterShared = Static<typeof FilterSharedSchema>;

/** Names of keys the core owns in a `[filters.NAME]` table (besides `type`). */
export const FILTER_SHARED_KEYS: readonly string[] = Object.keys(FilterSharedSchema.properties);

/** Top level of ogrt.conf. `inputs`, `filters` and `outputs` hold one table per instance. */
export const TOP_LEVEL_KEYS: readonly string[] = ['server', 'inputs', 'filters', 'outputs', 'dashboard'];

/** Instance names end up in metric labels and file names. */
export const INSTANCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export interface OutputSettings {
  readonly batch: Readonly<Static<typeof BatchSchema>>;
  readonly buffer: BufferSettings;
  readonly retry: Readonly<Static<typeof RetrySchema>>;
  /** Absolute path. */
  readonly dead_letter_path: string;
  readonly concurrency: number;
  readonly send_timeout_ms: number;
}

export function schemaProperties(schema: TSchema): string[] {
  const props = (schema as { properties?: Record<string, unknown> }).properties;
  return props === undefined ? [] : Object.keys(props);
}
