/**
 * One `type = "syslog"` input: its listeners (the core's StreamListener for
 * TCP or TLS, UDP, the unix datagram socket) feeding one RecordIntake, so the
 * parts of a split record are reassembled whichever way each part came in.
 */
import {
  formatPeer, StreamListener,
  type InputContext, type InputInstance, type ListenAddress, type RecordIntake,
} from '../../src/core/plugin-api.ts';
import { createIngest } from './ingest.ts';
import type { SyslogInputOptions } from './options.ts';
import { resolveSettings, type SyslogSettings } from './settings.ts';
import { UdpListener } from './udp-listener.ts';
import { UnixDgramBridge } from './unix-dgram-bridge.ts';

export interface SyslogAddresses {
  readonly tcp?: ListenAddress;
  readonly udp?: ListenAddress;
  readonly socket?: string;
}

export class SyslogInput implements InputInstance {
  private readonly settings: SyslogSettings;
  private readonly ingest: RecordIntake;
  private tcp: StreamListener | undefined;
  private udp: UdpListener | undefined;
  private unix: UnixDgramBridge | undefined;

  constructor(
    private readonly ctx: InputContext,
    private readonly options: SyslogInputOptions,
  ) {
    this.settings = resolveSettings(options, ctx.configDir, ctx.id);
    this.ingest = createIngest(ctx, {
      nonOgrt: options.non_ogrt,
      reassemblyTimeoutMs: options.reassembly_timeout_ms,
      reassemblyMaxBytes: this.settings.reassemblyMaxBytes,
    });
  }

  /** Where it listens, ports resolved: `tcp://127.0.0.1:5514`, `udp://…`, `tls://…`, `unix:///run/…`. */
  addresses(): string[] {
    const a = this.boundAddresses();
    const out: string[] = [];
    if (a.tcp !== undefined) out.push(`${this.settings.tls === undefined ? 'tcp' : 'tls'}://${formatPeer(a.tcp.host, a.tcp.port)}`);
    if (a.udp !== undefined) out.push(`udp://${formatPeer(a.udp.host, a.udp.port)}`);
    if (a.socket !== undefined && this.unix !== undefined) out.push(`unix://${a.socket}`);
    return out;
  }

  /** The same, structured (tests). */
  boundAddresses(): SyslogAddresses {
    return { tcp: this.tcp?.address(), udp: this.udp?.address(), socket: this.settings.socketPath };
  }

  /** The kernel's count of UDP datagrams dropped for a full buffer, read now (undefined where unknown). */
  checkUdpDrops(): number | undefined {
    this.udp?.checkDrops();
    return this.udp?.kernelDrops;
  }

  async start(): Promise<void> {
    const s = this.settings;
    const o = this.options;
    const ctx = this.ctx;
    try {
      if (s.tcp) {
        this.tcp = new StreamListener({
          inputId: ctx.id, address: s.address, tls: s.tls, maxFrameSize: o.max_frame_size,
          maxConnections: o.max_connections, idleTimeoutMs: o.idle_timeout_ms, sink: this.ingest, metrics: ctx.metrics,
        });
        await this.tcp.start();
      }
      if (s.udp) {
        // With port 0, UDP takes the port TCP got, so one number serves both (as with a fixed port).
        const port = s.address.port === 0 && this.tcp !== undefined ? this.tcp.address()!.port : s.address.port;
        this.udp = new UdpListener({
          inputId: ctx.id, address: { host: s.address.host, port }, receiveBuffer: o.udp_receive_buffer,
          maxFrameSize: o.max_frame_size, dropCheckMs: o.udp_drop_check_ms, sink: this.ingest, metrics: ctx.metrics, log: ctx.log,
        });
        await this.udp.start();
      }
      if (s.socketPath !== undefined) await this.startUnix(s.socketPath);
      this.ingest.start();
    } catch (err) {
      await this.stopListeners();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.stopListeners();
    this.ingest.close();
  }

  private async startUnix(socketPath: string): Promise<void> {
    const ingest = this.ingest;
    const bridge = new UnixDgramBridge({
      python: this.options.python,
      path: socketPath,
      mode: this.settings.socketMode,
      receiveBuffer: 0, // a unix datagram queue is bounded by net.unix.max_dgram_qlen, not by SO_RCVBUF
      maxMessageSize: this.options.max_frame_size,
      inputId: this.ctx.id,
      onDatagram: (buf, start, end) => {
        ingest.received(end - start);
        ingest.message(buf, start, end, socketPath, 'unix');
      },
      onBatchEnd: () => ingest.flush(),
      onTooLarge: () => ingest.problem('frame_too_large', new Error(`datagram larger than max_frame_size ${this.options.max_frame_size}`), socketPath, 'unix'),
      onFailure: (err) => {
        this.ctx.metrics.increment('component_errors_total', 1, { error_type: 'socket_helper_exited', stage: 'receiving' });
        this.ctx.log.error({ code: err.code, err: err.message, path: socketPath }, 'unix datagram socket lost');
      },
    });
    this.unix = bridge;
    await bridge.start();
    ingest.register(bridge);
  }

  private async stopListeners(): Promise<void> {
    const unix = this.unix;
    if (unix !== undefined) this.ingest.unregister(unix);
    await Promise.all([this.tcp?.stop(), this.udp?.stop(), unix?.stop()]);
    this.tcp = this.udp = this.unix = undefined;
  }
}
