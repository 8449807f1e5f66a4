/**
 * Who may use the dashboard's data. Three modes:
 *  - none: only allowed when the server listens on a loopback address;
 *  - token: `Authorization: Bearer <token>`;
 *  - basic: `Authorization: Basic base64(user:password)`.
 * Any other bind without a token or a password refuses to start
 * (OGRT_ERR_DASHBOARD_AUTH_REQUIRED). Secrets are read once at start from a
 * file or an environment variable and never logged; comparisons take the
 * same time whatever the guess (SHA-256 digests + timingSafeEqual).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { OgrtError } from '../errors.ts';
import type { DashboardSettings } from './config.ts';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export type AuthMode = 'none' | 'token' | 'basic';

export interface Authenticator {
  readonly mode: AuthMode;
  /** True when the Authorization header value grants access. */
  check(authorization: string | undefined): boolean;
  /** WWW-Authenticate value for 401 answers. */
  readonly challenge: string;
}

/** `127.0.0.1:8080`, `[::1]:8080`, `localhost:8080`, `0.0.0.0:0`. */
export function parseListen(listen: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(listen.trim());
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port > 65_535) throw new OgrtError('OGRT_ERR_CONFIG_INVALID', ['dashboard.listen', `"${listen}" is not host:port (e.g. 127.0.0.1:8080 or [::1]:8080)`]);
  const host = m[1] ?? m[2];
  if (m[1] !== undefined && net.isIPv6(host) === false) throw new OgrtError('OGRT_ERR_CONFIG_INVALID', ['dashboard.listen', `"${host}" is not an IPv6 address`]);
  return { host, port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) {
    const h = host.toLowerCase();
    return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  }
  return false;
}

/** Builds the authenticator for `[dashboard]`; throws when a non-loopback bind has none. */
export function createAuthenticator(settings: DashboardSettings, configDir: string, env: NodeJS.ProcessEnv = process.env): Authenticator {
  const { host } = parseListen(settings.listen);
  const token = secret('token', settings.token_file, settings.token_env, configDir, env);
  const password = secret('password', settings.password_file, settings.password_env, configDir, env);
  if (token !== undefined && (password !== undefined || settings.username !== '')) {
    throw new OgrtError('OGRT_ERR_DASHBOARD_SECRET', ['use either a token (token_file/token_env) or username + password, not both']);
  }
  if (password !== undefined && settings.username === '') throw new OgrtError('OGRT_ERR_DASHBOARD_SECRET', ['password_file/password_env need username']);
  if (password === undefined && settings.username !== '') throw new OgrtError('OGRT_ERR_DASHBOARD_SECRET', ['username needs password_file or password_env']);
  if (token !== undefined) return tokenAuth(token);
  if (password !== undefined) return basicAuth(settings.username, password);
  if (!isLoopback(host)) throw new OgrtError('OGRT_ERR_DASHBOARD_AUTH_REQUIRED', [settings.listen]);
  return { mode: 'none', check: () => true, challenge: '' };
}

function tokenAuth(token: string): Authenticator {
  const expected = digest(token);
  return {
    mode: 'token',
    challenge: 'Bearer realm="ogrt"',
    check(authorization) {
      const m = authorization === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
      return m !== null && timingSafeEqual(digest(m[1]), expected);
    },
  };
}

function basicAuth(username: string, password: string): Authenticator {
  const expected = digest(`${username}:${password}`);
  return {
    mode: 'basic',
    challenge: 'Basic realm="ogrt", charset="UTF-8"',
    check(authorization) {
      const m = authorization === undefined ? null : /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
      return m !== null && timingSafeEqual(digest(Buffer.from(m[1], 'base64').toString('utf8')), expected);
    },
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function secret(what: string, file: string, envName: string, configDir: string, env: NodeJS.ProcessEnv): string | undefined {
  if (file !== '' && envName !== '') throw new OgrtError('OGRT_ERR_DASHBOARD_SECRET', [`set only one of ${what}_file, ${what}_env`]);
  let value: string;
  if (file !== '') {
    const abs = path.resolve(configDir, file);
    try {
      value = readFileSync(abs, 'utf8');
    } catch (err) {
      throw new OgrtError('OGRT_ERR_DASHBOARD_SECRET', [`${what}_file: cannot read ${abs}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`], { cause: err });
    }
    value = value.trim();
    if (value === '') throw new OgrtError('OGRT_ERR_DASHBOARD_SECRET', [`${what}_file ${abs} is empty`]);
  } else if (envName !== '') {
    value = (env[envName] ?? '').trim();
    if (value === '') throw new OgrtError('OGRT_ERR_DASHBOARD_SECRET', [`${what}_env: environment variable ${envName} is not set or empty`]);
  } else {
    return undefined;
  }
  if (what === 'token' && /\s/.test(value)) throw new OgrtError('OGRT_ERR_DASHBOARD_SECRET', ['the token must not contain white space']);
  return value;
}
