/**
 * The disk buffer's on-disk format (docs/buffering.md, "On-disk format").
 *
 * A buffer directory holds segment files `<first seq, 20 digits>.seg`, an
 * `ack` file and a `lock` file. A segment is a 16-byte header followed by
 * entries, one per record, all integers little-endian:
 *
 *   offset  size  field
 *   0       4     magic FF 4F 57 01 ("\xFFOW" + format version 1)
 *   4       4     crc32 (ISO-HDLC, as zlib) of bytes 8 .. 24+len
 *   8       4     len: payload bytes
 *   12      4     wire: the record's size on the wire (for batch byte limits)
 *   16      8     seq: the record's sequence number, +1 per record, never reused
 *   24      len   payload: the record as JSON (UTF-8)
 *
 * 0xFF never occurs in UTF-8, so the magic never matches inside a payload:
 * after damage, the next entry is found by looking for the magic and then
 * checking the crc. The crc covers len, so a damaged length is caught too.
 */
import zlib from 'node:zlib';

export const SEGMENT_MAGIC = Buffer.from('OGRTWAL\0', 'latin1');
export const SEGMENT_VERSION = 1;
export const SEGMENT_HEADER_SIZE = 16;
export const ENTRY_MAGIC = Buffer.from([0xff, 0x4f, 0x57, 0x01]);
const ENTRY_MAGIC_U32 = ENTRY_MAGIC.readUInt32LE(0);
export const ENTRY_HEADER_SIZE = 24;
/** Larger lengths are damage, not data (a record is at most a few MiB). */
export const MAX_PAYLOAD = 64 * 1024 * 1024;

export const SEGMENT_SUFFIX = '.seg';
export const ACK_FILE = 'ack';
export const LOCK_FILE = 'lock';
const SEGMENT_NAME = /^(\d{20})\.seg$/;

export function segmentName(firstSeq: number): string {
  return String(firstSeq).padStart(20, '0') + SEGMENT_SUFFIX;
}

/** First seq of a segment file name, or undefined for other files. */
export function parseSegmentName(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name);
  if (m === null) return undefined;
  const seq = Number(m[1]);
  return Number.isSafeInteger(seq) ? seq : undefined;
}

export function segmentHeader(): Buffer {
  const b = Buffer.alloc(SEGMENT_HEADER_SIZE);
  SEGMENT_MAGIC.copy(b, 0);
  b.writeUInt32LE(SEGMENT_VERSION, 8);
  return b;
}

export function isSegmentHeader(buf: Buffer, at: number): boolean {
  return buf.length - at >= SEGMENT_HEADER_SIZE && buf.compare(SEGMENT_MAGIC, 0, 8, at, at + 8) === 0 && buf.readUInt32LE(at + 8) === SEGMENT_VERSION;
}

// --- crc32 --------------------------------------------------------------

type Crc32 = (data: Uint8Array, value?: number) => number;

let table: Uint32Array | undefined;

/** Table-driven crc32 (same polynomial and result as zlib.crc32), for node < 20.15. */
export function crc32Fallback(data: Uint8Array, value = 0): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = ~value >>> 0;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

export const crc32: Crc32 = (zlib as unknown as { crc32?: Crc32 }).crc32 ?? crc32Fallback;

// --- entries ------------------------------------------------------------

export interface EncodedEntries {
  readonly buffer: Buffer;
  /** Byte length of each entry, in order. */
  readonly entrySizes: number[];
}

/**
 * Encodes one entry per record with seqs firstSeq, firstSeq+1, …: `json[i]`
 * is the record's JSON, `lengths[i]` its UTF-8 byte length, `wires[i]` its
 * wire bytes.
 */
export function encodeEntries(json: readonly string[], lengths: readonly number[], wires: readonly number[], firstSeq: number, total: number): EncodedEntries {
  const n = json.length;
  const buffer = Buffer.allocUnsafe(total);
  const entrySizes = new Array<number>(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const len = lengths[i];
    const seq = firstSeq + i;
    buffer.writeUInt32LE(ENTRY_MAGIC_U32, at);
    buffer.writeUInt32LE(len, at + 8);
    buffer.writeUInt32LE(Math.min(wires[i], 0xffffffff), at + 12);
    buffer.writeUInt32LE(seq % 0x1_0000_0000, at + 16);
    buffer.writeUInt32LE(Math.floor(seq / 0x1_0000_0000), at + 20);
    buffer.write(json[i], at + ENTRY_HEADER_SIZE, len, 'utf8');
    buffer.writeUInt32LE(crc32(buffer.subarray(at + 8, at + ENTRY_HEADER_SIZE + len)), at + 4);
    entrySizes[i] = ENTRY_HEADER_SIZE + len;
    at += ENTRY_HEADER_SIZE + len;
  }
  return { buffer, entrySizes };
}

export type EntryCheck =
  | { readonly kind: 'entry'; readonly seq: number; readonly wire: number; readonly size: number }
  /** Not enough bytes in buf[at..end) to tell; at least `need` are required. */
  | { readonly kind: 'short'; readonly need: number }
  | { readonly kind: 'bad'; readonly reason: string };

/** Checks the entry starting at buf[at] (bytes up to `end` are valid data). */
export function checkEntry(buf: Buffer, at: number, end: number): EntryCheck {
  const avail = end - at;
  if (avail < ENTRY_HEADER_SIZE) {
    if (avail >= 4 && buf.readUInt32LE(at) !== ENTRY_MAGIC_U32) return { kind: 'bad', reason: 'bad entry magic' };
    return { kind: 'short', need: ENTRY_HEADER_SIZE };
  }
  if (buf.readUInt32LE(at) !== ENTRY_MAGIC_U32) return { kind: 'bad', reason: 'bad entry magic' };
  const len = buf.readUInt32LE(at + 8);
  if (len > MAX_PAYLOAD) return { kind: 'bad', reason: `entry length ${len} out of range` };
  const size = ENTRY_HEADER_SIZE + len;
  if (avail < size) return { kind: 'short', need: size };
  if (crc32(buf.subarray(at + 8, at + size)) !== buf.readUInt32LE(at + 4)) return { kind: 'bad', reason: 'checksum mismatch' };
  const seq = buf.readUInt32LE(at + 16) + buf.readUInt32LE(at + 20) * 0x1_0000_0000;
  return { kind: 'entry', seq, wire: buf.readUInt32LE(at + 12), size };
}

/** Offset of the next entry magic in buf[from..end), or -1. */
export function findMagic(buf: Buffer, from: number, end: number): number {
  return buf.subarray(0, end).indexOf(ENTRY_MAGIC, from);
}

export function payloadOf(buf: Buffer, at: number, size: number): string {
  return buf.toString('utf8', at + ENTRY_HEADER_SIZE, at + size);
}

// --- ack file -------------------------------------------------------------

export const ACK_MAGIC = Buffer.from('OGRTACK1', 'latin1');
export const ACK_FILE_SIZE = 20;

/** The ack file: magic, floor (u64: every seq below it is acknowledged), crc32 of the floor. */
export function encodeAck(floor: number): Buffer {
  const b = Buffer.alloc(ACK_FILE_SIZE);
  ACK_MAGIC.copy(b, 0);
  b.writeUInt32LE(floor % 0x1_0000_0000, 8);
  b.writeUInt32LE(Math.floor(floor / 0x1_0000_0000), 12);
  b.writeUInt32LE(crc32(b.subarray(8, 16)), 16);
  return b;
}

/** The floor, or undefined when the file is not a valid ack file. */
export function decodeAck(b: Buffer): number | undefined {
  if (b.length < ACK_FILE_SIZE || b.compare(ACK_MAGIC, 0, 8, 0, 8) !== 0) return undefined;
  if (crc32(b.subarray(8, 16)) !== b.readUInt32LE(16)) return undefined;
  return b.readUInt32LE(8) + b.readUInt32LE(12) * 0x1_0000_0000;
}
