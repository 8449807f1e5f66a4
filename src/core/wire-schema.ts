/**
 * Names, field order and value classes of OGRT protocol version 1
 * (docs/protocol.md §2–§3, §7), shared by the encoder and the decoder.
 */

export const PROTOCOL_VERSION = '1';
export const APP_NAME = 'ogrt';
export const SD_RECORD = 'ogrt@32473';
export const SD_SO = 'ogrt-so@32473';
export const SD_SIG = 'ogrt-sig@32473';
export const SD_MOD = 'ogrt-mod@32473';
export const SD_ENV = 'ogrt-env@32473';

export const DEFAULT_MAX_MESSAGE_SIZE = 8096;
export const MIN_MAX_MESSAGE_SIZE = 4096;
export const SHORT_CAP = 255;
/** Most parts a record may have: §4 reserves room for five digits. */
export const MAX_PARTS = 99999;

/** Cap of long values: `floor((M - 2048) / 2)` encoded bytes. */
export function longCap(maxMessageSize: number): number {
  return Math.floor((maxMessageSize - 2048) / 2);
}

export type FieldClass = 'short' | 'long' | 'number';

/** Record fields of `ogrt@32473`, in wire order. */
export const RECORD_FIELDS = [
  ['process_uuid', 'short'],
  ['time', 'number'],
  ['hostname', 'short'],
  ['job_id', 'short'],
  ['pid', 'number'],
  ['parent_pid', 'number'],
  ['uid', 'number'],
  ['username', 'short'],
  ['binpath', 'long'],
  ['signature', 'short'],
  ['cmdline', 'long'],
  ['exit_status', 'number'],
  ['wall_time_us', 'number'],
  ['max_rss_kb', 'number'],
] as const satisfies ReadonlyArray<readonly [string, FieldClass]>;

export type RecordFieldName = (typeof RECORD_FIELDS)[number][0];

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// `truncated` paths (§7). A list item that is one wire value is named by its
// index; a shared object's two values by `.path` / `.signature`.
export const soPathRef = (i: number): string => `shared_objects[${i}].path`;
export const soSignatureRef = (i: number): string => `shared_objects[${i}].signature`;
export const moduleRef = (i: number): string => `loaded_modules[${i}]`;
export const envRef = (i: number): string => `environment_variables[${i}]`;
