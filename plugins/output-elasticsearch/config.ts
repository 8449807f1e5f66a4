/**
 * Options of `type = "elasticsearch"` outputs: the TypeBox schema the core
 * validates ogrt.conf against, and resolveConfig(), which checks what a
 * schema cannot (exclusive keys, index name rules) and reads the secrets from
 * their env variables or files. Secrets never leave the returned object.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Type, type Static } from '../../src/core/plugin-api.ts';
import { compileIndexPattern, type IndexNamer } from './index-name.ts';

const str = (description: string, def = '') => Type.String({ default: def, description });

export const OptionsSchema = Type.Object(
  {
    flavor: Type.Union([Type.Literal('elasticsearch'), Type.Literal('opensearch')], {
      default: 'elasticsearch',
      description: 'Store product: "elasticsearch" (client @elastic/elasticsearch) or "opensearch" (client @opensearch-project/opensearch).',
    }),
    url: str('Store URL, e.g. "https://es1.example:9200". Default http://127.0.0.1:9200 when neither urls nor cloud_id is set. No credentials in the URL.'),
    urls: Type.Array(Type.String(), { default: [], description: 'Several node URLs (instead of url); requests are spread over them.' }),
    cloud_id: str('Elastic Cloud id (instead of url/urls); elasticsearch flavor only.'),
    index: str('Index name; strftime fields of the record time in UTC: %Y %m %d %H %j %%.', 'ogrt-%Y.%m.%d'),
    data_stream: str('Write to this data stream (op_type create) instead of dated indexes; replaces `index`.'),
    schema: Type.Union([Type.Literal('ogrt'), Type.Literal('ecs')], {
      default: 'ogrt',
      description: 'Document field names: "ogrt" (the record as it is) or "ecs" (Elastic Common Schema, OGRT extras under ogrt.*).',
    }),
    manage_template: Type.Boolean({
      default: true,
      description: 'Install the index template at start (true) or only check that it exists (false, for users without manage_index_templates).',
    }),
    template_name: str('Name of the index template.', 'ogrt'),
    template_priority: Type.Integer({ default: 200, minimum: 0, description: 'Priority of the index template among overlapping ones.' }),
    ilm_policy: str('ILM policy set on new indexes (index.lifecycle.name); elasticsearch flavor only.'),
    pipeline: str('Ingest pipeline applied to every document.'),
    api_key_env: str('Environment variable holding the API key (encoded form, as Kibana shows it); elasticsearch flavor only.'),
    api_key_file: str('File holding the API key; re-read after the store refused it.'),
    username: str('User name for basic auth; the password comes from password_env or password_file.'),
    password_env: str('Environment variable holding the basic-auth password.'),
    password_file: str('File holding the basic-auth password; re-read after the store refused it.'),
    ca_file: str('PEM file of the CA certificate(s) to trust for https.'),
    tls_verify: Type.Boolean({ default: true, description: 'Verify the server certificate and host name.' }),
    compression: Type.Boolean({ default: false, description: 'gzip request bodies.' }),
    timeout_ms: Type.Integer({ default: 30000, minimum: 100, description: 'Timeout of one request; a timed-out bulk is retried (ids make that safe).' }),
  },
  { additionalProperties: false },
);

export type EsOptions = Static<typeof OptionsSchema>;

export interface SecretSource {
  /** Where the secret comes from, for messages: `env OGRT_ES_KEY` or `file /etc/ogrt/es.key`. */
  readonly label: string;
  readonly file?: string;
  readonly env?: string;
}

export interface ResolvedConfig {
  readonly flavor: 'elasticsearch' | 'opensearch';
  readonly nodes: readonly string[];
  readonly cloudId?: string;
  /** Node URLs without credentials, for log lines. */
  readonly displayNodes: string;
  readonly target: { readonly kind: 'index'; readonly namer: IndexNamer } | { readonly kind: 'data_stream'; readonly name: string };
  readonly schema: 'ogrt' | 'ecs';
  readonly manageTemplate: boolean;
  readonly templateName: string;
  readonly templatePriority: number;
  readonly ilmPolicy: string;
  readonly pipeline: string;
  readonly auth:
    | { readonly kind: 'none' }
    | { readonly kind: 'api_key'; readonly source: SecretSource }
    | { readonly kind: 'basic'; readonly username: string; readonly source: SecretSource };
  readonly ca?: string;
  readonly tlsVerify: boolean;
  readonly compression: boolean;
  readonly timeoutMs: number;
}

export class ConfigProblem extends Error {}

const DEFAULT_URL = 'http://127.0.0.1:9200';

/** Checks cross-key rules; throws ConfigProblem with a message naming the key. */
export function resolveConfig(o: EsOptions, configDir: string): ResolvedConfig {
  const set = [o.url !== '' && 'url', o.urls.length > 0 && 'urls', o.cloud_id !== '' && 'cloud_id'].filter(Boolean);
  if (set.length > 1) throw new ConfigProblem(`set only one of url, urls, cloud_id (got ${set.join(', ')})`);
  const es = o.flavor === 'elasticsearch';
  if (!es && o.cloud_id !== '') throw new ConfigProblem('cloud_id is an Elastic Cloud setting; not available with flavor = "opensearch"');
  if (!es && o.ilm_policy !== '') throw new ConfigProblem('ilm_policy is an Elasticsearch setting; OpenSearch uses ISM policies');
  const nodes = o.urls.length > 0 ? o.urls : o.cloud_id !== '' ? [] : [o.url || DEFAULT_URL];
  for (const u of nodes) checkUrl(u, o.urls.length > 0 ? 'urls' : 'url');

  let target: ResolvedConfig['target'];
  if (o.data_stream !== '') {
    checkIndexName(o.data_stream, 'data_stream');
    if (o.data_stream.includes('%')) throw new ConfigProblem('data_stream: a data stream name takes no date fields; the store rolls it over');
    target = { kind: 'data_stream', name: o.data_stream };
  } else {
    checkIndexName(o.index.replace(/%./g, '0'), 'index');
    try {
      target = { kind: 'index', namer: compileIndexPattern(o.index) };
    } catch (err) {
      throw new ConfigProblem(`index: ${(err as Error).message}`);
    }
  }
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(o.template_name)) throw new ConfigProblem(`template_name: "${o.template_name}" is not a valid template name`);

  return Object.freeze({
    flavor: o.flavor,
    nodes,
    cloudId: o.cloud_id || undefined,
    displayNodes: o.cloud_id !== '' ? `cloud id ${o.cloud_id.split(':')[0]}` : nodes.join(','),
    target,
    schema: o.schema,
    manageTemplate: o.manage_template,
    templateName: o.template_name,
    templatePriority: o.template_priority,
    ilmPolicy: o.ilm_policy,
    pipeline: o.pipeline,
    auth: resolveAuth(o, configDir),
    ca: o.ca_file !== '' ? readRequired(resolvePath(o.ca_file, configDir), 'ca_file') : undefined,
    tlsVerify: o.tls_verify,
    compression: o.compression,
    timeoutMs: o.timeout_ms,
  });
}

function resolveAuth(o: EsOptions, configDir: string): ResolvedConfig['auth'] {
  const key = secretSource(o.api_key_env, o.api_key_file, 'api_key', configDir);
  const password = secretSource(o.password_env, o.password_file, 'password', configDir);
  if (key && (o.username !== '' || password)) throw new ConfigProblem('use either an API key or username + password, not both');
  if (key) {
    if (o.flavor !== 'elasticsearch') throw new ConfigProblem('API keys are an Elasticsearch feature; use username + password_file with OpenSearch');
    readSecretSync(key); // fail at startup, not at the first batch
    return { kind: 'api_key', source: key };
  }
  if (password && o.username === '') throw new ConfigProblem('password_env/password_file need username');
  if (o.username !== '' && !password) throw new ConfigProblem('username needs password_env or password_file');
  if (password) {
    readSecretSync(password);
    return { kind: 'basic', username: o.username, source: password };
  }
  return { kind: 'none' };
}

function secretSource(env: string, file: string, what: string, configDir: string): SecretSource | undefined {
  if (env !== '' && file !== '') throw new ConfigProblem(`set only one of ${what}_env, ${what}_file`);
  if (env !== '') return { label: `env ${env}`, env };
  if (file !== '') {
    const abs = resolvePath(file, configDir);
    return { label: `file ${abs}`, file: abs };
  }
  return undefined;
}

/** Reads a secret at startup; a missing one is a configuration error. */
export function readSecretSync(s: SecretSource): string {
  if (s.env !== undefined) {
    const v = process.env[s.env];
    if (v === undefined || v.trim() === '') throw new ConfigProblem(`${s.label} is not set or empty`);
    return v.trim();
  }
  const v = readRequired(s.file!, 'secret').trim();
  if (v === '') throw new ConfigProblem(`${s.label} is empty`);
  return v;
}

/** Re-reads a secret after the store refused it; undefined when unreadable. */
export async function readSecret(s: SecretSource): Promise<string | undefined> {
  if (s.env !== undefined) return process.env[s.env]?.trim() || undefined;
  try {
    return (await readFile(s.file!, 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

function readRequired(file: string, key: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigProblem(`${key}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function resolvePath(p: string, configDir: string): string {
  return path.resolve(configDir, p);
}

function checkUrl(u: string, key: string): void {
  let parsed: URL;
  try {
    parsed = new URL(u);
  } catch {
    throw new ConfigProblem(`${key}: "${u}" is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigProblem(`${key}: "${u}" must be http:// or https://`);
  if (parsed.username !== '' || parsed.password !== '') {
    throw new ConfigProblem(`${key}: no credentials in the URL; use username + password_file (or api_key_file)`);
  }
}

// Elasticsearch's index name rules (MetadataCreateIndexService.validateIndexOrAliasName).
function checkIndexName(name: string, key: string): void {
  if (name === '') throw new ConfigProblem(`${key}: empty name`);
  if (name !== name.toLowerCase()) throw new ConfigProblem(`${key}: "${name}" must be lower case`);
  if (/[\\/*?"<>| ,#:]/.test(name)) throw new ConfigProblem(`${key}: "${name}" contains a character not allowed in index names (\\ / * ? " < > | space , # :)`);
  if (/^[-_+.]/.test(name)) throw new ConfigProblem(`${key}: "${name}" must not start with - _ + or .`);
  if (Buffer.byteLength(name) > 255) throw new ConfigProblem(`${key}: "${name}" is longer than 255 bytes`);
}
