/**
 * Syslog over TCP (RFC 6587) or TLS (RFC 5425) for an input: one
 * FrameSplitter per connection, framing detected from its first byte (octet
 * counting or LF), messages handed to the input's MessageSink, one flush per
 * socket read.
 *
 * Limits: max_connections (more are closed at once and counted),
 * idle_timeout_ms (not counted while the input is paused by backpressure),
 * max_frame_size (a longer frame is skipped and counted; the connection goes
 * on). A malformed frame length ends only that connection — an octet-counted
 * stream cannot be resynchronised, see framing.ts — after the frames before
 * it were delivered.
 *
 * Stop: stop accepting, half-close every connection (the peer sees our FIN
 * and stops sending there; a relay keeps its queue), read what is still in
 * flight until a connection is quiet for STOP_QUIET_MS (at most
 * STOP_GRACE_MS in all), deliver complete frames (and an unterminated last
 * LF line), close.
 */
import net from 'node:net';
import tls from 'node:tls';
import { OgrtError } from '../errors.ts';
import { FrameSplitter } from '../framing.ts';
import type { ComponentMetrics } from '../plugin-api.ts';
import { formatPeer, type ListenAddress } from './listen-address.ts';
import type { Pausable } from './pause-gate.ts';
import type { MessageSink, Transport } from './record-intake.ts';

export const STOP_GRACE_MS = 2_000;
/** During stop: a connection quiet this long after our FIN has nothing more in flight. */
export const STOP_QUIET_MS = 200;
const KEEPALIVE_MS = 60_000;

/** Certificates and client-auth policy of a TLS listener, read at start. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer | undefined;
  readonly requestCert: boolean;
  readonly rejectUnauthorized: boolean;
}

export interface StreamListenerOptions {
  readonly inputId: string;
  readonly address: ListenAddress;
  /** TLS (RFC 5425) when set; plain TCP otherwise. */
  readonly tls?: TlsMaterial;
  readonly maxFrameSize: number;
  readonly maxConnections: number;
  /** 0: never. */
  readonly idleTimeoutMs: number;
  readonly sink: MessageSink;
  readonly metrics: ComponentMetrics;
}

const FRAME_ERROR_TYPES: Partial<Record<string, string>> = {
  OGRT_ERR_FRAME_TOO_LARGE: 'frame_too_large',
  OGRT_ERR_FRAME_TRUNCATED: 'frame_truncated',
  OGRT_ERR_FRAME_MALFORMED: 'malformed_frame',
};
const IDLE_TIMEOUT_LABELS = Object.freeze({ reason: 'idle_timeout' });

class StreamConnection implements Pausable {
  readonly peer: string;
  private readonly sink: MessageSink;
  private readonly splitter: FrameSplitter;
  private finished = false;
  private stopping = false;
  private paused = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly listener: StreamListener,
  ) {
    const peer = formatPeer(socket.remoteAddress, socket.remotePort);
    const transport = listener.transport;
    const sink = listener.opts.sink;
    this.peer = peer;
    this.sink = sink;
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
    socket.on('timeout', () => this.timeout());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // Resets are routine (a sender killed mid-connection, a relay restarting); anything else is worth a rate-limited line.
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') sink.problem('socket_error', err, peer, transport);
    });
    socket.on('close', () => {
      this.finish();
      listener.closed(this);
    });
    sink.register(this);
  }

  pause(): void {
    this.paused = true;
    this.socket.pause();
    // Waiting for the outputs is not the peer being idle.
    if (!this.stopping) this.socket.setTimeout(0);
  }

  resume(): void {
    this.paused = false;
    this.socket.resume();
    const idle = this.listener.opts.idleTimeoutMs;
    if (!this.stopping && idle > 0) this.socket.setTimeout(idle);
  }

  /** Stop: half-close so the peer stops sending, keep reading what is in flight until quiet. */
  end(): void {
    this.stopping = true;
    if (this.paused) this.socket.resume(); // a paused socket would never see the peer's FIN
    this.socket.setTimeout(STOP_QUIET_MS);
    this.socket.end();
  }

  destroy(): void {
    this.finish();
    this.socket.destroy();
  }

  private data(chunk: Buffer): void {
    this.sink.received(chunk.length);
    this.splitter.push(chunk);
    this.sink.flush();
    if (this.splitter.failed) this.destroy();
  }

  private timeout(): void {
    if (!this.stopping) this.listener.opts.metrics.increment('connections_closed_total', 1, IDLE_TIMEOUT_LABELS);
    this.destroy();
  }

  /** The stream ended (or is being closed): deliver an unterminated LF line, report a cut frame. */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.splitter.finish();
    this.sink.flush();
    this.sink.unregister(this);
  }

  private frameError(err: OgrtError): void {
    const offset = err.context.offset;
    this.sink.problem(FRAME_ERROR_TYPES[err.code] ?? 'malformed_frame', err, this.peer, this.listener.transport, typeof offset === 'number' ? offset : undefined);
  }
}

export class StreamListener {
  readonly transport: Transport;
  private server: net.Server | undefined;
  private readonly connections = new Set<StreamConnection>();
  private readonly gaugeLabels: Readonly<Record<string, string>>;
  private allClosed: (() => void) | undefined;

  constructor(readonly opts: StreamListenerOptions) {
    this.transport = opts.tls === undefined ? 'tcp' : 'tls';
    this.gaugeLabels = Object.freeze({ transport: this.transport });
  }

  /** The bound address (port 0 resolved); undefined before start() and after stop(). */
  address(): ListenAddress | undefined {
    const a = this.server?.address();
    return a !== null && a !== undefined && typeof a === 'object' ? { host: a.address, port: a.port } : undefined;
  }

  start(): Promise<void> {
    const o = this.opts;
    const server = o.tls === undefined ? net.createServer() : this.createTlsServer(o.tls);
    this.server = server;
    server.maxConnections = o.maxConnections;
    server.on(o.tls === undefined ? 'connection' : 'secureConnection', (socket: net.Socket) => {
      this.connections.add(new StreamConnection(socket, this));
      o.metrics.setGauge('open_connections', this.connections.size, this.gaugeLabels);
    });
    server.on('drop', (data?: { remoteAddress?: string; remotePort?: number }) => {
      o.metrics.increment('connections_refused_total', 1, { reason: 'max_connections' });
      o.sink.limiter.warn(
        'max_connections',
        { peer: formatPeer(data?.remoteAddress, data?.remotePort), transport: this.transport, max_connections: o.maxConnections },
        `connection refused: max_connections (${o.maxConnections}) reached`,
      );
    });
    const where = formatPeer(o.address.host, o.address.port);
    return new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        this.server = undefined;
        reject(new OgrtError('OGRT_ERR_INPUT_LISTEN', [o.inputId, `${this.transport} ${where}`, err.message], { cause: err }));
      };
      server.once('error', onError);
      server.listen({ host: o.address.host, port: o.address.port, exclusive: true }, () => {
        server.off('error', onError);
        server.on('error', (err) => o.sink.problem('listen_error', err, where, this.transport));
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    if (this.connections.size > 0) {
      const drained = new Promise<void>((resolve) => (this.allClosed = resolve));
      for (const c of this.connections) c.end();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)))]);
      clearTimeout(timer);
      for (const c of this.connections) c.destroy();
    }
    await listenerClosed;
  }

  /** Called by a connection when its socket closed. */
  closed(conn: StreamConnection): void {
    this.connections.delete(conn);
    this.opts.metrics.setGauge('open_connections', this.connections.size, this.gaugeLabels);
    if (this.connections.size === 0) this.allClosed?.();
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
