/**
 * Syslog message → OGRT record, shared by every listener of one input:
 * decode (docs/protocol.md §1–§3), reassemble split records across messages,
 * connections and transports (§5), add receive metadata, and hand batches to
 * the pipeline with backpressure.
 *
 * Header vs structured data: the record's own time, hostname and pid come
 * from its SD (wire.ts); the header — which relays rewrite — is kept as
 * receive.relay_time / receive.relay_hostname.
 *
 * Messages that are not OGRT (another program's syslog on the same port) are
 * counted, then dropped or passed on as raw events (non_ogrt); malformed OGRT
 * messages are counted as errors. Log lines about either are rate-limited.
 */
import {
  decodeMessage, microsToIso, OgrtError, Reassembler,
  type InputContext, type OgrtRecord, type ReceiveInfo, type WireHeader, type WirePart,
} from './core.ts';
import { LogLimiter } from './log-limiter.ts';
import { rawEvent } from './raw-event.ts';
import type { MessageSink, Pausable, Transport } from './source.ts';

export interface IngestOptions {
  readonly nonOgrt: 'drop' | 'pass';
  readonly reassemblyTimeoutMs: number;
}

/** Marks an OGRT message that failed RFC 5424 parsing (as opposed to someone else's syslog). */
const OGRT_SD_ID = Buffer.from('[ogrt@32473 ');

function nowIso(): string {
  return microsToIso(String(Math.floor((performance.timeOrigin + performance.now()) * 1000)))!;
}

function peerHost(peer: string): string {
  const m = /^\[(.*)\]:\d+$/.exec(peer) ?? /^(.*):\d+$/.exec(peer);
  return m === null ? peer : m[1];
}

export class Ingest implements MessageSink {
  private batch: OgrtRecord[] = [];
  private batchBytes = 0;
  private blocked: Promise<void> | undefined;
  private readonly sources = new Set<Pausable>();
  private readonly reassembler: Reassembler;
  /** Receive info of split records still waiting for parts: that of their first message. */
  private readonly pendingReceive = new Map<string, ReceiveInfo>();
  private readonly limiter: LogLimiter;
  /** Receive time of the current read (one clock read and format per read, not per message). */
  private readTime: string | undefined;
  private readBytes = 0;
  private lastDuplicates = 0;
  private lastConflicts = 0;

  constructor(
    private readonly ctx: InputContext,
    private readonly opts: IngestOptions,
  ) {
    this.limiter = new LogLimiter(ctx.log);
    this.reassembler = new Reassembler({ timeoutMs: opts.reassemblyTimeoutMs, onExpired: (records) => this.expired(records, 'reassembly_timeout') });
  }

  message(buf: Buffer, start: number, end: number, peer: string, transport: Transport, streamOffset?: number): void {
    this.readBytes += end - start;
    let part: WirePart;
    try {
      part = decodeMessage(buf, start, end);
    } catch (err) {
      this.notDecoded(err, buf, start, end, peer, transport, streamOffset);
      return;
    }
    this.batchBytes += part.size;
    if (part.parts === 1) {
      const record = this.reassembler.add(part)!;
      record.receive = this.receiveInfo(part.header, peer);
      this.batch.push(record);
      return;
    }
    if (!this.pendingReceive.has(part.uuid)) this.pendingReceive.set(part.uuid, this.receiveInfo(part.header, peer));
    const record = this.reassembler.add(part);
    this.countReassemblyOddities();
    if (record === undefined) return;
    record.receive = this.pendingReceive.get(part.uuid);
    this.pendingReceive.delete(part.uuid);
    this.batch.push(record);
  }

  flush(): void {
    this.readTime = undefined;
    if (this.readBytes > 0) {
      this.ctx.metrics.increment('component_received_bytes_total', this.readBytes);
      this.readBytes = 0;
    }
    if (this.batch.length === 0) return;
    this.ctx.metrics.increment('component_received_events_total', this.batch.length);
    const records = this.batch;
    const bytes = this.batchBytes;
    this.batch = [];
    this.batchBytes = 0;
    const wait = this.ctx.emit(records, bytes);
    if (wait !== undefined) this.block(wait);
  }

  register(source: Pausable): void {
    this.sources.add(source);
    if (this.blocked !== undefined) source.pause();
  }

  unregister(source: Pausable): void {
    this.sources.delete(source);
  }

  problem(errorType: string, err: OgrtError | Error, peer: string, transport: Transport, streamOffset?: number): void {
    this.ctx.metrics.increment('component_errors_total', 1, { error_type: errorType, stage: 'receiving' });
    const fields: Record<string, unknown> = { peer, transport, error_type: errorType, err: err.message };
    if (streamOffset !== undefined) fields.stream_offset = streamOffset;
    if (err instanceof OgrtError) {
      fields.code = err.code;
      if (err.details.offset !== undefined) fields.offset = err.details.offset;
      if (err.details.reason !== undefined) fields.reason = err.details.reason;
    }
    this.limiter.warn(errorType, fields, `${errorType.replace(/_/g, ' ')} from ${peer}`);
  }

  /** Shutdown: records still waiting for parts are delivered incomplete, never dropped. */
  close(): void {
    const rest = this.reassembler.close();
    if (rest.length > 0) this.expired(rest, 'shutdown');
    this.flush();
  }

  private block(wait: Promise<void>): void {
    const first = this.blocked === undefined;
    this.blocked = wait;
    if (first) for (const s of this.sources) s.pause();
    const release = (): void => {
      // Only the newest wait releases: an older one resolving does not mean there is room now.
      if (this.blocked !== wait) return;
      this.blocked = undefined;
      for (const s of this.sources) s.resume();
    };
    wait.then(release, release);
  }

  private receiveInfo(header: WireHeader, peer: string): ReceiveInfo {
    const info: ReceiveInfo = { input: this.ctx.id, peer, time: (this.readTime ??= nowIso()) };
    if (header.hostname !== null) info.relay_hostname = header.hostname;
    if (header.timestamp !== null) info.relay_time = header.timestamp;
    return info;
  }

  private expired(records: OgrtRecord[], why: string): void {
    for (const r of records) {
      r.receive = this.pendingReceive.get(r.uuid) ?? { input: this.ctx.id, peer: 'unknown', time: nowIso() };
      this.pendingReceive.delete(r.uuid);
      this.batch.push(r);
    }
    this.ctx.metrics.increment('reassembly_incomplete_records_total', records.length, { reason: why });
    this.limiter.warn(
      'reassembly_incomplete',
      { records: records.length, reason: why, uuids: records.slice(0, 5).map((r) => r.uuid) },
      'delivered split record(s) with missing parts (incomplete = true)',
    );
    this.flush();
  }

  private countReassemblyOddities(): void {
    const s = this.reassembler.stats;
    if (s.duplicates !== this.lastDuplicates) {
      this.ctx.metrics.increment('reassembly_duplicate_parts_total', s.duplicates - this.lastDuplicates);
      this.lastDuplicates = s.duplicates;
    }
    if (s.conflicts !== this.lastConflicts) {
      this.ctx.metrics.increment('reassembly_conflicting_parts_total', s.conflicts - this.lastConflicts);
      this.lastConflicts = s.conflicts;
    }
  }

  private notDecoded(err: unknown, buf: Buffer, start: number, end: number, peer: string, transport: Transport, streamOffset?: number): void {
    if (!(err instanceof OgrtError)) throw err;
    const ogrtLooking = err.code !== 'OGRT_ERR_WIRE_NOT_OGRT' && (err.code !== 'OGRT_ERR_SYSLOG_PARSE' || buf.subarray(start, end).includes(OGRT_SD_ID));
    if (ogrtLooking) {
      // An OGRT message we cannot read: a broken sender or relay, or a newer protocol version.
      this.ctx.metrics.increment('component_discarded_events_total', 1, { reason: 'invalid_message' });
      const type = err.code === 'OGRT_ERR_WIRE_VERSION' ? 'unsupported_version' : err.code === 'OGRT_ERR_SYSLOG_PARSE' ? 'invalid_syslog' : 'invalid_record';
      this.problem(type, err, peer, transport, streamOffset);
      return;
    }
    if (this.opts.nonOgrt === 'pass') {
      this.ctx.metrics.increment('non_ogrt_messages_total', 1, { action: 'pass' });
      const event = rawEvent(buf, start, end, { input: this.ctx.id, peer, time: (this.readTime ??= nowIso()) }, peerHost(peer));
      this.batch.push(event as unknown as OgrtRecord);
      this.batchBytes += end - start;
      return;
    }
    this.ctx.metrics.increment('non_ogrt_messages_total', 1, { action: 'drop' });
    this.ctx.metrics.increment('component_discarded_events_total', 1, { reason: 'non_ogrt' });
    this.limiter.warn('non_ogrt', { peer, transport, reason: err.details.reason ?? err.code }, 'dropped syslog message(s) that are not OGRT records (non_ogrt = "drop")');
  }
}
