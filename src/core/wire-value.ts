/**
 * One SD parameter value in plain or percent form, with the value caps and
 * the `~p` / `~t` flags (docs/protocol.md §3). Encoded text is kept as a
 * "binary" JS string, one char per byte (latin1), so sizes are `.length`
 * and the whole message becomes a Buffer with one latin1 copy.
 */
import { Buffer } from 'node:buffer';
import { OgrtError } from './errors.ts';
import { bytesToString, stringToBytes, utf8SequenceLength } from './bytes.ts';

/** Printable ASCII without `"` `\` `]`: the value is its own encoding. */
const VERBATIM = /^[\x20\x21\x23-\x5b\x5e-\x7e]*$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const RFC_SPECIAL = /["\\\]]/g;
const HEX = '0123456789ABCDEF';

/** ` name[~flags]="text"` for a string value, cut to `cap` encoded bytes. */
export function encodeParam(name: string, value: string, cap: number, cutByCollector: boolean): string {
  if (VERBATIM.test(value)) {
    if (value.length <= cap) return paramText(name, value, false, cutByCollector);
    return paramText(name, value.slice(0, cap), false, true);
  }
  if (PRINTABLE_ASCII.test(value)) {
    const escaped = value.replace(RFC_SPECIAL, '\\$&');
    if (escaped.length <= cap) return paramText(name, escaped, false, cutByCollector);
    return paramText(name, cutEscapedAscii(value, cap), false, true);
  }
  return encodeBytesParam(name, stringToBytes(value), cap, cutByCollector);
}

function paramText(name: string, text: string, percent: boolean, cut: boolean): string {
  const flags = percent ? (cut ? '~pt' : '~p') : cut ? '~t' : '';
  return ' ' + name + flags + '="' + text + '"';
}

function isRfcSpecial(c: number): boolean {
  return c === 0x22 || c === 0x5c || c === 0x5d;
}

function cutEscapedAscii(value: string, cap: number): string {
  let n = 0;
  let i = 0;
  for (; i < value.length; i++) {
    const size = isRfcSpecial(value.charCodeAt(i)) ? 2 : 1;
    if (n + size > cap) break;
    n += size;
  }
  return value.slice(0, i).replace(RFC_SPECIAL, '\\$&');
}

/** Percent form is chosen on the whole value, before any cut. */
export function needsPercentForm(b: Uint8Array): boolean {
  const end = b.length;
  for (let i = 0; i < end; ) {
    const c = b[i];
    if (c < 0x80) {
      if (c < 0x20 || c === 0x7f) return true;
      i++;
    } else {
      const len = utf8SequenceLength(b, i, end);
      if (len === 0) return true;
      i += len;
    }
  }
  return false;
}

let scratch = Buffer.allocUnsafe(4096);

function encodeBytesParam(name: string, b: Uint8Array, cap: number, cutByCollector: boolean): string {
  const percent = needsPercentForm(b);
  const end = b.length;
  // A unit encodes to at most 4 bytes, and we stop before passing `cap`.
  const room = Math.min(end * 3, cap) + 4;
  if (scratch.length < room) scratch = Buffer.allocUnsafe(Math.max(room, scratch.length * 2));
  const out = scratch;
  let n = 0;
  let i = 0;
  while (i < end) {
    const c = b[i];
    if (c < 0x80) {
      if (percent && (c < 0x20 || c === 0x7f || c === 0x25)) {
        if (n + 3 > cap) break;
        n = writePercent(out, n, c);
      } else if (isRfcSpecial(c)) {
        if (n + 2 > cap) break;
        out[n++] = 0x5c;
        out[n++] = c;
      } else {
        if (n + 1 > cap) break;
        out[n++] = c;
      }
      i++;
      continue;
    }
    const len = utf8SequenceLength(b, i, end);
    if (len === 0) {
      if (n + 3 > cap) break;
      n = writePercent(out, n, c);
      i++;
    } else {
      if (n + len > cap) break;
      for (let k = 0; k < len; k++) out[n++] = b[i++];
    }
  }
  return paramText(name, out.toString('latin1', 0, n), percent, cutByCollector || i < end);
}

/**
 * The value of a received parameter: `value` is what the RFC 5424 parser
 * gave (unescaped, UTF-8 decoded); percent form is decoded on its UTF-8
 * bytes, then bytes that are not UTF-8 become U+DC80–U+DCFF.
 * Throws OGRT_ERR_WIRE_INVALID for a `%` not followed by two hex digits.
 */
export function decodeValue(value: string, percent: boolean, param: string): string {
  if (!percent || value.indexOf('%') === -1) return value;
  const src = Buffer.from(value, 'utf8');
  const out = Buffer.allocUnsafe(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c !== 0x25) {
      out[n++] = c;
      continue;
    }
    const hi = hexValue(src[i + 1]);
    const lo = hexValue(src[i + 2]);
    if (hi < 0 || lo < 0) {
      throw new OgrtError('OGRT_ERR_WIRE_INVALID', [`${param}: "%" not followed by two hex digits`], {
        context: { reason: 'bad_percent_escape', param },
      });
    }
    out[n++] = (hi << 4) | lo;
    i += 2;
  }
  return bytesToString(out.subarray(0, n));
}

function writePercent(out: Buffer, n: number, c: number): number {
  out[n] = 0x25;
  out[n + 1] = HEX.charCodeAt(c >> 4);
  out[n + 2] = HEX.charCodeAt(c & 15);
  return n + 3;
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}
