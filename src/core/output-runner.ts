/**
 * Runs one output instance: its queue, batcher and `concurrency` sender
 * workers; start() with retries (a store that is down at start must not kill
 * the server — records queue meanwhile); drain, abort and stop for shutdown.
 * Starting (bounded attempts, a new instance after a start() that timed
 * out) is in output-start.ts.
 *
 * At a shutdown deadline a memory buffer hands over everything it still
 * holds (queued, in flight, waiting to get in) to be written to the
 * dead-letter file (reason "shutdown_timeout"); a disk buffer keeps its
 * records on disk.
 *
 * The queue is the memory queue (output-queue.ts) or, for
 * `buffer.type = "disk"`, the disk buffer (disk-buffer.ts), opened before
 * the workers start so that unacknowledged records are replayed first.
 */
import type { OutputInstance } from './plugin-api.ts';
import type { OutputConfig } from './config.ts';
import type { RecordEntry } from './record-json.ts';
import type { ServerLogger } from './logger.ts';
import { errorFields } from './logger.ts';
import { componentLabels, type MetricsRegistry, type Series } from './metrics.ts';
import { OgrtError } from './errors.ts';
import { OutputQueue, type BufferQueue, type QueueHooks } from './output-queue.ts';
import { DiskQueue, type DiskHooks } from './disk-buffer.ts';
import { maxPendingBytes, segmentSize, windowSize } from './disk-buffer-config.ts';
import { Batcher } from './batcher.ts';
import { DeadLetterFile } from './dead-letter.ts';
import { deliver, Flight, OutputMetrics, type DeliveryEnv } from './delivery.ts';
import { LogLimiter } from './log-limiter.ts';
import { OutputStarter } from './output-start.ts';

/** drop_newest warnings are logged at most this often per output. */
const DROP_LOG_INTERVAL_MS = 10_000;

/**
 * At stop, how long a disk buffer may take to write what is still pending.
 * Below the server's minimum stop grace (server.ts), so a loss is logged
 * before the process exits.
 */
const DISK_PERSIST_TIMEOUT_MS = 800;

/** `reason` of records dead-lettered because the shutdown deadline passed before they were delivered. */
export const SHUTDOWN_DEAD_LETTER_REASON = 'shutdown_timeout';

export interface OutputRunnerOptions {
  /** Bound of each start() attempt; default PLUGIN_START_TIMEOUT_MS. */
  readonly startTimeoutMs?: number;
  /** Random source for retry jitter (tests). */
  readonly random?: () => number;
}

/** What a memory buffer held at the shutdown deadline; some of it may be in a dead-letter write that was under way. */
interface Unflushed {
  readonly records: readonly RecordEntry[];
  readonly writing?: { readonly records: readonly RecordEntry[]; readonly done: Promise<boolean> };
}

/** The outcome of writing a memory buffer's unflushed records to the dead-letter file at shutdown. */
export interface ShutdownDeadLetters {
  readonly records: number;
  readonly path: string;
  /** Set when the write failed: the records are lost (and logged). */
  readonly error?: unknown;
  /** The write did not finish in time: it may still succeed. */
  readonly unsure?: boolean;
}

export class OutputRunner {
  readonly queue: BufferQueue;
  /**
   * The plugin takes JSON (`batchFormat: 'json'`) and its buffer is in
   * memory: records are offered to it encoded (record-json.ts).
   */
  readonly takesJson: boolean;
  /** Set when buffer.type = "disk" (the same object as `queue`). */
  readonly disk: DiskQueue | undefined;
  /** The store answered the last send (false after retry / failure): a disk buffer's drain waits only while this holds. */
  private answering = true;
  private readonly batcher: Batcher;
  private readonly metrics: OutputMetrics;
  private readonly abortController = new AbortController();
  private readonly env: DeliveryEnv;
  private readonly limiter: LogLimiter;
  private readonly starter: OutputStarter;
  private readonly startedOrAborted: Promise<boolean>;
  private markStarted!: (started: boolean) => void;
  private workers: Promise<void>[] = [];
  private readonly flights = new Set<Flight>();
  private unflushed: Unflushed[] = [];
  private droppedSinceLog = 0;
  private lastDropLog = 0;
  private dropLogTimer: NodeJS.Timeout | undefined;

  /**
   * `create`: the plugin's create(), checked (throws OgrtError); called here,
   * so a failure leaves nothing running, and again after a start() that
   * timed out.
   */
  constructor(
    readonly config: OutputConfig,
    create: () => OutputInstance,
    readonly component: string,
    private readonly log: ServerLogger,
    registry: MetricsRegistry,
    options: OutputRunnerOptions = {},
  ) {
    const labels = componentLabels('output', config.plugin.type, config.id);
    const s = config.settings;
    this.metrics = new OutputMetrics(registry, labels, s.buffer.type === 'disk');
    this.limiter = new LogLimiter(log);
    // create() runs here, first: a plugin that cannot be created leaves nothing behind.
    this.starter = new OutputStarter({
      id: config.id,
      component,
      create,
      log,
      metrics: this.metrics,
      retry: s.retry,
      signal: this.abortController.signal,
      startTimeoutMs: options.startTimeoutMs,
      onStarted: () => this.markStarted(true),
    });
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
      this.takesJson = false;
    } else {
      this.disk = undefined;
      this.takesJson = config.plugin.kind === 'output' && config.plugin.batchFormat === 'json';
      this.queue = new OutputQueue(limits, this.queueHooks(registry, labels));
    }
    this.batcher = new Batcher(this.queue, s.batch);
    this.startedOrAborted = new Promise((resolve) => (this.markStarted = resolve));
    const starter = this.starter;
    this.env = {
      id: config.id,
      component,
      get instance() {
        return starter.current;
      },
      settings: s,
      queue: this.queue,
      deadLetters: new DeadLetterFile(s.dead_letter_path, config.id),
      log,
      limiter: this.limiter,
      metrics: this.metrics,
      signal: this.abortController.signal,
      random: options.random,
      onOutcome: (answered) => {
        this.answering = answered;
        if (!answered) this.disk?.released.notify();
      },
    };
  }

  /** The running instance (or the one being started). */
  get instance(): OutputInstance {
    return this.starter.current;
  }

  /**
   * First start attempt, awaited; on failure further attempts run in the
   * background with backoff. Workers begin sending once start() succeeded.
   */
  async start(): Promise<void> {
    this.limiter.startSummaries();
    await this.disk?.open();
    for (let i = 0; i < this.config.settings.concurrency; i++) this.workers.push(this.work());
    await this.starter.start();
  }

  get isStarted(): boolean {
    return this.starter.isStarted;
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
    while (disk.heldEvents > 0 && this.isStarted && this.answering) await disk.released.wait();
  }

  /**
   * Shutdown, phase 2 (deadline or drained): stop all sending. Returns
   * records that will never be delivered (for a disk buffer, only those it
   * could not take: what it holds stays on disk). A memory buffer keeps
   * them for deadLetterUnflushed().
   */
  abort(): number {
    this.abortController.abort();
    this.markStarted(false);
    this.batcher.close();
    if (this.disk !== undefined) return this.queue.close();
    const held = this.takeOver();
    return held + this.queue.close();
  }

  /**
   * Shutdown, after abort() at the deadline: writes what a memory buffer
   * still held to the dead-letter file, reason "shutdown_timeout", so that
   * an operator can replay it. One attempt: the server is exiting.
   * Undefined when there was nothing to write.
   */
  async deadLetterUnflushed(): Promise<ShutdownDeadLetters | undefined> {
    const parts = this.unflushed;
    this.unflushed = [];
    const records: RecordEntry[] = [];
    for (const part of parts) {
      // A dead-letter write that was under way when the deadline passed: what it wrote is not written again.
      const written = part.writing !== undefined && (await part.writing.done) ? new Set(part.writing.records) : undefined;
      for (const r of part.records) if (written === undefined || !written.has(r)) records.push(r);
    }
    if (records.length === 0) return undefined;
    const file = this.env.deadLetters;
    try {
      await file.write(records, SHUTDOWN_DEAD_LETTER_REASON);
    } catch (err) {
      this.metrics.error('dead_letter_write_failed', 'sending');
      return { records: records.length, path: file.path, error: err };
    }
    this.metrics.deadLetter('shutdown_timeout', records.length);
    return { records: records.length, path: file.path };
  }

  /** Shutdown, phase 3: the plugin's stop(), if it ever started; then the disk buffer is persisted and closed. */
  async stop(): Promise<void> {
    this.limiter.stop();
    this.reportDrops();
    await this.starter.stop();
    await this.disk?.shutdown(DISK_PERSIST_TIMEOUT_MS);
  }

  async reopen(): Promise<void> {
    if (!this.isStarted || this.instance.reopen === undefined) return;
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
      const flight = new Flight(batch);
      this.flights.add(flight);
      try {
        await deliver(this.env, flight);
      } catch (err) {
        // deliver() handles plugin failures itself; this is a core bug. Keep the worker alive.
        this.log.error({ ...errorFields(err), records: batch.records.length }, 'internal error while delivering a batch');
      } finally {
        this.flights.delete(flight);
      }
    }
  }

  /**
   * Memory buffer at the deadline: every record still held (in flight,
   * queued, or parked by a blocked input) is moved out for the dead-letter
   * file. In-flight records are released from the bound so that parked ones
   * get in and can be taken too; their deliveries no longer release them.
   */
  private takeOver(): number {
    let count = 0;
    for (const flight of this.flights) {
      flight.takenOver = true;
      this.unflushed.push({ records: flight.records, writing: flight.writing });
      count += flight.records.length;
      this.queue.release(flight.records.length, flight.bytes);
    }
    for (;;) {
      const taken = this.queue.take(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
      if (taken === undefined) break;
      this.unflushed.push({ records: taken.records });
      count += taken.records.length;
      this.queue.release(taken.records.length, taken.bytes);
    }
    return count;
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

  /**
   * drop_newest: one warning per DROP_LOG_INTERVAL_MS with the drops since
   * the last one. Drops inside an interval are reported when it ends (a
   * timer) or at stop(), so the warnings add up to the counter.
   */
  private logDrops(events: number): void {
    this.droppedSinceLog += events;
    if (this.dropLogTimer !== undefined) return;
    const wait = this.lastDropLog + DROP_LOG_INTERVAL_MS - Date.now();
    if (wait <= 0) {
      this.reportDrops();
      return;
    }
    this.dropLogTimer = setTimeout(() => {
      this.dropLogTimer = undefined;
      this.reportDrops();
    }, wait);
    this.dropLogTimer.unref();
  }

  private reportDrops(): void {
    if (this.dropLogTimer !== undefined) {
      clearTimeout(this.dropLogTimer);
      this.dropLogTimer = undefined;
    }
    if (this.droppedSinceLog === 0) return;
    const e = new OgrtError('OGRT_ERR_OUTPUT_QUEUE_FULL', [this.config.id, this.droppedSinceLog]);
    this.log.warn({ code: e.code, records: this.droppedSinceLog }, e.message);
    this.droppedSinceLog = 0;
    this.lastDropLog = Date.now();
  }
}
