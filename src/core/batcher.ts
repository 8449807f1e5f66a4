/**
 * Cuts batches from an output queue: a batch goes out when it is full
 * (batch.max_events records or batch.max_bytes bytes), when batch.timeout_ms
 * has passed since its first record arrived, at once when the output's buffer
 * is full (the batch could not grow), or at once while draining for shutdown.
 */
import type { BufferQueue, Taken } from './output-queue.ts';

export interface BatchLimits {
  readonly max_events: number;
  readonly max_bytes: number;
  readonly timeout_ms: number;
}

export class Batcher {
  private draining = false;
  private closed = false;

  constructor(private readonly queue: BufferQueue, private readonly limits: BatchLimits) {
    queue.wakeEvents = limits.max_events;
    queue.wakeBytes = limits.max_bytes;
  }

  /** The next batch, or undefined once closed. */
  async next(): Promise<Taken | undefined> {
    const q = this.queue;
    const { max_events, max_bytes, timeout_ms } = this.limits;
    for (;;) {
      if (this.closed) return undefined;
      if (q.readyEvents === 0) {
        await q.ready.wait();
        continue;
      }
      const waited = performance.now() - q.readySince;
      if (this.draining || q.full || q.readyEvents >= max_events || q.readyBytes >= max_bytes || waited >= timeout_ms) {
        return q.take(max_events, max_bytes);
      }
      await waitOrTimeout(q.ready.wait(), timeout_ms - waited);
    }
  }

  /** Shutdown: send partial batches without waiting for timeout_ms. */
  drain(): void {
    this.draining = true;
    this.queue.ready.notify();
  }

  close(): void {
    this.closed = true;
    this.queue.ready.notify();
  }
}

function waitOrTimeout(wake: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(1, Math.ceil(ms)));
  });
  return Promise.race([wake, timeout]).finally(() => clearTimeout(timer));
}
