/**
 * Options of `type = "tcp"` inputs and the parsing of `listen`.
 */
import { Type, type Static } from '../../src/core/plugin-api.ts';

export const TcpInputOptions = Type.Object(
  {
    listen: Type.String({
      default: '127.0.0.1:7971',
      pattern: '^(\\[[0-9A-Fa-f:.]+(%[\\w.-]+)?\\]|[^\\[\\]:]+):[0-9]{1,5}$',
      description:
        'host:port to listen on; "[::1]:7971" for IPv6, "0.0.0.0:7971" or "[::]:7971" for every interface. Port 0 picks a free port. Loopback by default: opening it to the network is a decision.',
    }),
    max_frame_size: Type.Integer({
      minimum: 480,
      maximum: 16 * 1024 * 1024,
      default: 262_144,
      description:
        'Largest accepted message in bytes. A longer frame is skipped (octet counting: exactly its length; LF framing: up to the next LF), counted and logged; the connection goes on.',
    }),
    idle_timeout_ms: Type.Integer({
      minimum: 0,
      default: 300_000,
      description: 'Close a connection that sent nothing for this long; 0 never. Not counted while the input is paused by backpressure.',
    }),
    max_connections: Type.Integer({
      minimum: 1,
      default: 4096,
      description: 'Concurrent connections; more are closed at once and counted (connections_refused_total).',
    }),
    reassembly_timeout_ms: Type.Integer({
      minimum: 1,
      default: 30_000,
      description:
        'How long the parts of a split record are awaited (they may come over different connections); then the record is delivered with incomplete = true and missing_parts.',
    }),
  },
  { additionalProperties: false },
);

export type TcpInputOptions = Static<typeof TcpInputOptions>;

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** "127.0.0.1:7971", "[::1]:7971", "localhost:0" → host and port; throws with the reason. */
export function parseListen(listen: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^[\]:]+)):([0-9]{1,5})$/.exec(listen);
  if (m === null) throw new Error(`listen: "${listen}" is not host:port (IPv6: [addr]:port)`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`listen: port ${port} is above 65535`);
  return { host: m[1] ?? m[2], port };
}

/** "addr:port", with brackets for IPv6; IPv4-mapped IPv6 peers are shown as plain IPv4. */
export function formatAddress(address: string | undefined, port: number | undefined): string {
  if (address === undefined) return 'unknown';
  if (address.startsWith('::ffff:') && address.includes('.')) address = address.slice(7);
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
