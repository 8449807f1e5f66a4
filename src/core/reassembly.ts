/**
 * Collects the parts of split records (docs/protocol.md §5). Parts of one
 * record may come over different connections and relays, so an input hands
 * every part to its one Reassembler. Nothing is dropped: a record whose parts
 * do not all arrive within the timeout, or that is pushed out by `maxPending`,
 * is delivered `incomplete` through `onExpired` and counted.
 *
 * One unref'd interval sweeps expired records (never a timer per record);
 * `add` sweeps as well, so an injected clock needs no real waiting.
 */
import type { OgrtRecord } from './record.ts';
import { assemble } from './wire-assemble.ts';
import type { WirePart } from './wire-decode.ts';

export interface ReassemblerOptions {
  /** Deliver a record incomplete when its first part is this old. */
  timeoutMs: number;
  /** Most records waiting for parts; beyond it the oldest is delivered incomplete. Default 10000. */
  maxPending?: number;
  /** Receives records delivered incomplete (timeout or maxPending), in batches. */
  onExpired: (records: OgrtRecord[]) => void;
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
  /** Records waiting for parts now. */
  pending: number;
}

interface Pending {
  parts: (WirePart | undefined)[];
  kind: WirePart['kind'];
  received: number;
  firstSeen: number;
}

export const DEFAULT_MAX_PENDING = 10000;

export class Reassembler {
  readonly #timeoutMs: number;
  readonly #maxPending: number;
  readonly #onExpired: (records: OgrtRecord[]) => void;
  readonly #now: () => number;
  // Insertion order = arrival order of first parts, so the oldest are first.
  readonly #pending = new Map<string, Pending>();
  // Split records completed within the timeout: a late repeat of one of their
  // parts (a relay resending) is a duplicate, not the start of a new record.
  readonly #completed = new Map<string, number>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastSweep: number;
  readonly #stats = { duplicates: 0, conflicts: 0, expired: 0, evicted: 0 };

  constructor(opts: ReassemblerOptions) {
    if (!(opts.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${opts.timeoutMs}`);
    const maxPending = opts.maxPending ?? DEFAULT_MAX_PENDING;
    if (!Number.isInteger(maxPending) || maxPending < 1) throw new RangeError(`maxPending must be an integer >= 1, got ${maxPending}`);
    this.#timeoutMs = opts.timeoutMs;
    this.#maxPending = maxPending;
    this.#onExpired = opts.onExpired;
    this.#now = opts.now ?? (() => performance.now());
    this.#lastSweep = this.#now();
  }

  get stats(): Readonly<ReassemblerStats> {
    return { ...this.#stats, pending: this.#pending.size };
  }

  /** The complete record this part finishes, or undefined while parts are missing. */
  add(part: WirePart): OgrtRecord | undefined {
    const now = this.#now();
    if (now - this.#lastSweep >= this.#timeoutMs / 4) this.sweep(now);
    if (part.parts === 1) return assemble([part]);

    let entry = this.#pending.get(part.uuid);
    if (entry === undefined && this.#completed.has(part.uuid)) {
      this.#stats.duplicates++;
      return undefined;
    }
    if (entry === undefined) {
      if (this.#pending.size >= this.#maxPending) this.#evictOldest();
      entry = { parts: new Array(part.parts), kind: part.kind, received: 0, firstSeen: now };
      this.#pending.set(part.uuid, entry);
      this.#startTimer();
    } else if (entry.parts.length !== part.parts || entry.kind !== part.kind) {
      this.#stats.conflicts++;
      return undefined;
    }
    if (entry.parts[part.part - 1] !== undefined) {
      this.#stats.duplicates++;
      return undefined;
    }
    entry.parts[part.part - 1] = part;
    if (++entry.received < part.parts) return undefined;
    this.#pending.delete(part.uuid);
    if (this.#completed.size >= this.#maxPending) this.#completed.delete(this.#completed.keys().next().value!);
    this.#completed.set(part.uuid, now);
    return assemble(entry.parts as WirePart[]);
  }

  /** Delivers every record whose first part is older than the timeout. */
  sweep(now = this.#now()): void {
    this.#lastSweep = now;
    for (const [uuid, at] of this.#completed) {
      if (now - at < this.#timeoutMs) break;
      this.#completed.delete(uuid);
    }
    let expired: OgrtRecord[] | undefined;
    for (const [uuid, entry] of this.#pending) {
      if (now - entry.firstSeen < this.#timeoutMs) break;
      this.#pending.delete(uuid);
      (expired ??= []).push(incomplete(entry));
    }
    if (expired === undefined) return;
    this.#stats.expired += expired.length;
    this.#onExpired(expired);
  }

  /** Shutdown: every pending record, incomplete; stops the timer. */
  close(): OgrtRecord[] {
    this.#stopTimer();
    const out: OgrtRecord[] = [];
    for (const entry of this.#pending.values()) out.push(incomplete(entry));
    this.#pending.clear();
    this.#completed.clear();
    this.#stats.expired += out.length;
    return out;
  }

  #evictOldest(): void {
    const oldest = this.#pending.entries().next().value;
    if (oldest === undefined) return;
    this.#pending.delete(oldest[0]);
    this.#stats.evicted++;
    this.#onExpired([incomplete(oldest[1])]);
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

function incomplete(entry: Pending): OgrtRecord {
  const have: WirePart[] = [];
  const missing: number[] = [];
  for (let i = 0; i < entry.parts.length; i++) {
    const p = entry.parts[i];
    if (p === undefined) missing.push(i + 1);
    else have.push(p);
  }
  return assemble(have, missing);
}
