/**
 * `[dashboard]` in ogrt.conf: the HTTP server with the dashboard, the JSON
 * API and /metrics. Absent table: no HTTP server. docs/configuration.md
 * documents every key; keep them in step.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { OgrtError } from '../errors.ts';
import type { ConfigProblems } from '../config-errors.ts';
import { compileSchema } from '../config-validate.ts';
import { isLoopback, parseListen } from './auth.ts';
import { normalizeAllowedHost } from './host-guard.ts';

const str = (def: string, description: string) => Type.String({ default: def, description });

/** Default for `system_prefixes`: where the OS and site software live; anything else counts as user-built. */
export const DEFAULT_SYSTEM_PREFIXES: readonly string[] = Object.freeze([
  '/usr/', '/bin/', '/sbin/', '/lib/', '/lib32/', '/lib64/', '/libx32/', '/opt/', '/etc/', '/snap/', '/nix/store/', '/gnu/store/',
]);

export const DashboardSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Serve the dashboard, the JSON API and /metrics. false keeps the table but starts no HTTP server.' }),
    listen: Type.String({
      minLength: 1,
      default: '127.0.0.1:8080',
      description: 'host:port of the HTTP server ([::1]:8080 for IPv6; port 0 picks a free port). Any address that is not loopback requires token_file, token_env or username + password_file.',
    }),
    token_file: str('', 'File holding the bearer token (`Authorization: Bearer <token>`); relative to ogrt.conf. Read once at start, never logged.'),
    token_env: str('', 'Environment variable holding the bearer token (instead of token_file).'),
    username: str('', 'User name for HTTP basic auth (instead of a token); the password comes from password_file or password_env.'),
    password_file: str('', 'File holding the basic-auth password; relative to ogrt.conf.'),
    password_env: str('', 'Environment variable holding the basic-auth password (instead of password_file).'),
    query_backend: str(
      '',
      'Name of the output whose store answers the queries: an [outputs.NAME] of type "sqlite", "elasticsearch" (flavor elasticsearch or opensearch). Empty: the first sqlite output.',
    ),
    allowed_hosts: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description:
        'Without credentials (loopback listen) only requests whose Host header names a loopback address or localhost are answered (DNS-rebinding defence); add the host names a reverse proxy forwards, e.g. "ogrt.example.org".',
    }),
    system_prefixes: Type.Array(Type.String({ minLength: 1 }), {
      default: [...DEFAULT_SYSTEM_PREFIXES],
      description: 'Path prefixes of system and site software. The census calls executables outside all of them user-built. Add your software trees, e.g. "/apps/", "/sw/".',
    }),
  },
  // No default here: validated as a root, where Ajv ignores (and strict mode refuses) `default`.
  { additionalProperties: false },
);

export type DashboardSettings = Static<typeof DashboardSchema>;

/** Output types whose store the queries can read. */
export const QUERYABLE_TYPES: readonly string[] = ['sqlite', 'elasticsearch'];

export interface DashboardProblem {
  /** TOML key path below `dashboard`. */
  readonly key: string;
  readonly message: string;
}

/**
 * What the schema cannot check, without touching files or the network (so
 * `--check-config` reports it): listen syntax, authentication for
 * non-loopback binds, exclusive keys, and that query_backend names an
 * output whose store can be queried. Secrets are read when the server starts.
 */
export function checkDashboard(d: DashboardSettings, outputs: readonly { readonly id: string; readonly type: string }[]): DashboardProblem[] {
  const problems: DashboardProblem[] = [];
  let host: string | undefined;
  try {
    host = parseListen(d.listen).host;
  } catch (err) {
    problems.push({ key: 'listen', message: (err as OgrtError).message.replace(/^dashboard\.listen: /, '') });
  }
  const hasToken = d.token_file !== '' || d.token_env !== '';
  const hasPassword = d.password_file !== '' || d.password_env !== '';
  if (host !== undefined && !isLoopback(host) && !hasToken && d.username === '') {
    problems.push({ key: 'listen', message: `"${d.listen}" is not a loopback address: set token_file, token_env or username + password_file (queries must not be served to the network without authentication)` });
  }
  if (d.token_file !== '' && d.token_env !== '') problems.push({ key: 'token_env', message: 'set only one of token_file, token_env' });
  if (d.password_file !== '' && d.password_env !== '') problems.push({ key: 'password_env', message: 'set only one of password_file, password_env' });
  if (hasToken && (d.username !== '' || hasPassword)) problems.push({ key: 'username', message: 'use either a token or username + password, not both' });
  if (d.username !== '' && !hasPassword) problems.push({ key: 'username', message: 'username needs password_file or password_env' });
  if (d.username === '' && hasPassword) problems.push({ key: 'username', message: 'password_file/password_env need username' });
  for (const entry of d.allowed_hosts) {
    if (normalizeAllowedHost(entry) === undefined) problems.push({ key: 'allowed_hosts', message: `"${entry}" is not a host name or an IP address (no scheme, no port)` });
  }
  if (d.query_backend !== '') {
    const output = outputs.find((o) => o.id === d.query_backend);
    if (output === undefined) {
      problems.push({ key: 'query_backend', message: `no output named "${d.query_backend}" (outputs: ${outputs.map((o) => o.id).join(', ') || 'none'})` });
    } else if (!QUERYABLE_TYPES.includes(output.type)) {
      problems.push({ key: 'query_backend', message: `output "${output.id}" is of type "${output.type}"; queries can read outputs of type ${QUERYABLE_TYPES.map((t) => `"${t}"`).join(' or ')}` });
    }
  }
  return problems;
}

const validateDashboard = compileSchema(DashboardSchema);

/**
 * The `[dashboard]` table of ogrt.conf, validated (defaults applied); every
 * problem goes to `problems`. undefined when the table is absent.
 */
export function readDashboard(
  value: unknown,
  outputs: readonly { readonly id: string; readonly type: string }[],
  problems: ConfigProblems,
): DashboardSettings | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date) {
    problems.add('OGRT_ERR_CONFIG_INVALID', ['dashboard'], ['must be a table']);
    return undefined;
  }
  const settings = structuredClone(value) as DashboardSettings;
  if (!validateDashboard(settings)) {
    problems.addAjv(validateDashboard.errors, ['dashboard']);
    return undefined;
  }
  const found = checkDashboard(settings, outputs);
  for (const p of found) problems.add('OGRT_ERR_CONFIG_INVALID', ['dashboard', p.key], [p.message]);
  return found.length === 0 ? settings : undefined;
}
