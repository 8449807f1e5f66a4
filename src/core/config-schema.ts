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
    data_dir: Type.String({ minLength: 1, default: 'data', description: 'Directory for server data (dead letters, later the disk buffer); relative to the config file.' }),
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

export const BufferSchema = Type.Object(
  {
    type: StringEnum(['memory', 'disk'] as const, { default: 'memory', description: 'Where queued records wait. Only "memory" exists for now.' }),
    max_events: PositiveInt(10_000, 'Records held for this output at most (queued + in flight).'),
    max_bytes: PositiveInt(67_108_864, 'Wire bytes held for this output at most (queued + in flight).'),
    when_full: StringEnum(WHEN_FULL, { default: 'block', description: '"block": inputs pause until there is room; "drop_newest": new records are dropped for this output only, and counted.' }),
  },
  { additionalProperties: false, default: {} },
);

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

/** Top level of ogrt.conf. `inputs` and `outputs` hold one table per instance. */
export const TOP_LEVEL_KEYS: readonly string[] = ['server', 'inputs', 'outputs'];

/** Instance names end up in metric labels and file names. */
export const INSTANCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export interface OutputSettings {
  readonly batch: Readonly<Static<typeof BatchSchema>>;
  readonly buffer: Readonly<Static<typeof BufferSchema>>;
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
