/**
 * The listening socket of a tcp input and its connections.
 *
 * Stop: stop accepting; half-close every connection (the peer sees our FIN
 * and stops sending there); keep reading what is already in flight until a
 * connection is quiet for STOP_QUIET_MS or STOP_GRACE_MS passed; deliver
 * complete frames (and an unterminated last LF line); close.
 */
import net from 'node:net';
import { OgrtError, type InputContext } from '../../src/core/plugin-api.ts';
import { formatAddress, type ListenAddress } from './config.ts';
import { Connection, type ConnectionOwner } from './connection.ts';
import type { Intake } from './intake.ts';

export const STOP_GRACE_MS = 2_000;

export interface TcpServerSettings {
  readonly listen: string;
  readonly address: ListenAddress;
  readonly maxFrameSize: number;
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
}

export class TcpServer implements ConnectionOwner {
  readonly maxFrameSize: number;
  readonly idleTimeoutMs: number;
  private server: net.Server | undefined;
  private readonly connections = new Set<Connection>();
  private allClosed: (() => void) | undefined;

  constructor(
    private readonly ctx: InputContext,
    private readonly settings: TcpServerSettings,
    readonly intake: Intake,
  ) {
    this.maxFrameSize = settings.maxFrameSize;
    this.idleTimeoutMs = settings.idleTimeoutMs;
  }

  start(): Promise<void> {
    const server = net.createServer();
    this.server = server;
    server.maxConnections = this.settings.maxConnections;
    server.on('connection', (socket: net.Socket) => {
      this.connections.add(new Connection(socket, this));
      this.ctx.metrics.setGauge('open_connections', this.connections.size);
    });
    server.on('drop', (data?: { remoteAddress?: string; remotePort?: number }) => {
      this.ctx.metrics.increment('connections_refused_total', 1, { reason: 'max_connections' });
      this.intake.limiter.warn(
        'max_connections',
        { peer: formatAddress(data?.remoteAddress, data?.remotePort), max_connections: this.settings.maxConnections },
        `connection refused: max_connections (${this.settings.maxConnections}) reached`,
      );
    });
    const { host, port } = this.settings.address;
    return new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        this.server = undefined;
        reject(new OgrtError('OGRT_ERR_INPUT_LISTEN', [this.ctx.id, this.settings.listen, err.message], { cause: err }));
      };
      server.once('error', onError);
      server.listen({ host, port }, () => {
        server.off('error', onError);
        server.on('error', (err) => this.ctx.log.error({ err: err.message, listen: this.settings.listen }, 'listener error'));
        resolve();
      });
    });
  }

  addresses(): string[] {
    const a = this.server?.address();
    return a !== null && a !== undefined && typeof a === 'object' ? [formatAddress(a.address, a.port)] : [];
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

  // --- ConnectionOwner ---

  received(bytes: number): void {
    this.ctx.metrics.increment('component_received_bytes_total', bytes);
  }

  idleClosed(): void {
    this.ctx.metrics.increment('connections_closed_total', 1, { reason: 'idle_timeout' });
  }

  closed(conn: Connection): void {
    this.connections.delete(conn);
    this.ctx.metrics.setGauge('open_connections', this.connections.size);
    if (this.connections.size === 0) this.allClosed?.();
  }
}
