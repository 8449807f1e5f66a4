/**
 * `[outputs.NAME] buffer = {...}` after validation: defaults that depend on
 * the buffer type, the disk buffer's directory made absolute, keys that
 * make no sense for the type refused. And the sizes derived from the
 * settings (segment size, read-ahead window) that are not configuration.
 */
import path from 'node:path';
import type { BufferSettings, WhenFull } from './config-schema.ts';

export const BUFFER_DEFAULTS = {
  memory: { max_events: 2_000, max_bytes: 16_777_216 },
  disk: { max_events: 1_000_000, max_bytes: 1_073_741_824 },
} as const;

export const DEFAULT_FSYNC_INTERVAL_MS = 1_000;

/** The buffer table as validated by BufferSchema (no type-dependent defaults yet). */
export interface RawBuffer {
  type: 'memory' | 'disk';
  path?: string;
  max_events?: number;
  max_bytes?: number;
  when_full: WhenFull;
  fsync?: 'batch' | 'interval';
  fsync_interval_ms?: number;
}

/** Resolved settings, or the problems as [key under `buffer`, message]. */
export function resolveBufferSettings(
  raw: RawBuffer,
  whenFull: WhenFull,
  output: string,
  configDir: string,
  dataDir: string,
): { settings: BufferSettings } | { problems: [string, string][] } {
  const problems: [string, string][] = [];
  if (raw.type === 'memory') {
    for (const key of ['path', 'fsync', 'fsync_interval_ms'] as const) {
      if (raw[key] !== undefined) problems.push([key, 'applies to type = "disk" only']);
    }
  } else if (raw.fsync_interval_ms !== undefined && raw.fsync !== 'interval') {
    problems.push(['fsync_interval_ms', 'applies to fsync = "interval" only (the default, "batch", syncs every write)']);
  }
  if (problems.length > 0) return { problems };
  const defaults = BUFFER_DEFAULTS[raw.type];
  const settings: BufferSettings = {
    type: raw.type,
    max_events: raw.max_events ?? defaults.max_events,
    max_bytes: raw.max_bytes ?? defaults.max_bytes,
    when_full: whenFull,
    ...(raw.type === 'disk'
      ? {
          path: raw.path !== undefined ? path.resolve(configDir, raw.path) : path.join(dataDir, 'buffer', output),
          fsync: raw.fsync ?? 'batch',
          fsync_interval_ms: raw.fsync_interval_ms ?? DEFAULT_FSYNC_INTERVAL_MS,
        }
      : {}),
  };
  return { settings };
}

/** Disk buffer paths used by more than one output: [output, other output, path]. */
export function sharedBufferPaths(outputs: readonly { id: string; buffer: BufferSettings }[]): [string, string, string][] {
  const seen = new Map<string, string>();
  const clashes: [string, string, string][] = [];
  for (const o of outputs) {
    if (o.buffer.path === undefined) continue;
    const other = seen.get(o.buffer.path);
    if (other !== undefined) clashes.push([o.id, other, o.buffer.path]);
    else seen.set(o.buffer.path, o.id);
  }
  return clashes;
}

const MIB = 1024 * 1024;

/** Segment files of about max_bytes / 8, between 16 KiB and 32 MiB: deletion frees space in steps of one segment. */
export function segmentSize(maxBytes: number): number {
  return Math.min(32 * MIB, Math.max(16 * 1024, Math.floor(maxBytes / 8)));
}

/**
 * Read-ahead window: enough for every worker to have a full batch in
 * flight and the next one ready, so reading never starves the output.
 */
export function windowSize(batch: { max_events: number; max_bytes: number }, concurrency: number): { events: number; bytes: number } {
  return { events: batch.max_events * (concurrency + 1), bytes: batch.max_bytes * (concurrency + 1) };
}

/** Encoded bytes that may wait for the write loop before further offers wait as well. */
export function maxPendingBytes(maxBytes: number): number {
  return Math.min(maxBytes, 4 * MIB);
}
