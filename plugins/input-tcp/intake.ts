/**
 * What one tcp input does with the messages its connections split off:
 * decode (docs/protocol.md §1–§3), reassemble split records across all its
 * connections (§5), stamp `receive`, and emit — one emit() per socket chunk —
 * honouring backpressure for the whole input.
 *
 * Backpressure: when emit() returns a promise, every connection of the input
 * pauses (and new ones start paused) until the newest such promise settles.
 * Pausing only the connection that emitted would let every other connection
 * push one more chunk each: with thousands of connections that is not bounded
 * memory.
 *
 * Problems are counted (component_errors_total{error_type, stage}) and
 * logged with peer and connection byte offset through a rate limiter; a bad
 * message never affects other messages or connections.
 */
import {
  decodeMessage, microsToIso, OgrtError, Reassembler,
  type InputContext, type OgrtRecord, type ReceiveInfo, type WireHeader, type WirePart,
} from '../../src/core/plugin-api.ts';
import { LogLimiter } from './log-limiter.ts';

export interface Pausable {
  pause(): void;
  resume(): void;
}

export interface IntakeOptions {
  readonly reassemblyTimeoutMs: number;
  /** Clock for the reassembler (ms); tests inject one. */
  readonly now?: () => number;
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

/** Wall clock with microseconds, as record.ts wants receive.time. */
export function nowIso(): string {
  return microsToIso(String(Math.floor((performance.timeOrigin + performance.now()) * 1000)))!;
}

export class Intake {
  readonly limiter: LogLimiter;
  private readonly reassembler: Reassembler;
  private readonly firstArrival = new Map<string, FirstArrival>();
  private batch: OgrtRecord[] = [];
  private batchBytes = 0;
  /** Receive time shared by every record of the current chunk; taken lazily. */
  private chunkTime: string | undefined;
  private blocked: Promise<void> | undefined;
  private readonly pausables = new Set<Pausable>();
  private lastDuplicates = 0;
  private lastConflicts = 0;
  private readonly notOgrtLabels = Object.freeze({ reason: 'not_ogrt' });

  constructor(
    private readonly ctx: InputContext,
    opts: IntakeOptions,
  ) {
    this.limiter = new LogLimiter(ctx.log);
    this.reassembler = new Reassembler({
      timeoutMs: opts.reassemblyTimeoutMs,
      now: opts.now,
      onExpired: (records) => this.deliverIncomplete(records, 'reassembly_timeout'),
    });
  }

  /** True while an emit() promise is pending. */
  get isBlocked(): boolean {
    return this.blocked !== undefined;
  }

  /** One message (frame payload) from `peer`, at connection byte `offset`. */
  message(buf: Buffer, start: number, end: number, peer: string, offset: number): void {
    let part: WirePart;
    try {
      part = decodeMessage(buf, start, end);
    } catch (err) {
      this.undecodable(err, peer, offset);
      return;
    }
    if (part.parts === 1) {
      const record = this.reassembler.add(part)!;
      record.receive = receiveInfo(this.ctx.id, peer, this.time(), part.header, record);
      this.batch.push(record);
      this.batchBytes += part.size;
      return;
    }
    const first = this.firstArrival.get(part.uuid);
    if (first === undefined) this.firstArrival.set(part.uuid, { peer, time: this.time(), header: part.header, bytes: part.size });
    else first.bytes += part.size;
    const record = this.reassembler.add(part);
    this.countReassemblyOddities();
    if (record === undefined) return;
    this.batchBytes += this.stampFromFirstArrival(record);
    this.batch.push(record);
  }

  /** End of a socket chunk: emit what it completed, as one array. */
  flush(): void {
    this.chunkTime = undefined;
    if (this.batch.length === 0) return;
    const records = this.batch;
    const bytes = this.batchBytes;
    this.batch = [];
    this.batchBytes = 0;
    this.emit(records, bytes);
  }

  /** Counts and (rate-limited) logs a problem of one connection. */
  problem(errorType: string, err: Error, peer: string, offset?: number): void {
    this.ctx.metrics.increment('component_errors_total', 1, { error_type: errorType, stage: 'receiving' });
    this.limiter.warn(errorType, problemFields(err, peer, offset), `${errorType.replace(/_/g, ' ')} from ${peer}`);
  }

  register(p: Pausable): void {
    this.pausables.add(p);
    if (this.blocked !== undefined) p.pause();
  }

  unregister(p: Pausable): void {
    this.pausables.delete(p);
  }

  /** Shutdown: every record still waiting for parts is delivered incomplete, never dropped. */
  close(): void {
    this.flush();
    const rest = this.reassembler.close();
    if (rest.length > 0) this.deliverIncomplete(rest, 'shutdown');
    this.limiter.summarize();
  }

  private emit(records: OgrtRecord[], bytes: number): void {
    this.ctx.metrics.increment('component_received_events_total', records.length);
    const wait = this.ctx.emit(records, bytes);
    if (wait !== undefined) this.block(wait);
  }

  private block(wait: Promise<void>): void {
    const wasBlocked = this.blocked !== undefined;
    this.blocked = wait;
    if (!wasBlocked) for (const p of this.pausables) p.pause();
    const release = (): void => {
      // Only the newest promise releases: an older one settling does not mean there is room now.
      if (this.blocked !== wait) return;
      this.blocked = undefined;
      for (const p of this.pausables) p.resume();
    };
    wait.then(release, release);
  }

  private time(): string {
    return (this.chunkTime ??= nowIso());
  }

  /** Sets record.receive from its first part's arrival; returns the record's wire bytes. */
  private stampFromFirstArrival(record: OgrtRecord): number {
    const first = this.firstArrival.get(record.uuid);
    if (first === undefined) {
      record.receive = { input: this.ctx.id, peer: 'unknown', time: nowIso() };
      return 0;
    }
    this.firstArrival.delete(record.uuid);
    record.receive = receiveInfo(this.ctx.id, first.peer, first.time, first.header, record);
    return first.bytes;
  }

  private deliverIncomplete(records: OgrtRecord[], reason: 'reassembly_timeout' | 'shutdown'): void {
    let bytes = 0;
    for (const r of records) bytes += this.stampFromFirstArrival(r);
    this.ctx.metrics.increment('reassembly_incomplete_records_total', records.length, { reason });
    this.limiter.warn(
      'reassembly_incomplete',
      { records: records.length, reason, uuids: records.slice(0, 5).map((r) => r.uuid), missing_parts: records[0].missing_parts },
      'delivered split record(s) with missing parts (incomplete = true)',
    );
    this.emit(records, bytes);
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

  private undecodable(err: unknown, peer: string, offset: number): void {
    if (!(err instanceof OgrtError)) {
      // A decoder bug must not take the connection (or the server) down with it.
      this.problem('internal', err instanceof Error ? err : new Error(String(err)), peer, offset);
      return;
    }
    if (err.code === 'OGRT_ERR_WIRE_NOT_OGRT') {
      this.ctx.metrics.increment('component_discarded_events_total', 1, this.notOgrtLabels);
      this.limiter.warn('not_ogrt', problemFields(err, peer, offset), `discarded a message from ${peer} that is not an OGRT record`);
      return;
    }
    this.problem(DECODE_ERROR_TYPES[err.code] ?? 'invalid_record', err, peer, offset);
  }
}

/**
 * receive.{input,peer,time}; relay_hostname / relay_time only when the syslog
 * header differs from the record (a relay rewrote it), so direct senders do
 * not repeat the record's own values.
 */
function receiveInfo(input: string, peer: string, time: string, header: WireHeader, record: OgrtRecord): ReceiveInfo {
  const info: ReceiveInfo = { input, peer, time };
  if (header.hostname !== null && header.hostname !== record.hostname) info.relay_hostname = header.hostname;
  if (header.timestamp !== null && header.timestamp !== record.time) info.relay_time = header.timestamp;
  return info;
}

function problemFields(err: Error, peer: string, offset: number | undefined): Record<string, unknown> {
  const fields: Record<string, unknown> = { peer, err: err.message };
  if (err instanceof OgrtError) {
    fields.code = err.code;
    // Frame errors carry connection offsets; decode errors carry an offset inside the message.
    const inner = err.details.offset;
    if (offset === undefined && typeof inner === 'number') fields.offset = inner;
    else if (typeof inner === 'number') fields.message_offset = inner;
    if (err.details.reason !== undefined) fields.reason = err.details.reason;
  }
  if (offset !== undefined) fields.offset = offset;
  return fields;
}
