/**
 * Indexer acknowledgement (use_ack): one poller per output asks HEC about
 * every outstanding ackId of its channel in one request per interval, so
 * concurrent batches do not each poll. wait(ackId) resolves true once HEC
 * says the events are indexed, false at the deadline or on stop().
 */
import type { HecClient } from './client.ts';

interface Pending {
  readonly deadline: number;
  readonly resolve: (acked: boolean) => void;
}

export class AckPoller {
  private readonly pending = new Map<number, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly client: HecClient,
    private readonly pollMs: number,
    private readonly timeoutMs: number,
    private readonly onPollError: (message: string) => void,
  ) {}

  wait(ackId: number): Promise<boolean> {
    return new Promise((resolve) => {
      this.pending.set(ackId, { deadline: Date.now() + this.timeoutMs, resolve });
      this.schedule();
    });
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const p of this.pending.values()) p.resolve(false);
    this.pending.clear();
  }

  private schedule(): void {
    if (this.timer === undefined && !this.polling && this.pending.size > 0) {
      this.timer = setTimeout(() => void this.poll(), this.pollMs);
    }
  }

  private async poll(): Promise<void> {
    this.timer = undefined;
    this.polling = true;
    const ids = [...this.pending.keys()];
    try {
      const answer = await this.client.queryAcks(ids);
      const acks = answer.body?.acks;
      if (answer.status === 200 && acks !== undefined) {
        for (const id of ids) {
          if (acks[String(id)] === true) {
            this.pending.get(id)?.resolve(true);
            this.pending.delete(id);
          }
        }
      } else {
        this.onPollError(`ack poll answered ${answer.status}: ${answer.body?.text ?? answer.text ?? ''}`);
      }
    } catch (err) {
      this.onPollError(`ack poll failed: ${(err as Error).message}`);
    } finally {
      this.polling = false;
    }
    const now = Date.now();
    for (const [id, p] of this.pending) {
      if (p.deadline <= now) {
        p.resolve(false);
        this.pending.delete(id);
      }
    }
    this.schedule();
  }
}
