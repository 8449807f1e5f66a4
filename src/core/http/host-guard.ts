/**
 * DNS-rebinding defence for the dashboard without credentials (loopback
 * binds). A web page on attacker.example can re-point its own name at
 * 127.0.0.1; the browser then treats the dashboard as the page's own origin
 * and lets its scripts read every job's command lines and environment. Such
 * requests still say `Host: attacker.example`, so without credentials only
 * requests that name the server by a loopback address (127.0.0.0/8, ::1) or
 * `localhost` are answered — any port — plus the names listed in
 * `dashboard.allowed_hosts` (a reverse proxy that forwards its own Host).
 * Everything else gets 421 Misdirected Request. With a token or basic auth
 * the check is not needed: a rebinding page has no credentials.
 */
import net from 'node:net';
import { isLoopback } from './auth.ts';

const PORT = /^\d{1,5}$/;
const HOST_NAME = /^[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?)*$/;

/**
 * The host name of a Host header value, lower case and without the port:
 * `127.0.0.1:8080` → `127.0.0.1`, `[::1]:8080` → `::1`, `LocalHost` →
 * `localhost`. undefined when the value is not `host[:port]`.
 */
export function hostnameOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end === -1) return undefined;
    const rest = h.slice(end + 1);
    if (rest !== '' && !(rest.startsWith(':') && PORT.test(rest.slice(1)))) return undefined;
    const ip = h.slice(1, end);
    return net.isIPv6(ip) ? ip : undefined;
  }
  // More than one colon: a bare IPv6 address (not valid in Host, but unambiguous).
  if (h.indexOf(':') !== h.lastIndexOf(':')) return net.isIPv6(h) ? h : undefined;
  const colon = h.indexOf(':');
  const name = colon === -1 ? h : h.slice(0, colon);
  if (colon !== -1 && !PORT.test(h.slice(colon + 1))) return undefined;
  return HOST_NAME.test(name) || net.isIPv4(name) ? name : undefined;
}

/**
 * An `allowed_hosts` entry as compared with Host headers: a host name or an
 * IP address (IPv6 with or without brackets), no port; undefined when it is
 * neither.
 */
export function normalizeAllowedHost(entry: string): string | undefined {
  const e = entry.trim().toLowerCase();
  const bare = e.startsWith('[') && e.endsWith(']') ? e.slice(1, -1) : e;
  if (net.isIP(bare) !== 0) return bare;
  return HOST_NAME.test(e) ? e : undefined;
}

/** True when a request with this Host header may be answered without credentials. */
export type HostGuard = (hostHeader: string | undefined) => boolean;

export function createHostGuard(allowedHosts: readonly string[]): HostGuard {
  const allowed = new Set<string>();
  for (const entry of allowedHosts) {
    const host = normalizeAllowedHost(entry);
    if (host !== undefined) allowed.add(host);
  }
  return (hostHeader) => {
    const host = hostnameOf(hostHeader);
    return host !== undefined && (isLoopback(host) || allowed.has(host));
  };
}
