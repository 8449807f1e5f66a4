/**
 * Message → record for one input, shared by all its listeners: decode
 * (docs/protocol.md §1–§3), reassemble split records across messages,
 * connections and transports (§5), stamp `receive`, and emit — one emit()
 * per read — with backpressure for the whole input (PauseGate).
 *
 * What differs between inputs is policy, given as options:
 *  - relayHeader: keep the syslog header as receive.relay_hostname /
 *    relay_time (inputs fed by relays, which rewrite it) or not (direct
 *    senders, whose header repeats the record's own values);
 *  - unparseable: a message that is not RFC 5424 and shows no OGRT
 *    structured data is an error (direct senders speak only OGRT) or
 *    someone else's syslog (relays carry BSD syslog too);
 *  - passNotOgrt: other programs' syslog is discarded and counted
 *    (component_discarded_events_total{reason="not_ogrt"}), or turned into an
 *    event that is delivered with the records (and not counted as discarded).
 *
 * Split records waiting for parts are bounded (Reassembler): by the timeout,
 * by count and by `reassemblyMaxBytes` of parts held; a record pushed out is
 * delivered incomplete and counted (reassembly_incomplete_records_total
 * {reason}); gauges reassembly_pending_records / reassembly_pending_bytes
 * show what is held, updated once per read.
 *
 * Problems are counted (component_errors_total{error_type, stage="receiving"};
 * messages that do not decode also as component_discarded_events_total
 * {reason="invalid_message"}) and logged, rate-limited, with the peer, the
 * transport and byte offsets: `offset` from the start of the connection
 * (stream transports), `message_offset` inside the message.
 */
import { OgrtError } from '../errors.ts';
import { DEFAULT_MAX_PENDING_BYTES, Reassembler, type IncompleteReason } from '../reassembly.ts';
import { decodeMessage, type WireHeader, type WirePart } from '../wire.ts';
import { decodeSimpleRecord } from '../wire-decode-fast.ts';
import { microsToIso } from '../wire-time.ts';
import type { InputContext, OgrtRecord, ReceiveInfo } from '../plugin-api.ts';
import { LogLimiter } from './log-limiter.ts';
import { PauseGate, type Pausable } from './pause-gate.ts';

export type Transport = 'tcp' | 'tls' | 'udp' | 'unix';

/** Turns a message that is not OGRT into an event to deliver; `buf` is only valid during the call. */
export type NotOgrtHandler = (buf: Buffer, start: number, end: number, receive: ReceiveInfo) => OgrtRecord;

export interface RecordIntakeOptions {
  readonly reassemblyTimeoutMs: number;
  /** Most wire bytes of parts held for split records; past it the oldest go out incomplete. Default 64 MiB. */
  readonly reassemblyMaxBytes?: number;
  /** Keep the syslog header as receive.relay_hostname / relay_time (whenever it has them). */
  readonly relayHeader: boolean;
  /** A message that is not RFC 5424 and has no `[ogrt@32473 `: `invalid_syslog` error, or not OGRT. */
  readonly unparseable: 'invalid' | 'not_ogrt';
  /** Deliver messages that are not OGRT through this; absent: discard (and count) them. */
  readonly passNotOgrt?: NotOgrtHandler;
  /** Clock for the reassembler (ms); tests inject one. */
  readonly now?: () => number;
}

/** What listeners hand their messages to (RecordIntake). */
export interface MessageSink {
  readonly limiter: LogLimiter;
  /** Bytes read from a socket (framing included); counted at the next flush(). */
  received(bytes: number): void;
  /**
   * One syslog message (without framing) from `peer`; `buf` is only valid
   * during the call. `streamOffset`: where the message starts in its
   * connection, for error reports; absent for datagrams.
   */
  message(buf: Buffer, start: number, end: number, peer: string, transport: Transport, streamOffset?: number): void;
  /** End of one read: hand the records gathered so far to the pipeline, as one array. */
  flush(): void;
  /** A reader that stops while the pipeline pushes back; paused at once if it already does. */
  register(reader: Pausable): void;
  unregister(reader: Pausable): void;
  /** Counts and (rate-limited) logs a problem; `offset` counts from the start of the connection. */
  problem(errorType: string, err: Error, peer: string, transport: Transport, offset?: number): void;
}

/** Receive metadata of a split record, from its first message to arrive, and its wire bytes so far. */
interface FirstArrival {
  readonly peer: string;
  readonly time: string;
  readonly header: WireHeader;
  bytes: number;
}

const DECODE_ERROR_TYPES: Partial<Record<string, string>> = {
  OGRT_ERR_SYSLOG_PARSE: 'invalid_syslog',
  OGRT_ERR_WIRE_INVALID: 'invalid_record',
  OGRT_ERR_WIRE_VERSION: 'unsupported_version',
};

/** Marks an OGRT message that failed RFC 5424 parsing (as opposed to someone else's syslog). */
const OGRT_SD_ID = Buffer.from('[ogrt@32473 ');
const NOT_OGRT_LABELS = Object.freeze({ reason: 'not_ogrt' });
const INVALID_MESSAGE_LABELS = Object.freeze({ reason: 'invalid_message' });

/** reassembly_incomplete_records_total{reason}: named after the option to raise where there is one. */
type IncompleteLabel = 'reassembly_timeout' | 'max_pending' | 'reassembly_max_bytes' | 'shutdown';
const INCOMPLETE_LABEL: Readonly<Record<IncompleteReason, IncompleteLabel>> = Object.freeze({
  timeout: 'reassembly_timeout',
  max_pending: 'max_pending',
  max_bytes: 'reassembly_max_bytes',
});

/** Wall clock with microseconds, as record.ts wants receive.time. */
export function nowIso(): string {
  return microsToIso(String(Math.floor((performance.timeOrigin + performance.now()) * 1000)))!;
}

export class RecordIntake implements MessageSink {
  readonly limiter: LogLimiter;
  private readonly gate = new PauseGate();
  private readonly reassembler: Reassembler;
  private readonly firstArrival = new Map<string, FirstArrival>();
  private batch: OgrtRecord[] = [];
  private batchBytes = 0;
  private readBytes = 0;
  /** Receive time shared by every record of the current read; taken lazily. */
  private readTime: string | undefined;
  private lastDuplicates = 0;
  private lastConflicts = 0;
  /** Last values published as gauges; -1: never. */
  private shownPendingRecords = -1;
  private shownPendingBytes = -1;

  constructor(
    private readonly ctx: InputContext,
    private readonly opts: RecordIntakeOptions,
  ) {
    this.limiter = new LogLimiter(ctx.log);
    this.reassembler = new Reassembler({
      timeoutMs: opts.reassemblyTimeoutMs,
      maxPendingBytes: opts.reassemblyMaxBytes ?? DEFAULT_MAX_PENDING_BYTES,
      now: opts.now,
      onExpired: (records, reason) => this.deliverIncomplete(records, INCOMPLETE_LABEL[reason]),
    });
  }

  /** Input started: suppressed log lines get reported even when a storm stops. */
  start(): void {
    this.limiter.startSummaries();
    this.showPending();
  }

  received(bytes: number): void {
    this.readBytes += bytes;
  }

  message(buf: Buffer, start: number, end: number, peer: string, transport: Transport, streamOffset?: number): void {
    const simple = decodeSimpleRecord(buf, start, end);
    if (simple !== null) {
      this.reassembler.sweepIfDue();
      simple.record.receive = this.receiveInfo(peer, this.time(), simple.header);
      this.batch.push(simple.record);
      this.batchBytes += end - start;
      return;
    }
    let part: WirePart;
    try {
      part = decodeMessage(buf, start, end);
    } catch (err) {
      this.undecodable(err, buf, start, end, peer, transport, streamOffset);
      return;
    }
    if (part.parts === 1) {
      const record = this.reassembler.add(part)!;
      record.receive = this.receiveInfo(peer, this.time(), part.header);
      this.batch.push(record);
      this.batchBytes += part.size;
      return;
    }
    const first = this.firstArrival.get(part.uuid);
    if (first === undefined) this.firstArrival.set(part.uuid, { peer, time: this.time(), header: part.header, bytes: part.size });
    else first.bytes += part.size;
    const record = this.reassembler.add(part);
    this.countReassemblyOddities();
    if (record === undefined) {
      // A repeat of a part whose record completed already starts nothing: forget it, or the map would grow.
      if (first === undefined && !this.reassembler.isPending(part.uuid)) this.firstArrival.delete(part.uuid);
      return;
    }
    this.batchBytes += this.stampFromFirstArrival(record);
    this.batch.push(record);
  }

  flush(): void {
    this.readTime = undefined;
    if (this.readBytes > 0) {
      this.ctx.metrics.increment('component_received_bytes_total', this.readBytes);
      this.readBytes = 0;
    }
    this.showPending();
    if (this.batch.length === 0) return;
    const records = this.batch;
    const bytes = this.batchBytes;
    this.batch = [];
    this.batchBytes = 0;
    this.emit(records, bytes);
  }

  register(reader: Pausable): void {
    this.gate.register(reader);
  }

  unregister(reader: Pausable): void {
    this.gate.unregister(reader);
  }

  problem(errorType: string, err: Error, peer: string, transport: Transport, offset?: number): void {
    this.report(errorType, problemFields(err, peer, transport, offset, false), peer);
  }

  /** Shutdown: every record still waiting for parts is delivered incomplete, never dropped. */
  close(): void {
    this.flush();
    const rest = this.reassembler.close();
    if (rest.length > 0) this.deliverIncomplete(rest, 'shutdown');
    this.showPending();
    this.limiter.stop();
  }

  private report(errorType: string, fields: Record<string, unknown>, peer: string): void {
    this.ctx.metrics.increment('component_errors_total', 1, { error_type: errorType, stage: 'receiving' });
    this.limiter.warn(errorType, fields, `${errorType.replace(/_/g, ' ')} from ${peer}`);
  }

  private emit(records: OgrtRecord[], bytes: number): void {
    this.ctx.metrics.increment('component_received_events_total', records.length);
    const wait = this.ctx.emit(records, bytes);
    if (wait !== undefined) this.gate.block(wait);
  }

  private time(): string {
    return (this.readTime ??= nowIso());
  }

  private receiveInfo(peer: string, time: string, header: WireHeader): ReceiveInfo {
    const info: ReceiveInfo = { input: this.ctx.id, peer, time };
    if (this.opts.relayHeader) {
      if (header.hostname !== null) info.relay_hostname = header.hostname;
      if (header.timestamp !== null) info.relay_time = header.timestamp;
    }
    return info;
  }

  /** Sets record.receive from its first part's arrival; returns the record's wire bytes. */
  private stampFromFirstArrival(record: OgrtRecord): number {
    const first = this.firstArrival.get(record.uuid);
    if (first === undefined) {
      record.receive = { input: this.ctx.id, peer: 'unknown', time: nowIso() };
      return 0;
    }
    this.firstArrival.delete(record.uuid);
    record.receive = this.receiveInfo(first.peer, first.time, first.header);
    return first.bytes;
  }

  /** Publishes what reassembly holds, when it changed. */
  private showPending(): void {
    const records = this.reassembler.pendingCount;
    const bytes = this.reassembler.pendingBytes;
    if (records !== this.shownPendingRecords) {
      this.ctx.metrics.setGauge('reassembly_pending_records', records);
      this.shownPendingRecords = records;
    }
    if (bytes !== this.shownPendingBytes) {
      this.ctx.metrics.setGauge('reassembly_pending_bytes', bytes);
      this.shownPendingBytes = bytes;
    }
  }

  private deliverIncomplete(records: OgrtRecord[], reason: IncompleteLabel): void {
    let bytes = 0;
    for (const r of records) bytes += this.stampFromFirstArrival(r);
    this.ctx.metrics.increment('reassembly_incomplete_records_total', records.length, { reason });
    this.limiter.warn(
      'reassembly_incomplete',
      { records: records.length, reason, uuids: records.slice(0, 5).map((r) => r.uuid), missing_parts: records[0].missing_parts },
      'delivered split record(s) with missing parts (incomplete = true)',
    );
    this.emit(records, bytes);
    // From the interval timer there is no read to end with a flush.
    this.showPending();
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

  private undecodable(err: unknown, buf: Buffer, start: number, end: number, peer: string, transport: Transport, streamOffset: number | undefined): void {
    if (!(err instanceof OgrtError)) {
      // A decoder bug must not take the connection (or the server) down with it.
      this.ctx.metrics.increment('component_discarded_events_total', 1, INVALID_MESSAGE_LABELS);
      this.problem('internal', err instanceof Error ? err : new Error(String(err)), peer, transport, streamOffset);
      return;
    }
    if (err.code === 'OGRT_ERR_WIRE_NOT_OGRT' || (err.code === 'OGRT_ERR_SYSLOG_PARSE' && this.foreignUnparseable(buf, start, end))) {
      this.notOgrt(err, buf, start, end, peer, transport, streamOffset);
      return;
    }
    // An OGRT message we cannot read: a broken sender or relay, or a newer protocol version.
    this.ctx.metrics.increment('component_discarded_events_total', 1, INVALID_MESSAGE_LABELS);
    this.report(DECODE_ERROR_TYPES[err.code] ?? 'invalid_record', problemFields(err, peer, transport, streamOffset, true), peer);
  }

  private foreignUnparseable(buf: Buffer, start: number, end: number): boolean {
    if (this.opts.unparseable === 'invalid') return false;
    const at = buf.indexOf(OGRT_SD_ID, start);
    return at === -1 || at + OGRT_SD_ID.length > end;
  }

  private notOgrt(err: OgrtError, buf: Buffer, start: number, end: number, peer: string, transport: Transport, streamOffset: number | undefined): void {
    const pass = this.opts.passNotOgrt;
    if (pass !== undefined) {
      this.batch.push(pass(buf, start, end, { input: this.ctx.id, peer, time: this.time() }));
      this.batchBytes += end - start;
      return;
    }
    this.ctx.metrics.increment('component_discarded_events_total', 1, NOT_OGRT_LABELS);
    this.limiter.warn('not_ogrt', problemFields(err, peer, transport, streamOffset, true), `discarded a message from ${peer} that is not an OGRT record`);
  }
}

function problemFields(err: Error, peer: string, transport: Transport, offset: number | undefined, inMessage: boolean): Record<string, unknown> {
  const fields: Record<string, unknown> = { peer, transport, err: err.message };
  if (offset !== undefined) fields.offset = offset;
  if (err instanceof OgrtError) {
    fields.code = err.code;
    // Decode errors carry an offset inside the message; frame errors pass theirs as `offset`.
    if (inMessage && typeof err.context.offset === 'number') fields.message_offset = err.context.offset;
    if (err.context.reason !== undefined) fields.reason = err.context.reason;
  }
  return fields;
}
