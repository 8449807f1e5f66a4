/**
 * RFC 5424 serializer: validates with the same rules the parser enforces, so
 * parseRfc5424(serializeRfc5424(m)) deep-equals m, and escapes PARAM-VALUEs.
 * Throws SyslogSerializeError (OGRT_ERR_SYSLOG_SERIALIZE) naming the field.
 */
import { isTimestamp } from './rfc5424-scan.ts';
import { SyslogSerializeError, type SyslogMessageInput, type SyslogReason } from './rfc5424-types.ts';

const MAX_SD_NAME = 32;
const BOM = '\uFEFF';

export function serializeRfc5424(m: SyslogMessageInput): Buffer {
  let out = '<' + priOf(m) + '>' + versionOf(m) + ' ';

  if (m.timestamp === null) out += '- ';
  else if (typeof m.timestamp === 'string' && isTimestamp(m.timestamp)) out += m.timestamp + ' ';
  else throw new SyslogSerializeError('bad_timestamp', 'timestamp');

  out += headerField(m.hostname, 255, 'hostname', 'bad_hostname', 'hostname_too_long');
  out += headerField(m.appName, 48, 'appName', 'bad_app_name', 'app_name_too_long');
  out += headerField(m.procId, 128, 'procId', 'bad_procid', 'procid_too_long');
  out += headerField(m.msgId, 32, 'msgId', 'bad_msgid', 'msgid_too_long');

  const sd = m.structuredData;
  if (!Array.isArray(sd)) throw new SyslogSerializeError('bad_sd', 'structuredData');
  if (sd.length === 0) out += '-';
  const seen: Set<string> | null = sd.length > 8 ? new Set() : null;
  for (let i = 0; i < sd.length; i++) {
    const element = sd[i];
    if (element === null || typeof element !== 'object') throw new SyslogSerializeError('bad_sd', `structuredData[${i}]`);
    const id = element.id;
    const idProblem = sdNameProblem(id);
    if (idProblem !== null) throw new SyslogSerializeError(idProblem, `structuredData[${i}].id`);
    if (seen !== null) {
      if (seen.has(id)) throw new SyslogSerializeError('duplicate_sd_id', `structuredData[${i}].id`);
      seen.add(id);
    } else {
      for (let k = 0; k < i; k++) if (sd[k].id === id) throw new SyslogSerializeError('duplicate_sd_id', `structuredData[${i}].id`);
    }
    out += '[' + id;
    const params = element.params;
    if (!Array.isArray(params)) throw new SyslogSerializeError('bad_sd_param', `structuredData[${i}].params`);
    for (let j = 0; j < params.length; j++) {
      const param = params[j];
      if (param === null || typeof param !== 'object') throw new SyslogSerializeError('bad_sd_param', `structuredData[${i}].params[${j}]`);
      const { name, value } = param;
      const nameProblem = sdNameProblem(name);
      if (nameProblem !== null) throw new SyslogSerializeError(nameProblem, `structuredData[${i}].params[${j}].name`);
      if (typeof value !== 'string') throw new SyslogSerializeError('bad_sd_param', `structuredData[${i}].params[${j}].value`);
      const escaped = escapeParamValue(value);
      if (escaped === null) throw new SyslogSerializeError('invalid_utf16', `structuredData[${i}].params[${j}].value`);
      out += ' ' + name + '="' + escaped + '"';
    }
    out += ']';
  }

  const msg = m.msg ?? null;
  const bom = m.msgBom === true;
  if (msg === null) {
    if (bom) throw new SyslogSerializeError('bad_msg', 'msgBom');
  } else {
    if (typeof msg !== 'string' || (!bom && msg.charCodeAt(0) === 0xfeff)) throw new SyslogSerializeError('bad_msg', 'msg');
    if (!isWellFormed(msg)) throw new SyslogSerializeError('invalid_utf16', 'msg');
    out += bom ? ' ' + BOM + msg : ' ' + msg;
  }
  return Buffer.from(out, 'utf8');
}

function priOf(m: SyslogMessageInput): number {
  const { pri, facility, severity } = m;
  if (pri !== undefined) {
    if (!Number.isInteger(pri) || pri < 0 || pri > 191) throw new SyslogSerializeError('bad_pri', 'pri');
    if ((facility !== undefined && facility !== pri >> 3) || (severity !== undefined && severity !== (pri & 7))) {
      throw new SyslogSerializeError('bad_pri', 'facility/severity');
    }
    return pri;
  }
  if (!Number.isInteger(facility) || facility! < 0 || facility! > 23) throw new SyslogSerializeError('bad_pri', 'facility');
  if (!Number.isInteger(severity) || severity! < 0 || severity! > 7) throw new SyslogSerializeError('bad_pri', 'severity');
  return facility! * 8 + severity!;
}

function versionOf(m: SyslogMessageInput): number {
  const v = m.version ?? 1;
  if (!Number.isInteger(v) || v < 1 || v > 999) throw new SyslogSerializeError('bad_version', 'version');
  return v;
}

/** The field and its SP; null is NILVALUE. A string "-" is refused: it would read back as null. */
function headerField(value: string | null, max: number, field: string, bad: SyslogReason, tooLong: SyslogReason): string {
  if (value === null) return '- ';
  if (typeof value !== 'string' || value.length === 0 || value === '-') throw new SyslogSerializeError(bad, field);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 33 || c > 126) throw new SyslogSerializeError(bad, field);
  }
  if (value.length > max) throw new SyslogSerializeError(tooLong, field);
  return value + ' ';
}

function sdNameProblem(name: unknown): SyslogReason | null {
  if (typeof name !== 'string' || name.length === 0) return 'bad_sd_name';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 33 || c > 126 || c === 0x3d || c === 0x5d || c === 0x22) return 'bad_sd_name';
  }
  return name.length > MAX_SD_NAME ? 'sd_name_too_long' : null;
}

/** `"` `\` `]` get a backslash (RFC 5424 §6.3.3); null if `v` has a lone surrogate. */
export function escapeParamValue(v: string): string | null {
  let out = '';
  let from = 0;
  let escapes = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0x22 || c === 0x5c || c === 0x5d) {
      out += v.slice(from, i) + '\\';
      from = i;
      escapes++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      if (c <= 0xdbff && i + 1 < v.length) {
        const d = v.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          i++;
          continue;
        }
      }
      return null;
    }
  }
  return escapes === 0 ? v : out + v.slice(from);
}

function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c > 0xdbff || i + 1 >= s.length) return false;
    const d = s.charCodeAt(i + 1);
    if (d < 0xdc00 || d > 0xdfff) return false;
    i++;
  }
  return true;
}
