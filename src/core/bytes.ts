/**
 * Bytes <-> JS strings with PEP 383 "surrogateescape": a byte 0x80–0xFF that is
 * not part of a valid UTF-8 sequence (RFC 3629) becomes the lone surrogate
 * U+DC80–U+DCFF, and turns back into the same byte on the way out. Paths and
 * environments on Linux are bytes, so this keeps every byte of a record while
 * the record itself is plain JSON-able strings (docs/protocol.md §7).
 */
import { Buffer, isUtf8 } from 'node:buffer';
import { OgrtError } from './errors.ts';

/**
 * Length of the valid UTF-8 sequence starting at `i` (1–4), or 0 when the byte
 * at `i` starts none (invalid lead, overlong form, surrogate, above U+10FFFF,
 * or cut short by `end`). Scanning left to right with this is unambiguous:
 * continuation bytes never start a sequence.
 */
export function utf8SequenceLength(b: Uint8Array, i: number, end: number): number {
  const b0 = b[i];
  if (b0 < 0x80) return 1;
  if (b0 < 0xc2) return 0;
  if (b0 < 0xe0) return i + 1 < end && (b[i + 1] & 0xc0) === 0x80 ? 2 : 0;
  if (b0 < 0xf0) {
    if (i + 2 >= end) return 0;
    const b1 = b[i + 1];
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    return b1 >= lo && b1 <= hi && (b[i + 2] & 0xc0) === 0x80 ? 3 : 0;
  }
  if (b0 < 0xf5) {
    if (i + 3 >= end) return 0;
    const b1 = b[i + 1];
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    return b1 >= lo && b1 <= hi && (b[i + 2] & 0xc0) === 0x80 && (b[i + 3] & 0xc0) === 0x80 ? 4 : 0;
  }
  return 0;
}

/** UTF-8 bytes of `s`, with U+DC80–U+DCFF standing for the raw bytes 0x80–0xFF. */
export function stringToBytes(s: string): Buffer {
  // Node's own encoder would turn lone surrogates into U+FFFD; only strings
  // that contain them need the slow path.
  if ((s as unknown as WellFormedString).isWellFormed()) return Buffer.from(s, 'utf8');
  return escapedStringToBytes(s);
}

/** ES2024 String.prototype.isWellFormed (Node >= 20); tsconfig's lib is ES2022. */
interface WellFormedString { isWellFormed(): boolean }

function escapedStringToBytes(s: string): Buffer {
  const out = Buffer.allocUnsafe(s.length * 3);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
    } else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) {
      const cp = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
      out[n++] = 0xf0 | (cp >> 18);
      out[n++] = 0x80 | ((cp >> 12) & 0x3f);
      out[n++] = 0x80 | ((cp >> 6) & 0x3f);
      out[n++] = 0x80 | (cp & 0x3f);
    } else if (c >= 0xdc80 && c <= 0xdcff) {
      out[n++] = c - 0xdc00;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      throw new OgrtError('OGRT_ERR_WIRE_ENCODE', [
        `lone surrogate U+${c.toString(16).toUpperCase()} at index ${i} (only U+DC80–U+DCFF stand for raw bytes)`,
      ], { context: { reason: 'lone_surrogate', index: i } });
    } else {
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 0x3f);
      out[n++] = 0x80 | (c & 0x3f);
    }
  }
  return out.subarray(0, n);
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Inverse of stringToBytes: valid UTF-8 decodes as usual, every other byte becomes U+DC80+(byte-0x80). */
export function bytesToString(b: Uint8Array): string {
  if (isUtf8(b)) return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
  return escapeDecode(b);
}

const CHUNK = 4096;

function escapeDecode(b: Uint8Array): string {
  const end = b.length;
  const units: number[] = [];
  let out = '';
  let i = 0;
  while (i < end) {
    const len = utf8SequenceLength(b, i, end);
    if (len === 0) {
      units.push(0xdc00 + b[i]);
    } else if (len === 1) {
      units.push(b[i]);
    } else if (len === 2) {
      units.push(((b[i] & 0x1f) << 6) | (b[i + 1] & 0x3f));
    } else if (len === 3) {
      units.push(((b[i] & 0x0f) << 12) | ((b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f));
    } else {
      const cp = ((b[i] & 0x07) << 18) | ((b[i + 1] & 0x3f) << 12) | ((b[i + 2] & 0x3f) << 6) | (b[i + 3] & 0x3f);
      units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    }
    i += len === 0 ? 1 : len;
    if (units.length >= CHUNK) {
      out += String.fromCharCode.apply(null, units);
      units.length = 0;
    }
  }
  return out + String.fromCharCode.apply(null, units);
}
