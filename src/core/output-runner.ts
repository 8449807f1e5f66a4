/**
 * Runs one output instance: its queue, batcher and `concurrency` sender
 * workers; start() with retries (a store that is down at start must not kill
 * the server — records queue meanwhile); drain, abort and stop for shutdown.
 *
 * The queue is the memory queue (output-queue.ts) or, for
 * `buffer.type = "disk"`, the disk buffer (disk-buffer.ts), opened before
 * the workers start so that unacknowledged records are replayed first.
 */
import type { OutputInstance } from './plugin-api.ts';
import type { OutputConfig } from './config.ts';
import type { ServerLogger } from './logger.ts';
import { errorFields } from './logger.ts';
import { componentLabels, type MetricsRegistry, type Series } from './metrics.ts';
import { OgrtError } from './errors.ts';
import { OutputQueue, type BufferQueue, type QueueHooks } from './output-queue.ts';
import { DiskQueue, type DiskHooks } from './disk-buffer.ts';
import { maxPendingBytes, segmentSize, windowSize } from './disk-buffer-config.ts';
import { Batcher } from './batcher.ts';
import { DeadLetterFile } from './dead-letter.ts';
import { deliver, OutputMetrics, type DeliveryEnv } from './delivery.ts';
import { backoffDelay, sleep } from './retry.ts';

/** drop_newest warnings are logged at most this often per output. */
const DROP_LOG_INTERVAL_MS = 10_000;

/**
 * At stop, how long a disk buffer may take to write what is still pending.
 * Below the server's minimum stop grace (server.ts), so a loss is logged
 * before the process exits.
 */
const DISK_PERSIST_TIMEOUT_MS = 800;

export class OutputRunner {
  readonly queue: BufferQueue;
  /** Set when buffer.type = "disk" (the same object as `queue`). */
  readonly disk: DiskQueue | undefined;
  /** The store answered the last send (false after retry / failure): a disk buffer's drain waits only while this holds. */
  private answering = true;
  private readonly batcher: Batcher;
  private readonly metrics: OutputMetrics;
  private readonly abortController = new AbortController();
  private readonly env: DeliveryEnv;
  private started = false;
  private readonly startedOrAborted: Promise<boolean>;
  private markStarted!: (started: boolean) => void;
  private workers: Promise<void>[] = [];
  private droppedSinceLog = 0;
  private lastDropLog = 0;

  constructor(
    readonly config: OutputConfig,
    readonly instance: OutputInstance,
    readonly component: string,
    private readonly log: ServerLogger,
    registry: MetricsRegistry,
    random?: () => number,
  ) {
    const labels = componentLabels('output', config.plugin.type, config.id);
    this.metrics = new OutputMetrics(registry, labels);
    const s = config.settings;
    const limits = { maxEvents: s.buffer.max_events, maxBytes: s.buffer.max_bytes, whenFull: s.buffer.when_full };
    if (s.buffer.type === 'disk') {
      const window = windowSize(s.batch, s.concurrency);
      this.disk = new DiskQueue(
        {
          output: config.id,
          dir: s.buffer.path!,
          limits,
          fsync: s.buffer.fsync ?? 'batch',
          fsyncIntervalMs: s.buffer.fsync_interval_ms ?? 1_000,
          segmentMaxBytes: segmentSize(s.buffer.max_bytes),
          windowEvents: window.events,
          windowBytes: window.bytes,
          maxPendingBytes: maxPendingBytes(s.buffer.max_bytes),
          log,
        },
        this.diskHooks(registry, labels),
      );
      this.queue = this.disk;
    } else {
      this.disk = undefined;
      this.queue = new OutputQueue(limits, this.queueHooks(registry, labels));
    }
    this.batcher = new Batcher(this.queue, s.batch);
    this.startedOrAborted = new Promise((resolve) => (this.markStarted = resolve));
    this.env = {
      id: config.id,
      component,
      instance,
      settings: s,
      queue: this.queue,
      deadLetters: new DeadLetterFile(s.dead_letter_path, config.id),
      log,
      metrics: this.metrics,
      signal: this.abortController.signal,
      random,
      onOutcome: (answered) => {
        this.answering = answered;
        if (!answered) this.disk?.released.notify();
      },
    };
  }

  /**
   * First start attempt, awaited; on failure further attempts run in the
   * background with backoff. Workers begin sending once start() succeeded.
   */
  async start(): Promise<void> {
    await this.disk?.open();
    for (let i = 0; i < this.config.settings.concurrency; i++) this.workers.push(this.work());
    if (await this.tryStart(1)) return;
    void this.keepStarting();
  }

  get isStarted(): boolean {
    return this.started;
  }

  /**
   * Shutdown, phase 1: send partial batches now; resolves when nothing is
   * held. A disk buffer resolves as soon as everything is written, if the
   * output is not started or its store stopped answering: what it holds
   * is kept for the next start.
   */
  async drain(): Promise<void> {
    this.batcher.drain();
    const disk = this.disk;
    if (disk === undefined) return this.queue.whenEmpty();
    await disk.persisted();
    // Records waiting for a buffer that never opened are not on disk: wait for it (up to the deadline).
    while (!disk.opened && disk.parkedEvents > 0) await disk.released.wait();
    while (disk.heldEvents > 0 && this.started && this.answering) await disk.released.wait();
  }

  /**
   * Shutdown, phase 2 (deadline or drained): stop all sending. Returns
   * records that will never be delivered (for a disk buffer, only those it
   * could not take: what it holds stays on disk).
   */
  abort(): number {
    this.abortController.abort();
    this.markStarted(false);
    this.batcher.close();
    const parked = this.queue.close();
    return this.disk !== undefined ? parked : this.queue.heldEvents + parked;
  }

  /** Shutdown, phase 3: the plugin's stop(), if it ever started; then the disk buffer is persisted and closed. */
  async stop(): Promise<void> {
    if (this.started && this.instance.stop !== undefined) {
      try {
        await this.instance.stop();
      } catch (err) {
        this.metrics.error('stop_failed', 'stopping');
        const e = new OgrtError('OGRT_ERR_OUTPUT_STOP', [this.config.id, (err as Error)?.message ?? String(err)], { cause: err });
        this.log.error({ ...errorFields(err), code: e.code }, e.message);
      }
    }
    await this.disk?.shutdown(DISK_PERSIST_TIMEOUT_MS);
  }

  async reopen(): Promise<void> {
    if (!this.started || this.instance.reopen === undefined) return;
    try {
      await this.instance.reopen();
      this.log.info('reopened');
    } catch (err) {
      this.metrics.error('reopen_failed', 'sending');
      const e = new OgrtError('OGRT_ERR_OUTPUT_REOPEN', [this.config.id, (err as Error)?.message ?? String(err)], { cause: err });
      this.log.error({ ...errorFields(err), code: e.code }, e.message);
    }
  }

  private async work(): Promise<void> {
    if (!(await this.startedOrAborted)) return;
    for (;;) {
      const batch = await this.batcher.next();
      if (batch === undefined) return;
      try {
        await deliver(this.env, batch);
      } catch (err) {
        // deliver() handles plugin failures itself; this is a core bug. Keep the worker alive.
        this.log.error({ ...errorFields(err), records: batch.records.length }, 'internal error while delivering a batch');
      }
    }
  }

  private async tryStart(attempt: number): Promise<boolean> {
    if (this.abortController.signal.aborted) return false;
    try {
      await this.instance.start?.();
    } catch (err) {
      this.metrics.error('start_failed', 'starting');
      const e = new OgrtError('OGRT_ERR_OUTPUT_START', [this.config.id, (err as Error)?.message ?? String(err)], { cause: err });
      this.log.error({ ...errorFields(err), code: e.code, attempt }, `${e.message}; will retry, records queue meanwhile`);
      return false;
    }
    this.started = true;
    this.markStarted(true);
    if (attempt > 1) this.log.info({ attempt }, 'started');
    return true;
  }

  private async keepStarting(): Promise<void> {
    for (let attempt = 2; ; attempt++) {
      const slept = await sleep(backoffDelay(attempt - 1, this.config.settings.retry), this.abortController.signal);
      if (!slept || (await this.tryStart(attempt))) return;
    }
  }

  private queueHooks(registry: MetricsRegistry, labels: Readonly<Record<string, string>>): QueueHooks {
    const received = registry.counter('component_received_events_total', 'Records accepted into the component.').get(labels);
    const receivedBytes = registry.counter('component_received_event_bytes_total', 'Wire bytes of records accepted into the component.').get(labels);
    const bufferEvents = registry.gauge('buffer_events', 'Records held by the output (queued and in flight).').get(labels);
    const bufferBytes = registry.gauge('buffer_bytes', 'Wire bytes held by the output (queued and in flight).').get(labels);
    const discarded = (reason: string): Series =>
      registry.counter('component_discarded_events_total', 'Records not delivered, by reason.').get({ ...labels, reason });
    const queueFull = discarded('queue_full');
    const shutdown = discarded('shutdown');
    return {
      admitted: (events, bytes) => {
        received.value += events;
        receivedBytes.value += bytes;
      },
      level: (events, bytes) => {
        bufferEvents.value = events;
        bufferBytes.value = bytes;
      },
      dropped: (events) => {
        queueFull.value += events;
        this.logDrops(events);
      },
      // The pipeline logs these, naming the input.
      refused: (events) => {
        shutdown.value += events;
      },
    };
  }

  private diskHooks(registry: MetricsRegistry, labels: Readonly<Record<string, string>>): DiskHooks {
    const base = this.queueHooks(registry, labels);
    const discarded = (reason: string): Series =>
      registry.counter('component_discarded_events_total', 'Records not delivered, by reason.').get({ ...labels, reason });
    const lost = { buffer_write_failed: discarded('buffer_write_failed'), buffer_corrupt: discarded('buffer_corrupt'), shutdown: discarded('shutdown') };
    const corruptBytes = registry.counter('buffer_corrupt_bytes_total', 'Bytes of disk buffer files skipped as damaged.').get(labels);
    const replayed = registry.counter('buffer_replayed_events_total', 'Records read back from disk buffer files (after a restart, or when the output fell behind).').get(labels);
    return {
      ...base,
      error: (errorType) => this.metrics.error(errorType, 'buffering'),
      lost: (reason, events) => {
        lost[reason].value += events;
      },
      corruptBytes: (bytes) => {
        corruptBytes.value += bytes;
      },
      replayed: (events) => {
        replayed.value += events;
      },
    };
  }

  private logDrops(events: number): void {
    this.droppedSinceLog += events;
    const now = Date.now();
    if (now - this.lastDropLog < DROP_LOG_INTERVAL_MS) return;
    const e = new OgrtError('OGRT_ERR_OUTPUT_QUEUE_FULL', [this.config.id, this.droppedSinceLog]);
    this.log.warn({ code: e.code, records: this.droppedSinceLog }, e.message);
    this.droppedSinceLog = 0;
    this.lastDropLog = now;
  }
}
