/**
 * `listen = "host:port"` of the network inputs, and how peers are named in
 * receive.peer and in log lines.
 */
import { OgrtError } from '../errors.ts';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

const HOST_PORT = /^(?:\[([^\]\s]+)\]|([^:[\]\s]+)):([0-9]{1,5})$/;

/**
 * "127.0.0.1:7971", "[::1]:7971", "localhost:0" → host and port. Throws
 * OGRT_ERR_CONFIG_INVALID naming `where` (the TOML path, e.g. `inputs.direct.listen`).
 */
export function parseListen(listen: string, where: string): ListenAddress {
  const m = HOST_PORT.exec(listen);
  if (m === null) throw new OgrtError('OGRT_ERR_CONFIG_INVALID', [where, `"${listen}" is not host:port (use [addr]:port for IPv6)`]);
  const port = Number(m[3]);
  if (port > 65535) throw new OgrtError('OGRT_ERR_CONFIG_INVALID', [where, `"${listen}": port ${port} is above 65535`]);
  return { host: m[1] ?? m[2], port };
}

/** "addr:port", brackets for IPv6; IPv4-mapped IPv6 peers (dual-stack listeners) shown as plain IPv4. */
export function formatPeer(address: string | undefined, port: number | undefined): string {
  if (address === undefined) return 'unknown';
  if (address.startsWith('::ffff:') && address.includes('.')) address = address.slice(7);
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The host part of a peer written by formatPeer (the socket path of a unix peer as is). */
export function peerHost(peer: string): string {
  const m = /^\[(.*)\]:\d+$/.exec(peer) ?? /^(.*):\d+$/.exec(peer);
  return m === null ? peer : m[1];
}
