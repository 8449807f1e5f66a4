/**
 * Syslog over UDP (RFC 5426): one datagram, one message, no framing.
 *
 * A UDP socket cannot be paused: what arrives while the outputs push back is
 * still decoded and emitted (the kernel would drop it otherwise, silently
 * for the sender). What the kernel itself drops for a full receive buffer is
 * read from /proc/net/udp every udp_drop_check_ms and counted as
 * `component_discarded_events_total{reason="udp_receive_buffer_full"}`
 * (datagrams, not records: a dropped datagram may be one part of a split
 * record, which then arrives incomplete).
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import {
  formatPeer, OgrtError,
  type ComponentMetrics, type ListenAddress, type Logger, type MessageSink,
} from '../../src/core/plugin-api.ts';
import { readUdpDrops } from './udp-drops.ts';

export interface UdpListenerOptions {
  readonly inputId: string;
  readonly address: ListenAddress;
  readonly receiveBuffer: number;
  readonly maxFrameSize: number;
  readonly dropCheckMs: number;
  readonly sink: MessageSink;
  readonly metrics: ComponentMetrics;
  readonly log: Logger;
}

export class UdpListener {
  private socket: dgram.Socket | undefined;
  private dropTimer: NodeJS.Timeout | undefined;
  private dropsSeen: number | undefined;
  private bound: ListenAddress | undefined;

  constructor(private readonly opts: UdpListenerOptions) {}

  address(): ListenAddress | undefined {
    return this.bound;
  }

  /** Total datagrams the kernel reported dropped since start (undefined where it does not tell). */
  get kernelDrops(): number | undefined {
    return this.dropsSeen === undefined ? undefined : this.dropsSeen - this.dropsAtStart;
  }

  private dropsAtStart = 0;

  start(): Promise<void> {
    const o = this.opts;
    const socket = dgram.createSocket({
      type: isIPv6(o.address.host) ? 'udp6' : 'udp4',
      recvBufferSize: o.receiveBuffer > 0 ? o.receiveBuffer : undefined,
    });
    this.socket = socket;
    socket.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => this.datagram(msg, rinfo));
    return new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        reject(new OgrtError('OGRT_ERR_INPUT_LISTEN', [o.inputId, `udp ${formatPeer(o.address.host, o.address.port)}`, err.message], { cause: err }));
      };
      socket.once('error', onError);
      socket.bind({ address: o.address.host, port: o.address.port, exclusive: true }, () => {
        socket.off('error', onError);
        socket.on('error', (err) => o.sink.problem('socket_error', err, formatPeer(o.address.host, o.address.port), 'udp'));
        const a = socket.address();
        this.bound = { host: a.address, port: a.port };
        const effective = socket.getRecvBufferSize();
        if (o.receiveBuffer > 0 && effective < o.receiveBuffer) {
          // Linux doubles the request for bookkeeping and caps it at net.core.rmem_max.
          o.log.warn({ requested: o.receiveBuffer, effective }, 'udp_receive_buffer capped by the OS; raise net.core.rmem_max');
        }
        this.dropsAtStart = readUdpDrops(a.address, a.port) ?? 0;
        this.dropsSeen = this.dropsAtStart;
        this.dropTimer = setInterval(() => this.checkDrops(), o.dropCheckMs);
        this.dropTimer.unref();
        resolve();
      });
    });
  }

  stop(): Promise<void> {
    const socket = this.socket;
    if (socket === undefined) return Promise.resolve();
    clearInterval(this.dropTimer);
    this.checkDrops();
    this.socket = undefined;
    return new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /** Counts the kernel's new drops for this socket since the last check. */
  checkDrops(): void {
    const a = this.bound;
    if (a === undefined || this.dropsSeen === undefined) return;
    const drops = readUdpDrops(a.host, a.port);
    if (drops === undefined || drops <= this.dropsSeen) return;
    const added = drops - this.dropsSeen;
    this.dropsSeen = drops;
    this.opts.metrics.increment('component_discarded_events_total', added, { reason: 'udp_receive_buffer_full' });
    this.opts.sink.problem(
      'udp_receive_buffer_full',
      new Error(`the kernel dropped ${added} datagram(s) for a full receive buffer (udp_receive_buffer, net.core.rmem_max)`),
      formatPeer(a.host, a.port),
      'udp',
    );
  }

  private datagram(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const sink = this.opts.sink;
    const peer = formatPeer(rinfo.address, rinfo.port);
    sink.received(msg.length);
    if (msg.length > this.opts.maxFrameSize) {
      sink.problem('frame_too_large', new OgrtError('OGRT_ERR_FRAME_TOO_LARGE', [msg.length, this.opts.maxFrameSize]), peer, 'udp');
    } else {
      sink.message(msg, 0, msg.length, peer, 'udp');
    }
    sink.flush();
  }
}
