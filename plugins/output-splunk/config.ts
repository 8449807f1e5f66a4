/**
 * Options of `type = "splunk"` outputs (HTTP Event Collector) and their
 * resolution: URL checks, the token from its env variable or file (never
 * logged, never in ogrt.conf itself), the CA file.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Type, type Static } from '../../src/core/plugin-api.ts';

const str = (description: string, def = '') => Type.String({ default: def, description });

export const OptionsSchema = Type.Object(
  {
    url: str('HEC URL, e.g. "https://splunk.example:8088" (write the port: without one, https means 443). A URL without a path posts to /services/collector/event.', 'https://127.0.0.1:8088'),
    token_file: str('File holding the HEC token (one of token_file, token_env is required); re-read after HEC refused it.'),
    token_env: str('Environment variable holding the HEC token.'),
    sourcetype: str('Splunk sourcetype of the events.', 'ogrt:process'),
    source: str('Splunk source of the events.', 'ogrt'),
    index: str('Splunk index; empty: the token\'s default index.'),
    ca_file: str('PEM file of the CA certificate(s) to trust for https.'),
    tls_verify: Type.Boolean({ default: true, description: 'Verify the server certificate and host name.' }),
    use_ack: Type.Boolean({
      default: false,
      description: 'Indexer acknowledgement: report a batch stored only once HEC acknowledges it (the token must have it enabled).',
    }),
    ack_poll_ms: Type.Integer({ default: 1000, minimum: 10, description: 'use_ack: interval between polls of /services/collector/ack.' }),
    ack_timeout_ms: Type.Integer({
      default: 20000,
      minimum: 100,
      description: 'use_ack: a batch not acknowledged after this long is retried (may duplicate); keep timeout_ms + ack_timeout_ms below the output\'s send_timeout_ms (default 60000).',
    }),
    timeout_ms: Type.Integer({ default: 30000, minimum: 100, description: 'Timeout of one HTTP request (with use_ack, timeout_ms + ack_timeout_ms must stay below send_timeout_ms).' }),
  },
  { additionalProperties: false },
);

export type SplunkOptions = Static<typeof OptionsSchema>;

export interface TokenSource {
  readonly label: string;
  readonly file?: string;
  readonly env?: string;
}

export interface ResolvedConfig {
  /** Base URL (protocol, host, port) without path. */
  readonly origin: string;
  readonly protocol: 'http' | 'https';
  readonly host: string;
  readonly port: number;
  /** Event endpoint path, e.g. /services/collector/event. */
  readonly eventPath: string;
  readonly token: TokenSource;
  readonly sourcetype: string;
  readonly source: string;
  readonly index: string;
  readonly ca?: string;
  readonly tlsVerify: boolean;
  readonly useAck: boolean;
  readonly ackPollMs: number;
  readonly ackTimeoutMs: number;
  readonly timeoutMs: number;
}

export class ConfigProblem extends Error {}

export function resolveConfig(o: SplunkOptions, configDir: string): ResolvedConfig {
  let u: URL;
  try {
    u = new URL(o.url);
  } catch {
    throw new ConfigProblem(`url: "${o.url}" is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigProblem(`url: "${o.url}" must be http:// or https://`);
  if (u.username !== '' || u.password !== '') throw new ConfigProblem('url: no credentials in the URL; the token comes from token_file or token_env');
  if (u.search !== '') throw new ConfigProblem('url: no query string (the token must not travel in the URL)');
  if (o.token_file !== '' && o.token_env !== '') throw new ConfigProblem('set only one of token_file, token_env');
  if (o.token_file === '' && o.token_env === '') throw new ConfigProblem('token_file or token_env is required');
  const token: TokenSource =
    o.token_env !== '' ? { label: `env ${o.token_env}`, env: o.token_env } : { label: `file ${path.resolve(configDir, o.token_file)}`, file: path.resolve(configDir, o.token_file) };
  readTokenSync(token); // a missing token is a startup error, not a runtime one
  if (o.use_ack && o.ack_poll_ms >= o.ack_timeout_ms) throw new ConfigProblem('ack_poll_ms must be smaller than ack_timeout_ms');

  const protocol = u.protocol === 'https:' ? 'https' : 'http';
  let ca: string | undefined;
  if (o.ca_file !== '') {
    const file = path.resolve(configDir, o.ca_file);
    try {
      ca = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigProblem(`ca_file: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return Object.freeze({
    origin: `${u.protocol}//${u.host}`,
    protocol,
    host: u.hostname,
    port: u.port !== '' ? Number(u.port) : protocol === 'https' ? 443 : 80,
    eventPath: u.pathname === '' || u.pathname === '/' ? '/services/collector/event' : u.pathname,
    token,
    sourcetype: o.sourcetype,
    source: o.source,
    index: o.index,
    ca,
    tlsVerify: o.tls_verify,
    useAck: o.use_ack,
    ackPollMs: o.ack_poll_ms,
    ackTimeoutMs: o.ack_timeout_ms,
    timeoutMs: o.timeout_ms,
  });
}

export function readTokenSync(t: TokenSource): string {
  if (t.env !== undefined) {
    const v = process.env[t.env]?.trim();
    if (!v) throw new ConfigProblem(`token: ${t.label} is not set or empty`);
    return v;
  }
  let v: string;
  try {
    v = readFileSync(t.file!, 'utf8').trim();
  } catch (err) {
    throw new ConfigProblem(`token_file: cannot read ${t.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (v === '') throw new ConfigProblem(`token: ${t.label} is empty`);
  return v;
}

/** Re-reads the token after HEC refused it; undefined when unreadable. */
export async function readToken(t: TokenSource): Promise<string | undefined> {
  if (t.env !== undefined) return process.env[t.env]?.trim() || undefined;
  try {
    return (await readFile(t.file!, 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}
