/**
 * The index template (PUT _index_template/<name>) with explicit mappings.
 *
 * Why these types:
 *  - ids, paths, signatures, names: `keyword`, so terms queries and
 *    aggregations are exact (a path is an identifier, not prose);
 *  - `time`: `date_nanos`, which keeps the wire's microseconds (`date` would
 *    round to milliseconds);
 *  - `shared_objects`: a plain (not nested) object array. Elasticsearch
 *    flattens it to `shared_objects.path` / `shared_objects.signature` arrays,
 *    so "which jobs loaded signature X" is ONE terms query on
 *    `shared_objects.signature`. The price: a query that needs path AND
 *    signature of the *same* object can match across objects (README);
 *  - `dynamic: false`: fields a later protocol version adds are kept in
 *    _source but not indexed until the template (TEMPLATE_VERSION) grows.
 */
import type { ResolvedConfig } from './config.ts';

/** Bump when the mappings change; installed templates carry it as `version`. */
export const TEMPLATE_VERSION = 1;

const keyword = { type: 'keyword' } as const;
const longText = { type: 'keyword', ignore_above: 8191 } as const;
const nanos = { type: 'date_nanos' } as const;
const long = { type: 'long' } as const;

/** Fields that both schemas keep in OGRT form (under `ogrt.` for ECS). */
function ogrtExtras(): Record<string, object> {
  return {
    uuid: keyword,
    kind: keyword,
    process_uuid: keyword,
    job_id: keyword,
    signature: keyword,
    shared_objects: { properties: { path: keyword, signature: keyword } },
    loaded_modules: { properties: { name: keyword } },
    environment_variables: { properties: { name: keyword, value: longText } },
    wall_time_us: long,
    max_rss_kb: long,
    truncated: keyword,
    incomplete: { type: 'boolean' },
    missing_parts: { type: 'integer' },
    receive: {
      properties: {
        input: keyword,
        peer: keyword,
        time: nanos,
        relay_hostname: keyword,
        // The relay's syslog TIMESTAMP: whatever the relay wrote, so not a date.
        relay_time: keyword,
      },
    },
  };
}

export function ogrtMappings(dataStream: boolean): object {
  const props: Record<string, object> = {
    ...ogrtExtras(),
    time: nanos,
    hostname: keyword,
    pid: long,
    parent_pid: long,
    uid: long,
    username: keyword,
    binpath: keyword,
    cmdline: { type: 'text', fields: { keyword: longText } },
    exit_status: { type: 'integer' },
  };
  // Data streams require @timestamp; documents then carry a copy of `time`.
  if (dataStream) props['@timestamp'] = nanos;
  return { dynamic: false, properties: props };
}

export function ecsMappings(): object {
  return {
    dynamic: false,
    properties: {
      '@timestamp': nanos,
      ecs: { properties: { version: keyword } },
      event: {
        properties: { kind: keyword, category: keyword, type: keyword, action: keyword, id: keyword, created: nanos },
      },
      process: {
        properties: {
          entity_id: keyword,
          executable: { type: 'keyword', fields: { text: { type: 'text' } } },
          name: keyword,
          pid: long,
          parent: { properties: { pid: long } },
          command_line: { type: 'keyword', ignore_above: 8191, fields: { text: { type: 'text' } } },
          exit_code: { type: 'integer' },
        },
      },
      host: { properties: { hostname: keyword, name: keyword } },
      user: { properties: { name: keyword, id: keyword } },
      ogrt: { properties: ogrtExtras() },
    },
  };
}

export interface TemplateBody {
  index_patterns: string[];
  priority: number;
  version: number;
  _meta: Record<string, unknown>;
  template: { settings?: Record<string, unknown>; mappings: object };
  data_stream?: Record<string, never>;
}

export function buildTemplate(cfg: ResolvedConfig): TemplateBody {
  const dataStream = cfg.target.kind === 'data_stream';
  const body: TemplateBody = {
    index_patterns: [cfg.target.kind === 'data_stream' ? cfg.target.name : cfg.target.namer.wildcard],
    priority: cfg.templatePriority,
    version: TEMPLATE_VERSION,
    _meta: { managed_by: 'ogrt-server', schema: cfg.schema },
    template: { mappings: cfg.schema === 'ecs' ? ecsMappings() : ogrtMappings(dataStream) },
  };
  if (cfg.ilmPolicy !== '') body.template.settings = { 'index.lifecycle.name': cfg.ilmPolicy };
  if (dataStream) body.data_stream = {};
  return body;
}
