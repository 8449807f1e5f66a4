/**
 * The tcp input instance: the core's StreamListener (plain TCP) feeding a
 * RecordIntake with the policy of a direct input — senders are libogrt
 * itself, so the syslog header repeats the record's own values (no
 * receive.relay_*), and anything that is not RFC 5424 is an error.
 */
import {
  formatPeer, RecordIntake, StreamListener,
  type InputContext, type InputInstance, type ListenAddress,
} from '../../src/core/plugin-api.ts';

export interface TcpInputSettings {
  readonly address: ListenAddress;
  readonly maxFrameSize: number;
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  readonly reassemblyTimeoutMs: number;
  readonly reassemblyMaxBytes: number;
}

export class TcpInput implements InputInstance {
  private readonly intake: RecordIntake;
  private readonly listener: StreamListener;

  constructor(ctx: InputContext, settings: TcpInputSettings, now?: () => number) {
    this.intake = new RecordIntake(ctx, {
      reassemblyTimeoutMs: settings.reassemblyTimeoutMs,
      reassemblyMaxBytes: settings.reassemblyMaxBytes,
      relayHeader: false,
      unparseable: 'invalid',
      now,
    });
    this.listener = new StreamListener({
      inputId: ctx.id,
      address: settings.address,
      maxFrameSize: settings.maxFrameSize,
      maxConnections: settings.maxConnections,
      idleTimeoutMs: settings.idleTimeoutMs,
      sink: this.intake,
      metrics: ctx.metrics,
    });
  }

  async start(): Promise<void> {
    await this.listener.start();
    this.intake.start();
  }

  addresses(): string[] {
    const a = this.listener.address();
    return a === undefined ? [] : [formatPeer(a.host, a.port)];
  }

  async stop(): Promise<void> {
    await this.listener.stop();
    this.intake.close();
  }
}
