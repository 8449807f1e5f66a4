/**
 * RFC 6587 framing of syslog over TCP: one FrameSplitter per connection.
 *
 * The first byte of a connection decides the framing for its whole life
 * (docs/protocol.md §6):
 *   - a digit: octet counting (§3.4.1), `MSG-LEN SP MSG`, where
 *     MSG-LEN = NONZERO-DIGIT *DIGIT (we allow at most 10 digits);
 *   - `<`: LF framing (§3.4.2), `MSG LF`; a CR before the LF is stripped,
 *     empty lines are skipped, and an unterminated last line is delivered when
 *     the connection ends (rsyslog does the same).
 *
 * Errors and what happens next:
 *   - frame longer than maxFrameSize → OGRT_ERR_FRAME_TOO_LARGE. Octet mode
 *     knows the length, skips exactly MSG-LEN bytes and goes on with the next
 *     frame; LF mode discards up to the next LF and goes on.
 *   - malformed MSG-LEN (non-digit, leading zero, more than 10 digits, missing
 *     SP) or an unknown first byte → OGRT_ERR_FRAME_MALFORMED, and the
 *     splitter is `failed`: it ignores further input and the caller should
 *     close the connection. An octet-counted stream cannot be resynchronised
 *     reliably once a length is wrong — any digit run inside a message looks
 *     like a length, so guessing would turn one bad frame into a series of
 *     bogus ones.
 *   - connection ends inside a frame (finish()) → OGRT_ERR_FRAME_TRUNCATED.
 *
 * Every reported offset counts bytes from the start of the connection, so it
 * does not depend on how the peer's writes were cut into chunks.
 *
 * Zero copy: a frame that lies inside one chunk is passed as
 * (chunk, start, end). Only a frame that spans chunks is copied into a scratch
 * buffer, which is reused: `onFrame` must not keep a reference to `buf`
 * after it returns (decode it, copy it, or slice-copy it). `onFrame` and
 * `onError` must not throw.
 */
import { OgrtError } from './errors.ts';

export type FramingMode = 'octet' | 'lf';

export interface FrameSplitterOptions {
  /** Largest accepted message, in bytes (without MSG-LEN SP, LF or CR). */
  readonly maxFrameSize: number;
  readonly onFrame: (buf: Buffer, start: number, end: number) => void;
  readonly onError: (err: OgrtError) => void;
}

const enum State {
  Start,
  Length,
  Message,
  Skip,
  Line,
  Discard,
  Failed,
  Finished,
}

const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const SP = 0x20;
const LF = 0x0a;
const CR = 0x0d;
const LT = 0x3c;
const MAX_LENGTH_DIGITS = 10;
/** Scratch buffers above this size are released after use, so an idle connection holds little. */
const KEEP_SCRATCH_BYTES = 64 * 1024;

export class FrameSplitter {
  private readonly maxFrameSize: number;
  private readonly onFrame: (buf: Buffer, start: number, end: number) => void;
  private readonly onError: (err: OgrtError) => void;

  private state: State = State.Start;
  /** Connection offset of the first byte of the current chunk. */
  private base = 0;
  /** Connection offset of the current frame's first byte (MSG-LEN or MSG). */
  private frameStart = 0;
  /** Connection offset of the current frame's MSG (after MSG-LEN SP in octet mode). */
  private messageStart = 0;
  private lengthValue = 0;
  private lengthDigits = 0;
  /** Octet mode: bytes of the current message (or skipped frame) still to come. */
  private need = 0;
  private frameLength = 0;
  private scratch: Buffer | undefined;
  private scratchLength = 0;
  private detectedMode: FramingMode | undefined;

  constructor(opts: FrameSplitterOptions) {
    if (!Number.isSafeInteger(opts.maxFrameSize) || opts.maxFrameSize < 1) {
      throw new RangeError(`maxFrameSize must be a positive integer, got ${opts.maxFrameSize}`);
    }
    this.maxFrameSize = opts.maxFrameSize;
    this.onFrame = opts.onFrame;
    this.onError = opts.onError;
  }

  /** Decided by the first byte; undefined until then (or if that byte was neither). */
  get mode(): FramingMode | undefined {
    return this.detectedMode;
  }

  /** Bytes of the connection processed so far (on failure: up to the offending byte). */
  get bytesConsumed(): number {
    return this.base;
  }

  /**
   * Connection offset of the first message byte of the frame being delivered;
   * read it inside onFrame to report where a message that fails to decode was.
   */
  get messageOffset(): number {
    return this.messageStart;
  }

  /** True after a malformed frame; further input is ignored. */
  get failed(): boolean {
    return this.state === State.Failed;
  }

  push(chunk: Buffer): void {
    const n = chunk.length;
    if (n === 0 || this.state === State.Failed || this.state === State.Finished) return;
    let pos = 0;
    if (this.state === State.Start) {
      const first = chunk[0];
      if (first >= DIGIT_0 && first <= DIGIT_9) {
        this.state = State.Length;
        this.detectedMode = 'octet';
      } else if (first === LT) {
        this.state = State.Line;
        this.detectedMode = 'lf';
      } else {
        this.fail(this.base, `first byte 0x${hex2(first)} is neither a digit (octet counting) nor "<" (LF framing)`);
        return;
      }
    }
    while (pos < n) {
      switch (this.state) {
        case State.Length:
          pos = this.readLength(chunk, pos, n);
          break;
        case State.Message:
          pos = this.readMessage(chunk, pos, n);
          break;
        case State.Skip: {
          const take = Math.min(this.need, n - pos);
          this.need -= take;
          pos += take;
          if (this.need === 0) this.state = State.Length;
          break;
        }
        case State.Line:
          pos = this.readLine(chunk, pos, n);
          break;
        case State.Discard: {
          const nl = chunk.indexOf(LF, pos);
          if (nl === -1) {
            pos = n;
          } else {
            pos = nl + 1;
            this.state = State.Line;
            this.frameStart = this.base + pos;
          }
          break;
        }
        default:
          return; // Failed: fail() already set base to the offending byte
      }
    }
    if ((this.state as State) !== State.Failed) this.base += n;
  }

  /** The connection ended: deliver a complete unterminated LF line, report a cut frame. */
  finish(): void {
    switch (this.state) {
      case State.Length:
        if (this.lengthDigits > 0) {
          this.truncated(`connection closed inside MSG-LEN after ${this.lengthDigits} digit(s)`);
        }
        break;
      case State.Message:
        this.truncated(`connection closed after ${this.frameLength - this.need} of ${this.frameLength} message bytes`);
        break;
      case State.Line:
        if (this.scratchLength > 0) this.deliverLine(this.scratch!, 0, this.scratchLength);
        break;
      default:
        break; // Skip/Discard: the frame was reported when it was found too large
    }
    this.scratchLength = 0;
    this.scratch = undefined;
    if (this.state !== State.Failed) this.state = State.Finished;
  }

  private readLength(chunk: Buffer, pos: number, n: number): number {
    let value = this.lengthValue;
    let digits = this.lengthDigits;
    while (pos < n) {
      const c = chunk[pos];
      if (c >= DIGIT_0 && c <= DIGIT_9) {
        if (digits === 0) {
          this.frameStart = this.base + pos;
          if (c === DIGIT_0) return this.failAt(pos, n, 'MSG-LEN has a leading zero');
        } else if (digits === MAX_LENGTH_DIGITS) {
          return this.failAt(pos, n, `MSG-LEN has more than ${MAX_LENGTH_DIGITS} digits`);
        }
        value = value * 10 + (c - DIGIT_0);
        digits++;
        pos++;
      } else if (c === SP && digits > 0) {
        pos++;
        this.lengthValue = 0;
        this.lengthDigits = 0;
        this.need = value;
        this.frameLength = value;
        this.messageStart = this.base + pos;
        if (value > this.maxFrameSize) {
          this.state = State.Skip;
          this.tooLarge(String(value));
        } else {
          this.state = State.Message;
        }
        return pos;
      } else {
        const what = digits === 0 ? 'a digit' : 'a digit or SP after MSG-LEN';
        return this.failAt(pos, n, `expected ${what}, got 0x${hex2(c)}`);
      }
    }
    this.lengthValue = value;
    this.lengthDigits = digits;
    return pos;
  }

  private readMessage(chunk: Buffer, pos: number, n: number): number {
    const need = this.need;
    const avail = n - pos;
    if (this.scratchLength === 0 && avail >= need) {
      // Whole frame inside this chunk: hand it over without copying.
      this.state = State.Length;
      this.need = 0;
      this.onFrame(chunk, pos, pos + need);
      return pos + need;
    }
    if (this.scratchLength === 0) this.ensureScratch(this.frameLength);
    const take = avail < need ? avail : need;
    chunk.copy(this.scratch!, this.scratchLength, pos, pos + take);
    this.scratchLength += take;
    this.need = need - take;
    if (this.need === 0) {
      this.state = State.Length;
      const scratch = this.scratch!;
      const length = this.scratchLength;
      this.releaseScratch();
      this.onFrame(scratch, 0, length);
    }
    return pos + take;
  }

  private readLine(chunk: Buffer, pos: number, n: number): number {
    const nl = chunk.indexOf(LF, pos);
    if (nl === -1) {
      this.appendLine(chunk, pos, n);
      return n;
    }
    if (this.scratchLength === 0) {
      this.deliverLine(chunk, pos, nl);
    } else if (this.appendLine(chunk, pos, nl)) {
      const scratch = this.scratch!;
      const length = this.scratchLength;
      this.releaseScratch();
      this.deliverLine(scratch, 0, length);
    }
    // After a too-large line the state is Discard; that LF ends it too.
    this.state = State.Line;
    this.frameStart = this.base + nl + 1;
    return nl + 1;
  }

  /** Adds part of an unterminated line; false (and Discard) once it is too large. */
  private appendLine(chunk: Buffer, start: number, end: number): boolean {
    const add = end - start;
    if (add === 0) return true;
    // +1: a line of exactly maxFrameSize bytes may still end in CR.
    const limit = this.maxFrameSize + 1;
    if (this.scratchLength + add > limit) {
      this.scratchLength = 0;
      this.releaseScratch();
      this.state = State.Discard;
      this.tooLarge(`more than ${this.maxFrameSize}`);
      return false;
    }
    if (this.scratch === undefined || this.scratch.length < this.scratchLength + add) {
      const grown = Buffer.allocUnsafe(Math.min(limit, Math.max(this.scratchLength + add, 2 * (this.scratch?.length ?? 1024))));
      if (this.scratch !== undefined) this.scratch.copy(grown, 0, 0, this.scratchLength);
      this.scratch = grown;
    }
    chunk.copy(this.scratch, this.scratchLength, start, end);
    this.scratchLength += add;
    return true;
  }

  private deliverLine(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === CR) end--;
    if (end === start) return; // empty line (e.g. a keep-alive LF)
    this.messageStart = this.frameStart;
    if (end - start > this.maxFrameSize) {
      this.tooLarge(String(end - start));
      return;
    }
    this.onFrame(buf, start, end);
  }

  private ensureScratch(size: number): void {
    if (this.scratch === undefined || this.scratch.length < size) this.scratch = Buffer.allocUnsafe(size);
  }

  /** Marks the scratch empty; drops it when big, so idle connections stay small. */
  private releaseScratch(): void {
    this.scratchLength = 0;
    if (this.scratch !== undefined && this.scratch.length > KEEP_SCRATCH_BYTES) this.scratch = undefined;
  }

  private tooLarge(length: string): void {
    const offset = this.frameStart;
    this.onError(
      new OgrtError('OGRT_ERR_FRAME_TOO_LARGE', [length, this.maxFrameSize], {
        context: { offset, length, maxFrameSize: this.maxFrameSize, mode: this.detectedMode },
      }),
    );
  }

  private truncated(reason: string): void {
    const offset = this.frameStart;
    this.onError(new OgrtError('OGRT_ERR_FRAME_TRUNCATED', [offset, reason], { context: { offset, reason, mode: this.detectedMode } }));
  }

  /** Fails at chunk position `pos`; returns `n` so push()'s loop ends. */
  private failAt(pos: number, n: number, reason: string): number {
    this.fail(this.base + pos, reason);
    return n;
  }

  private fail(offset: number, reason: string): void {
    this.state = State.Failed;
    this.base = offset;
    this.scratch = undefined;
    this.scratchLength = 0;
    this.onError(new OgrtError('OGRT_ERR_FRAME_MALFORMED', [offset, reason], { context: { offset, reason, mode: this.detectedMode } }));
  }
}

function hex2(byte: number): string {
  return byte < 16 ? '0' + byte.toString(16) : byte.toString(16);
}
