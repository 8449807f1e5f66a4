/**
 * `schema = "ecs"`: the record in Elastic Common Schema field names, so
 * Kibana's and Elastic Security's stock process views work. What ECS has no
 * field for stays in OGRT form under `ogrt.*` (job id, shared objects with
 * their signatures, modules, environment, receive info), and so does every
 * field this file does not know (a raw event's `syslog`, fields of a later
 * protocol version): a schema choice must never drop data.
 */
import type { OgrtRecord } from '../../src/core/plugin-api.ts';

export const ECS_VERSION = '8.11.0';

const EVENT_TYPE: Readonly<Record<string, readonly string[]>> = {
  process: ['start'],
  exit: ['end'],
  dlopen: ['change'],
};

/** Record fields placed above (in ECS fields or named under ogrt); anything else is copied to ogrt as it is. */
const PLACED: ReadonlySet<string> = new Set([
  'time', 'uuid', 'kind', 'process_uuid', 'binpath', 'pid', 'parent_pid', 'cmdline', 'exit_status', 'hostname', 'username', 'uid',
  'job_id', 'signature', 'shared_objects', 'loaded_modules', 'environment_variables', 'wall_time_us', 'max_rss_kb',
  'truncated', 'incomplete', 'missing_parts', 'receive',
]);

export function toEcs(r: OgrtRecord): object {
  const exe = r.binpath;
  const ogrt: Record<string, unknown> = {
    uuid: r.uuid,
    kind: r.kind,
    process_uuid: r.process_uuid,
    job_id: r.job_id,
    signature: r.signature,
    shared_objects: r.shared_objects,
    loaded_modules: r.loaded_modules,
    environment_variables: r.environment_variables,
    wall_time_us: r.wall_time_us,
    max_rss_kb: r.max_rss_kb,
    truncated: r.truncated,
    incomplete: r.incomplete,
    missing_parts: r.missing_parts,
    receive: r.receive,
  };
  for (const key in r) {
    if (!PLACED.has(key)) ogrt[key] = (r as unknown as Record<string, unknown>)[key];
  }
  return {
    '@timestamp': r.time,
    ecs: { version: ECS_VERSION },
    event: {
      kind: 'event',
      category: ['process'],
      type: EVENT_TYPE[r.kind] ?? ['info'],
      action: r.kind,
      id: r.uuid,
      created: r.receive?.time,
    },
    process: {
      // One entity id for a process and its later dlopen/exit records.
      entity_id: r.process_uuid ?? r.uuid,
      executable: exe,
      name: exe === undefined ? undefined : exe.slice(exe.lastIndexOf('/') + 1),
      pid: r.pid,
      parent: r.parent_pid === undefined ? undefined : { pid: r.parent_pid },
      command_line: r.cmdline,
      exit_code: r.exit_status,
    },
    host: { hostname: r.hostname, name: r.hostname },
    user: { name: r.username, id: r.uid === undefined ? undefined : String(r.uid) },
    ogrt,
  };
}
