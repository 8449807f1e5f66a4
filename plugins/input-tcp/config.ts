/**
 * Options of `type = "tcp"` inputs (`listen` is parsed by the core's parseListen).
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
      default: 65_536,
      description:
        'Largest accepted message in bytes (libogrt sends at most 65000). A longer frame is skipped (octet counting: exactly its length; LF framing: up to the next LF), counted and logged; the connection goes on. A partly received frame is buffered, so frames held at once are at most max_frame_size × max_connections bytes.',
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
    reassembly_max_bytes: Type.Integer({
      minimum: 65_536,
      default: 67_108_864,
      description:
        'Most bytes (as received) of the parts of split records held while their other parts are awaited, all connections together. Beyond it the records waiting longest are delivered at once with incomplete = true and missing_parts, and counted (reassembly_incomplete_records_total{reason="reassembly_max_bytes"}).',
    }),
  },
  { additionalProperties: false },
);

export type TcpInputOptions = Static<typeof TcpInputOptions>;
