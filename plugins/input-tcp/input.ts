/**
 * The tcp input instance: a TcpServer feeding an Intake.
 */
import type { InputContext, InputInstance } from '../../src/core/plugin-api.ts';
import { LOG_INTERVAL_MS } from './log-limiter.ts';
import { Intake } from './intake.ts';
import { TcpServer, type TcpServerSettings } from './server.ts';

export interface TcpInputSettings extends TcpServerSettings {
  readonly reassemblyTimeoutMs: number;
}

export class TcpInput implements InputInstance {
  private readonly intake: Intake;
  private readonly server: TcpServer;
  private summaryTimer: NodeJS.Timeout | undefined;

  constructor(ctx: InputContext, settings: TcpInputSettings, now?: () => number) {
    this.intake = new Intake(ctx, { reassemblyTimeoutMs: settings.reassemblyTimeoutMs, now });
    this.server = new TcpServer(ctx, settings, this.intake);
  }

  async start(): Promise<void> {
    await this.server.start();
    // Suppressed log lines are reported even when the storm has stopped.
    this.summaryTimer = setInterval(() => this.intake.limiter.summarize(), LOG_INTERVAL_MS);
    this.summaryTimer.unref();
  }

  addresses(): string[] {
    return this.server.addresses();
  }

  async stop(): Promise<void> {
    clearInterval(this.summaryTimer);
    await this.server.stop();
    this.intake.close();
  }
}
