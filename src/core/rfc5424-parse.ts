/**
 * Strict RFC 5424 (§6) parser over bytes. Hot path of the server: one pass,
 * table lookups, no regular expressions. The message is decoded once as
 * latin1 and ASCII fields are sliced from that string (one native call per
 * message instead of two per SD-PARAM); only values with non-ASCII bytes are
 * decoded as UTF-8 on their own, and only values with a backslash are
 * unescaped.
 */
import {
  BACKSLASH, DASH, LBRACKET, QUOTE, RBRACKET, SD_NAME_CHAR, SP, VALUE_STOP,
  scanTimestamp, scanUtf8, utf8SequenceLength,
} from './rfc5424-scan.ts';
import { SyslogParseError, type SdElement, type SdParam, type SyslogMessage, type SyslogReason } from './rfc5424-types.ts';

const MAX_SD_NAME = 32;
/** Up to this many SD elements, duplicate SD-IDs are found by a linear scan; beyond, by a Set. */
const LINEAR_DUPLICATE_CHECK = 8;

/**
 * Parses the message in buf[start, end). The caller has removed the framing
 * (octet count or trailing LF): every byte in the range belongs to the message.
 * Throws only SyslogParseError; its offset counts from `start`.
 */
export function parseRfc5424(buf: Uint8Array, start = 0, end?: number): SyslogMessage {
  if (!(buf instanceof Uint8Array)) throw new SyslogParseError('bad_bounds', 0);
  if (end === undefined) end = buf.length;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > buf.length || start > end) {
    throw new SyslogParseError('bad_bounds', 0);
  }
  const b: Buffer = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const text = b.toString('latin1', start, end);
  const { pri, version, timestamp, hostname, appName, procId, msgId, sdStart } = parseHeader(b, text, start, end);
  let pos = sdStart;

  // STRUCTURED-DATA
  const structuredData: SdElement[] = [];
  if (pos >= end) throw new SyslogParseError('truncated', end - start);
  if (b[pos] === DASH) {
    pos++;
  } else if (b[pos] !== LBRACKET) {
    throw new SyslogParseError('bad_sd', pos - start);
  } else {
    let seen: Set<string> | null = null;
    while (true) {
      // "[" SD-ID
      pos++;
      const idStart = pos;
      pos = sdName(b, pos, end, start);
      if (pos >= end) throw new SyslogParseError('truncated', end - start);
      if (b[pos] !== SP && b[pos] !== RBRACKET) throw new SyslogParseError('bad_sd_name', pos - start);
      const id = text.slice(idStart - start, pos - start);
      const count = structuredData.length;
      if (count < LINEAR_DUPLICATE_CHECK) {
        for (let k = 0; k < count; k++) if (structuredData[k].id === id) throw new SyslogParseError('duplicate_sd_id', idStart - start);
      } else {
        if (seen === null) {
          seen = new Set();
          for (let k = 0; k < count; k++) seen.add(structuredData[k].id);
        }
        if (seen.has(id)) throw new SyslogParseError('duplicate_sd_id', idStart - start);
        seen.add(id);
      }
      const params: SdParam[] = [];

      // *(SP PARAM-NAME "=" %d34 PARAM-VALUE %d34) "]"
      while (b[pos] === SP) {
        pos++;
        const nameStart = pos;
        pos = sdName(b, pos, end, start);
        if (pos >= end) throw new SyslogParseError('truncated', end - start);
        let c = b[pos];
        if (c !== 0x3d) throw new SyslogParseError(c === SP || c === RBRACKET || c === QUOTE ? 'bad_sd_param' : 'bad_sd_name', pos - start);
        const name = text.slice(nameStart - start, pos - start);
        pos++;
        if (pos >= end) throw new SyslogParseError('truncated', end - start);
        if (b[pos] !== QUOTE) throw new SyslogParseError('bad_sd_param', pos - start);
        pos++;
        const valueStart = pos;
        let escaped = false;
        let ascii = true;
        while (true) {
          while (pos < end && VALUE_STOP[b[pos]] === 0) pos++;
          if (pos >= end) throw new SyslogParseError('truncated', end - start);
          c = b[pos];
          if (c === QUOTE) break;
          if (c === BACKSLASH) {
            escaped = true;
            // `\x` for any other x is kept as two characters; x is then scanned normally
            pos += pos + 1 < end && (b[pos + 1] === QUOTE || b[pos + 1] === BACKSLASH || b[pos + 1] === RBRACKET) ? 2 : 1;
          } else if (c === RBRACKET) {
            throw new SyslogParseError('unescaped_bracket', pos - start);
          } else {
            const n = utf8SequenceLength(b, pos, end);
            if (n < 0) throw new SyslogParseError(~n === end ? 'truncated' : 'invalid_utf8', ~n - start);
            ascii = false;
            pos += n;
          }
        }
        let value = ascii ? text.slice(valueStart - start, pos - start) : b.toString('utf8', valueStart, pos);
        if (escaped) value = unescapeParamValue(value);
        params.push({ name, value });
        pos++;
        if (pos >= end) throw new SyslogParseError('truncated', end - start);
        if (b[pos] !== SP && b[pos] !== RBRACKET) throw new SyslogParseError('bad_sd_param', pos - start);
      }
      pos++; // "]"
      structuredData.push({ id, params });
      if (pos >= end || b[pos] !== LBRACKET) break;
    }
  }

  // [SP MSG]
  let msg: string | null = null;
  let msgBom = false;
  if (pos < end) {
    if (b[pos] !== SP) throw new SyslogParseError('bad_sd', pos - start);
    pos++;
    if (end - pos >= 3 && b[pos] === 0xef && b[pos + 1] === 0xbb && b[pos + 2] === 0xbf) {
      msgBom = true;
      pos += 3;
      const after = scanUtf8(b, pos, end);
      if (after < 0) throw new SyslogParseError(~after === end ? 'truncated' : 'invalid_utf8', ~after - start);
    }
    // Without a BOM, MSG-ANY is any octets; invalid UTF-8 becomes U+FFFD.
    msg = b.toString('utf8', pos, end);
  }

  return {
    pri, facility: pri >> 3, severity: pri & 7, version, timestamp, hostname, appName, procId, msgId,
    structuredData, msg, msgBom,
  };
}

/** The header of a message, and where its STRUCTURED-DATA starts. */
export interface SyslogHeader {
  pri: number;
  version: number;
  timestamp: string | null;
  hostname: string | null;
  appName: string | null;
  procId: string | null;
  msgId: string | null;
  /** Offset in the buffer of the first byte after `MSGID SP`. */
  sdStart: number;
}

/**
 * PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP of
 * the message in b[start, end); `text` is that range as latin1. Throws
 * SyslogParseError (offsets from `start`). Shared with the OGRT fast path
 * (wire-decode-fast.ts), so both read headers alike.
 */
export function parseHeader(b: Uint8Array, text: string, start: number, end: number): SyslogHeader {
  // PRI
  let pos = start;
  if (pos >= end) throw new SyslogParseError('truncated', end - start);
  if (b[pos] !== 0x3c) throw new SyslogParseError('bad_pri', pos - start);
  pos++;
  const priStart = pos;
  let pri = 0;
  while (pos < end && b[pos] >= 48 && b[pos] <= 57) {
    if (pos - priStart === 3 || (pos > priStart && b[priStart] === 48)) throw new SyslogParseError('bad_pri', pos - start);
    pri = pri * 10 + (b[pos] - 48);
    pos++;
  }
  if (pos >= end) throw new SyslogParseError('truncated', end - start);
  if (pos === priStart || b[pos] !== 0x3e) throw new SyslogParseError('bad_pri', pos - start);
  if (pri > 191) throw new SyslogParseError('bad_pri', priStart - start);
  pos++;

  // VERSION SP
  const versionStart = pos;
  let version = 0;
  while (pos < end && b[pos] >= 48 && b[pos] <= 57) {
    if (pos - versionStart === 3 || (pos === versionStart && b[pos] === 48)) throw new SyslogParseError('bad_version', pos - start);
    version = version * 10 + (b[pos] - 48);
    pos++;
  }
  if (pos >= end) throw new SyslogParseError('truncated', end - start);
  if (pos === versionStart || b[pos] !== SP) throw new SyslogParseError('bad_version', pos - start);
  pos++;

  // TIMESTAMP SP
  let timestamp: string | null = null;
  if (pos < end && b[pos] === DASH) {
    pos++;
  } else {
    const after = scanTimestamp(b, pos, end);
    if (after < 0) throw new SyslogParseError(~after === end ? 'truncated' : 'bad_timestamp', ~after - start);
    timestamp = text.slice(pos - start, after - start);
    pos = after;
  }
  if (pos >= end) throw new SyslogParseError('truncated', end - start);
  if (b[pos] !== SP) throw new SyslogParseError('bad_timestamp', pos - start);
  pos++;

  // HOSTNAME SP APP-NAME SP PROCID SP MSGID SP
  let fieldEnd = headerField(b, pos, end, start, 255, 'bad_hostname', 'hostname_too_long');
  const hostname = fieldEnd - pos === 1 && b[pos] === DASH ? null : text.slice(pos - start, fieldEnd - start);
  pos = fieldEnd + 1;
  fieldEnd = headerField(b, pos, end, start, 48, 'bad_app_name', 'app_name_too_long');
  const appName = fieldEnd - pos === 1 && b[pos] === DASH ? null : text.slice(pos - start, fieldEnd - start);
  pos = fieldEnd + 1;
  fieldEnd = headerField(b, pos, end, start, 128, 'bad_procid', 'procid_too_long');
  const procId = fieldEnd - pos === 1 && b[pos] === DASH ? null : text.slice(pos - start, fieldEnd - start);
  pos = fieldEnd + 1;
  fieldEnd = headerField(b, pos, end, start, 32, 'bad_msgid', 'msgid_too_long');
  const msgId = fieldEnd - pos === 1 && b[pos] === DASH ? null : text.slice(pos - start, fieldEnd - start);
  pos = fieldEnd + 1;

  return { pri, version, timestamp, hostname, appName, procId, msgId, sdStart: pos };
}

/** Scans 1*max PRINTUSASCII and returns the position of the SP after it. */
function headerField(b: Uint8Array, pos: number, end: number, start: number, max: number, bad: SyslogReason, tooLong: SyslogReason): number {
  const fieldStart = pos;
  while (pos < end) {
    const c = b[pos];
    if (c === SP) break;
    if (c < 33 || c > 126) throw new SyslogParseError(bad, pos - start);
    if (pos - fieldStart === max) throw new SyslogParseError(tooLong, pos - start);
    pos++;
  }
  if (pos >= end) throw new SyslogParseError('truncated', end - start);
  if (pos === fieldStart) throw new SyslogParseError(bad, pos - start);
  return pos;
}

/** Scans a non-empty SD-NAME of at most 32 bytes; returns the position after it. */
export function sdName(b: Uint8Array, pos: number, end: number, start: number): number {
  const nameStart = pos;
  while (pos < end && SD_NAME_CHAR[b[pos]] === 1) {
    if (pos - nameStart === MAX_SD_NAME) throw new SyslogParseError('sd_name_too_long', pos - start);
    pos++;
  }
  if (pos === nameStart && pos < end) throw new SyslogParseError('bad_sd_name', pos - start);
  return pos;
}

/** `\"` `\\` `\]` lose their backslash; any other backslash stays (RFC 5424 §6.3.3). */
export function unescapeParamValue(raw: string): string {
  let out = '';
  let from = 0;
  let i = raw.indexOf('\\');
  while (i !== -1 && i + 1 < raw.length) {
    const next = raw.charCodeAt(i + 1);
    if (next === QUOTE || next === BACKSLASH || next === RBRACKET) {
      out += raw.slice(from, i);
      from = i + 1; // keep the escaped character, drop the backslash
      i = raw.indexOf('\\', i + 2);
    } else {
      i = raw.indexOf('\\', i + 1);
    }
  }
  return from === 0 ? raw : out + raw.slice(from);
}
