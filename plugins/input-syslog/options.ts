/**
 * Options of `type = "syslog"` inputs. The listener limits share their names
 * and meaning with input-tcp (listen, max_frame_size, idle_timeout_ms,
 * max_connections, reassembly_timeout_ms, reassembly_max_bytes) so a site
 * can move a listener from one to the other by changing `type`.
 */
import { Type, type Static } from '../../src/core/plugin-api.ts';

function StringEnum<const T extends readonly string[]>(values: T, options: { default: T[number]; description: string }) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export const PROTOCOLS = ['tcp', 'udp'] as const;
export type Protocol = (typeof PROTOCOLS)[number];
export const NON_OGRT_POLICIES = ['drop', 'pass'] as const;
export const CLIENT_AUTH = ['none', 'request', 'require'] as const;

export const TlsSchema = Type.Object(
  {
    cert_file: Type.String({ default: '', description: 'PEM certificate (chain) of this server. Setting it turns TLS (RFC 5425) on for the TCP listener; relative to ogrt.conf.' }),
    key_file: Type.String({ default: '', description: 'PEM private key of cert_file; relative to ogrt.conf. Read once at start, never logged.' }),
    ca_file: Type.String({ default: '', description: 'PEM CA bundle that client certificates must chain to (client_auth "request"/"require"); empty: the system CAs.' }),
    client_auth: StringEnum(CLIENT_AUTH, {
      default: 'none',
      description: '"none": no client certificate asked; "request": asked, connections without a valid one are still accepted; "require": connections without a valid client certificate are refused.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const SyslogInputOptions = Type.Object(
  {
    listen: Type.String({ default: '127.0.0.1:5514', description: 'host:port for the TCP and UDP listeners ([::1]:5514 for IPv6). Port 0 picks a free port; UDP then takes the same port as TCP.' }),
    protocols: Type.Array(StringEnum(PROTOCOLS, { default: 'tcp', description: 'A transport on `listen`.' }), {
      default: ['tcp'],
      uniqueItems: true,
      description: 'Transports on `listen`: "tcp" (RFC 6587 octet counting or LF framing, detected per connection; TLS when tls.cert_file is set) and/or "udp" (one datagram, one message). [] listens only on `socket`.',
    }),
    socket: Type.String({ default: '', description: 'Path of a unix datagram socket to receive on as well (one datagram, one message); empty for none. Relative to ogrt.conf.' }),
    socket_mode: Type.String({ pattern: '^0?[0-7]{3}$', default: '0666', description: 'Permissions of `socket`. 0666 lets every local user\'s job write to it, like /dev/log.' }),
    max_frame_size: Type.Integer({
      minimum: 480,
      maximum: 1_048_576,
      default: 65_536,
      description:
        'Largest accepted syslog message in bytes; larger frames and datagrams are counted and discarded. A partly received TCP frame is buffered, so frames held at once are at most max_frame_size × max_connections bytes.',
    }),
    idle_timeout_ms: Type.Integer({ minimum: 0, default: 0, description: 'Close a TCP connection that sent nothing for this long; 0 never (relays keep quiet connections open for hours).' }),
    max_connections: Type.Integer({ minimum: 1, default: 1024, description: 'Concurrent TCP connections; more are refused and counted.' }),
    reassembly_timeout_ms: Type.Integer({ minimum: 1, default: 30_000, description: 'How long the parts of a split record are awaited before it is delivered with incomplete = true.' }),
    reassembly_max_bytes: Type.Integer({
      minimum: 65_536,
      default: 67_108_864,
      description:
        'Most bytes (as received) of the parts of split records held while their other parts are awaited, all transports together. Beyond it the records waiting longest are delivered at once with incomplete = true and missing_parts, and counted (reassembly_incomplete_records_total{reason="reassembly_max_bytes"}).',
    }),
    non_ogrt: StringEnum(NON_OGRT_POLICIES, {
      default: 'drop',
      description: 'Syslog messages that are not OGRT records (other programs on the same port): "drop" counts and discards them; "pass" delivers them to the outputs as raw events (kind = "raw", see docs/deployment.md).',
    }),
    udp_receive_buffer: Type.Integer({ minimum: 0, default: 0, description: 'SO_RCVBUF of the UDP socket in bytes; 0 keeps the OS default. Linux caps it at net.core.rmem_max.' }),
    udp_drop_check_ms: Type.Integer({ minimum: 100, default: 5_000, description: 'How often datagrams the kernel dropped for a full receive buffer are read from /proc/net/udp and counted.' }),
    python: Type.String({ default: 'python3', description: 'Python 3 interpreter that owns `socket` (Node.js has no unix datagram sockets); only used when `socket` is set.' }),
    tls: TlsSchema,
  },
  { additionalProperties: false },
);

export type SyslogInputOptions = Static<typeof SyslogInputOptions>;
export type TlsOptions = Static<typeof TlsSchema>;
