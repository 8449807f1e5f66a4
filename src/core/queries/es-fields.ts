/**
 * Field names of the documents output-elasticsearch writes
 * (plugins/output-elasticsearch/template.ts), for both of its schemas:
 * "ogrt" (the record as it is) and "ecs" (Elastic Common Schema, OGRT extras
 * under `ogrt.`). Every field queried here is a `keyword` (exact terms,
 * aggregations) or `time`/`@timestamp` (`date_nanos`).
 */
import type { OgrtRecord } from '../record.ts';

export interface EsFields {
  readonly uuid: string;
  readonly kind: string;
  readonly processUuid: string;
  readonly time: string;
  readonly jobId: string;
  readonly username: string;
  /** Numeric uid (ogrt: long; ecs: user.id, keyword). */
  readonly uid: string;
  readonly hostname: string;
  readonly binpath: string;
  readonly signature: string;
  readonly soPath: string;
  readonly soSignature: string;
}

export const OGRT_FIELDS: EsFields = Object.freeze({
  uuid: 'uuid',
  kind: 'kind',
  processUuid: 'process_uuid',
  time: 'time',
  jobId: 'job_id',
  username: 'username',
  uid: 'uid',
  hostname: 'hostname',
  binpath: 'binpath',
  signature: 'signature',
  soPath: 'shared_objects.path',
  soSignature: 'shared_objects.signature',
});

export const ECS_FIELDS: EsFields = Object.freeze({
  uuid: 'ogrt.uuid',
  kind: 'ogrt.kind',
  processUuid: 'ogrt.process_uuid',
  time: '@timestamp',
  jobId: 'ogrt.job_id',
  username: 'user.name',
  uid: 'user.id',
  hostname: 'host.hostname',
  binpath: 'process.executable',
  signature: 'ogrt.signature',
  soPath: 'ogrt.shared_objects.path',
  soSignature: 'ogrt.shared_objects.signature',
});

/** The record fields the job story needs, read back from a document of either schema. */
export type DocRecord = Omit<OgrtRecord, 'kind' | 'truncated' | 'missing_parts' | 'receive'> & {
  /** Kept as stored: raw events have kinds outside RecordKind. */
  kind: string;
};

export function fromSource(source: any, schema: 'ogrt' | 'ecs'): DocRecord {
  if (schema === 'ogrt') {
    return {
      ...source,
      shared_objects: source.shared_objects ?? [],
      loaded_modules: source.loaded_modules ?? [],
      environment_variables: source.environment_variables ?? [],
    };
  }
  const o = source.ogrt ?? {};
  const p = source.process ?? {};
  const uid = source.user?.id;
  return {
    uuid: o.uuid,
    kind: o.kind,
    process_uuid: o.process_uuid,
    time: source['@timestamp'],
    hostname: source.host?.hostname ?? '',
    job_id: o.job_id,
    pid: p.pid,
    parent_pid: p.parent?.pid,
    uid: uid === undefined ? undefined : Number(uid),
    username: source.user?.name,
    binpath: p.executable,
    signature: o.signature,
    cmdline: p.command_line,
    shared_objects: o.shared_objects ?? [],
    loaded_modules: o.loaded_modules ?? [],
    environment_variables: o.environment_variables ?? [],
    exit_status: p.exit_code,
    wall_time_us: o.wall_time_us,
    max_rss_kb: o.max_rss_kb,
    incomplete: o.incomplete,
  };
}

/** Aggregation date strings (any fraction length) → six fractional digits, like record times. */
export function normalizeTime(value: unknown): string {
  if (typeof value === 'number') return new Date(value).toISOString().replace('Z', '000Z');
  const s = String(value);
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]00:?00)?$/.exec(s);
  if (m === null) return s;
  return `${m[1]}.${((m[2] ?? '') + '000000').slice(0, 6)}Z`;
}
