/**
 * Syslog over TCP (RFC 6587) and over TLS (RFC 5425): one FrameSplitter per
 * connection, framing detected from its first byte (octet counting or LF).
 *
 * Limits: max_connections (more are refused and counted), idle_timeout_ms,
 * max_frame_size (a longer frame is skipped and counted; the connection
 * lives on). A malformed frame length ends only that connection, with the
 * peer and byte offset in the log; all other connections go on.
 *
 * Stop: stop accepting, half-close every connection (a relay such as rsyslog
 * sees the FIN, stops sending there and keeps its queue), read what is still
 * in flight until the connection is quiet for STOP_QUIET_MS (at most
 * STOP_GRACE_MS), then close.
 */
import net from 'node:net';
import tls from 'node:tls';
import { FrameSplitter, OgrtError, type ComponentMetrics } from './core.ts';
import type { MessageSink, Pausable, Transport } from './source.ts';
import type { ListenAddress, TlsMaterial } from './settings.ts';

export const STOP_GRACE_MS = 2_000;
/** During stop: a connection quiet this long after our FIN has nothing more in flight. */
export const STOP_QUIET_MS = 200;
const KEEPALIVE_MS = 60_000;

export interface TcpListenerOptions {
  readonly inputId: string;
  readonly address: ListenAddress;
  readonly tls: TlsMaterial | undefined;
  readonly maxFrameSize: number;
  readonly maxConnections: number;
  readonly idleTimeoutMs: number;
  readonly sink: MessageSink;
  readonly metrics: ComponentMetrics;
}

/** "addr:port", brackets for IPv6; IPv4-mapped IPv6 peers (dual-stack listeners) shown as plain IPv4. */
export function formatPeer(address: string | undefined, port: number | undefined): string {
  if (address === undefined) return 'unknown';
  if (address.startsWith('::ffff:') && address.includes('.')) address = address.slice(7);
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

class Connection implements Pausable {
  readonly peer: string;
  private readonly splitter: FrameSplitter;
  private finished = false;
  private stopping = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly listener: TcpListener,
    private readonly transport: Transport,
  ) {
    this.peer = formatPeer(socket.remoteAddress, socket.remotePort);
    const sink = listener.opts.sink;
    const peer = this.peer;
    const splitter: FrameSplitter = new FrameSplitter({
      maxFrameSize: listener.opts.maxFrameSize,
      onFrame: (buf, start, end) => sink.message(buf, start, end, peer, transport, splitter.messageOffset),
      onError: (err) => this.frameError(err),
    });
    this.splitter = splitter;
    socket.setKeepAlive(true, KEEPALIVE_MS);
    if (listener.opts.idleTimeoutMs > 0) socket.setTimeout(listener.opts.idleTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.data(chunk));
    socket.on('end', () => this.finish());
    socket.on('timeout', () => {
      if (!this.stopping) listener.opts.metrics.increment('connections_closed_total', 1, { reason: 'idle_timeout' });
      this.finish();
      socket.destroy();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A peer that resets is routine for syslog relays; anything else is worth a (rate-limited) line.
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') sink.problem('socket_error', err, peer, transport);
    });
    socket.on('close', () => {
      this.finish();
      listener.closed(this);
    });
    sink.register(this);
  }

  pause(): void {
    this.socket.pause();
    // Waiting for the outputs is not the peer being idle.
    if (!this.stopping) this.socket.setTimeout(0);
  }

  resume(): void {
    this.socket.resume();
    const idle = this.listener.opts.idleTimeoutMs;
    if (!this.stopping && idle > 0) this.socket.setTimeout(idle);
  }

  /** Half-close: the peer learns we are going; we keep reading what it already sent. */
  end(): void {
    this.stopping = true;
    this.socket.setTimeout(STOP_QUIET_MS);
    this.socket.end();
  }

  destroy(): void {
    this.finish();
    this.socket.destroy();
  }

  private data(chunk: Buffer): void {
    this.splitter.push(chunk);
    this.listener.opts.sink.flush();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.splitter.finish();
    this.listener.opts.sink.flush();
    this.listener.opts.sink.unregister(this);
  }

  private frameError(err: OgrtError): void {
    const type = err.code === 'OGRT_ERR_FRAME_TOO_LARGE' ? 'frame_too_large' : err.code === 'OGRT_ERR_FRAME_TRUNCATED' ? 'frame_truncated' : 'malformed_frame';
    this.listener.opts.sink.problem(type, err, this.peer, this.transport);
    // An octet-counted stream cannot be resynchronised after a bad length: end this connection only.
    if (this.splitter.failed) this.socket.destroy();
  }
}

export class TcpListener {
  private server: net.Server | undefined;
  private readonly connections = new Set<Connection>();
  private readonly transport: Transport;
  private drained: (() => void) | undefined;

  constructor(readonly opts: TcpListenerOptions) {
    this.transport = opts.tls === undefined ? 'tcp' : 'tls';
  }

  /** The bound address (port 0 resolved). */
  address(): ListenAddress | undefined {
    const a = this.server?.address();
    return a !== null && typeof a === 'object' ? { host: a.address, port: a.port } : undefined;
  }

  start(): Promise<void> {
    const o = this.opts;
    const server = o.tls === undefined ? net.createServer() : this.createTlsServer(o.tls);
    this.server = server;
    server.maxConnections = o.maxConnections;
    server.on(o.tls === undefined ? 'connection' : 'secureConnection', (socket: net.Socket) => {
      this.connections.add(new Connection(socket, this, this.transport));
      o.metrics.setGauge('open_connections', this.connections.size, { transport: this.transport });
    });
    server.on('drop', (data?: { remoteAddress?: string; remotePort?: number }) => {
      o.metrics.increment('connections_refused_total', 1, { reason: 'max_connections' });
      o.sink.problem(
        'max_connections',
        new Error(`connection refused: max_connections = ${o.maxConnections} reached`),
        formatPeer(data?.remoteAddress, data?.remotePort),
        this.transport,
      );
    });
    return new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        reject(new OgrtError('OGRT_ERR_INPUT_LISTEN', [o.inputId, `${this.transport} ${formatPeer(o.address.host, o.address.port)}`, err.message], { cause: err }));
      };
      server.once('error', onError);
      server.listen({ host: o.address.host, port: o.address.port, exclusive: true }, () => {
        server.off('error', onError);
        server.on('error', (err) => o.sink.problem('listen_error', err, formatPeer(o.address.host, o.address.port), this.transport));
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    if (this.connections.size > 0) {
      const drained = new Promise<void>((resolve) => (this.drained = resolve));
      for (const c of this.connections) {
        c.resume(); // a paused socket would never read the peer's FIN
        c.end();
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)))]);
      clearTimeout(timer);
      for (const c of this.connections) c.destroy();
    }
    await closed;
  }

  /** Called by a connection when its socket closed. */
  closed(conn: Connection): void {
    this.connections.delete(conn);
    this.opts.metrics.setGauge('open_connections', this.connections.size, { transport: this.transport });
    if (this.connections.size === 0 && this.drained !== undefined) this.drained();
  }

  private createTlsServer(material: TlsMaterial): tls.Server {
    const server = tls.createServer({
      cert: material.cert,
      key: material.key,
      ca: material.ca,
      requestCert: material.requestCert,
      rejectUnauthorized: material.rejectUnauthorized,
      minVersion: 'TLSv1.2',
    });
    server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
      this.opts.metrics.increment('connections_refused_total', 1, { reason: 'tls_handshake' });
      this.opts.sink.problem('tls_handshake', err, formatPeer(socket.remoteAddress, socket.remotePort), 'tls');
    });
    return server;
  }
}
