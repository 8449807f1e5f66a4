/**
 * Collects the parts of split records (docs/protocol.md §5). Parts of one
 * record may come over different connections and relays, so an input hands
 * every part to its one Reassembler. Nothing is dropped: a record whose parts
 * do not all arrive within the timeout, or that is pushed out by a limit, is
 * delivered `incomplete` through `onExpired`, with the reason, and counted.
 *
 * Memory is bounded whatever the input rate: at most `maxPending` records
 * wait, holding at most `maxPendingBytes` of parts (their wire bytes); past
 * either limit the oldest records go out incomplete. Parts are kept by
 * number in a Map, so a record announcing 99999 parts costs what it sent,
 * not an array of 99999 slots.
 *
 * One unref'd interval sweeps expired records (never a timer per record);
 * `add` sweeps as well, so an injected clock needs no real waiting.
 */
import type { OgrtRecord } from './record.ts';
import { assemble } from './wire-assemble.ts';
import type { WirePart } from './wire-decode.ts';

/** Why a record was delivered incomplete. */
export type IncompleteReason = 'timeout' | 'max_pending' | 'max_bytes';

export interface ReassemblerOptions {
  /** Deliver a record incomplete when its first part is this old. */
  timeoutMs: number;
  /** Most records waiting for parts; beyond it the oldest is delivered incomplete. Default 10000. */
  maxPending?: number;
  /**
   * Most wire bytes of parts held (all pending records together); beyond it
   * the oldest records are delivered incomplete until the rest fits — the
   * record just added too, when it alone is larger. Default 64 MiB.
   */
  maxPendingBytes?: number;
  /** Receives records delivered incomplete by the timeout or a limit, in batches. */
  onExpired: (records: OgrtRecord[], reason: IncompleteReason) => void;
  /** Clock in ms; default performance.now. */
  now?: () => number;
}

export interface ReassemblerStats {
  /** Parts ignored because the same part of the same record had arrived already (also after it completed). */
  duplicates: number;
  /** Parts ignored because their `parts` or kind disagree with the record's first part. */
  conflicts: number;
  /** Records delivered incomplete after the timeout (or at close()). */
  expired: number;
  /** Records delivered incomplete because maxPending was reached. */
  evicted: number;
  /** Records delivered incomplete because maxPendingBytes was reached. */
  evictedForBytes: number;
  /** Records waiting for parts now. */
  pending: number;
  /** Wire bytes of the parts they hold. */
  pendingBytes: number;
}

interface Pending {
  readonly parts: Map<number, WirePart>;
  readonly count: number;
  readonly kind: WirePart['kind'];
  readonly firstSeen: number;
  bytes: number;
}

export const DEFAULT_MAX_PENDING = 10000;
export const DEFAULT_MAX_PENDING_BYTES = 64 * 1024 * 1024;

export class Reassembler {
  readonly #timeoutMs: number;
  readonly #maxPending: number;
  readonly #maxPendingBytes: number;
  readonly #onExpired: (records: OgrtRecord[], reason: IncompleteReason) => void;
  readonly #now: () => number;
  // Insertion order = arrival order of first parts, so the oldest are first.
  readonly #pending = new Map<string, Pending>();
  #pendingBytes = 0;
  // Split records completed within the timeout: a late repeat of one of their
  // parts (a relay resending) is a duplicate, not the start of a new record.
  readonly #completed = new Map<string, number>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastSweep: number;
  readonly #stats = { duplicates: 0, conflicts: 0, expired: 0, evicted: 0, evictedForBytes: 0 };

  constructor(opts: ReassemblerOptions) {
    if (!(opts.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${opts.timeoutMs}`);
    const maxPending = opts.maxPending ?? DEFAULT_MAX_PENDING;
    if (!Number.isInteger(maxPending) || maxPending < 1) throw new RangeError(`maxPending must be an integer >= 1, got ${maxPending}`);
    const maxPendingBytes = opts.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    if (!Number.isSafeInteger(maxPendingBytes) || maxPendingBytes < 1) throw new RangeError(`maxPendingBytes must be an integer >= 1, got ${maxPendingBytes}`);
    this.#timeoutMs = opts.timeoutMs;
    this.#maxPending = maxPending;
    this.#maxPendingBytes = maxPendingBytes;
    this.#onExpired = opts.onExpired;
    this.#now = opts.now ?? (() => performance.now());
    this.#lastSweep = this.#now();
  }

  get stats(): Readonly<ReassemblerStats> {
    return { ...this.#stats, pending: this.#pending.size, pendingBytes: this.#pendingBytes };
  }

  /** Records waiting for parts now (cheaper than stats). */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Wire bytes of the parts held now (cheaper than stats). */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Whether parts of this record are waiting. */
  isPending(uuid: string): boolean {
    return this.#pending.has(uuid);
  }

  /**
   * The complete record this part finishes, or undefined while parts are
   * missing (or when the part was ignored, or its record had to go out
   * incomplete at once through onExpired).
   */
  add(part: WirePart): OgrtRecord | undefined {
    const now = this.sweepIfDue();
    if (part.parts === 1) return assemble([part]);

    let entry = this.#pending.get(part.uuid);
    if (entry === undefined && this.#completed.has(part.uuid)) {
      this.#stats.duplicates++;
      return undefined;
    }
    if (entry === undefined) {
      if (this.#pending.size >= this.#maxPending) this.#evictOldest();
      entry = { parts: new Map(), count: part.parts, kind: part.kind, firstSeen: now, bytes: 0 };
      this.#pending.set(part.uuid, entry);
      this.#startTimer();
    } else if (entry.count !== part.parts || entry.kind !== part.kind) {
      this.#stats.conflicts++;
      return undefined;
    }
    if (entry.parts.has(part.part)) {
      this.#stats.duplicates++;
      return undefined;
    }
    entry.parts.set(part.part, part);
    entry.bytes += part.size;
    this.#pendingBytes += part.size;
    if (entry.parts.size < entry.count) {
      if (this.#pendingBytes > this.#maxPendingBytes) this.#evictForBytes();
      return undefined;
    }
    this.#remove(part.uuid, entry);
    if (this.#completed.size >= this.#maxPending) this.#completed.delete(this.#completed.keys().next().value!);
    this.#completed.set(part.uuid, now);
    return assemble([...entry.parts.values()]);
  }

  /** Delivers every record whose first part is older than the timeout. */
  /**
   * Sweeps when a quarter of the timeout passed since the last sweep; `add`
   * calls it, and so does the caller for records it decoded without parts.
   * Returns the clock's time.
   */
  sweepIfDue(): number {
    const now = this.#now();
    if (now - this.#lastSweep >= this.#timeoutMs / 4) this.sweep(now);
    return now;
  }

  sweep(now = this.#now()): void {
    this.#lastSweep = now;
    for (const [uuid, at] of this.#completed) {
      if (now - at < this.#timeoutMs) break;
      this.#completed.delete(uuid);
    }
    let expired: OgrtRecord[] | undefined;
    for (const [uuid, entry] of this.#pending) {
      if (now - entry.firstSeen < this.#timeoutMs) break;
      this.#remove(uuid, entry);
      (expired ??= []).push(incomplete(entry));
    }
    if (expired === undefined) return;
    this.#stats.expired += expired.length;
    this.#onExpired(expired, 'timeout');
  }

  /** Shutdown: every pending record, incomplete; stops the timer. */
  close(): OgrtRecord[] {
    this.#stopTimer();
    const out: OgrtRecord[] = [];
    for (const entry of this.#pending.values()) out.push(incomplete(entry));
    this.#pending.clear();
    this.#pendingBytes = 0;
    this.#completed.clear();
    this.#stats.expired += out.length;
    return out;
  }

  #remove(uuid: string, entry: Pending): void {
    this.#pending.delete(uuid);
    this.#pendingBytes -= entry.bytes;
  }

  #evictOldest(): void {
    const oldest = this.#pending.entries().next().value;
    if (oldest === undefined) return;
    this.#remove(oldest[0], oldest[1]);
    this.#stats.evicted++;
    this.#onExpired([incomplete(oldest[1])], 'max_pending');
  }

  /** Oldest first until the held parts fit again: waiting longest, they are the least likely to complete. */
  #evictForBytes(): void {
    const out: OgrtRecord[] = [];
    for (const [uuid, entry] of this.#pending) {
      this.#remove(uuid, entry);
      out.push(incomplete(entry));
      if (this.#pendingBytes <= this.#maxPendingBytes) break;
    }
    this.#stats.evictedForBytes += out.length;
    this.#onExpired(out, 'max_bytes');
  }

  #startTimer(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.sweep(), Math.max(1, this.#timeoutMs / 4));
    this.#timer.unref();
  }

  #stopTimer(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** The parts received so far as a record; assemble() names the missing ones. */
function incomplete(entry: Pending): OgrtRecord {
  return assemble([...entry.parts.values()]);
}
