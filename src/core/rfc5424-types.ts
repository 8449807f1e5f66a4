/**
 * Types and errors of the RFC 5424 codec (src/core/rfc5424.ts re-exports them).
 * docs/codec.md ("RFC 5424 codec") documents every reason below; a test keeps
 * the two in sync.
 */
import { OgrtError } from './errors.ts';

export interface SdParam {
  name: string;
  /** Unescaped: `\"` `\\` `\]` became `"` `\` `]`; any other backslash is kept (RFC 5424 §6.3.3). */
  value: string;
}

export interface SdElement {
  id: string;
  /** In wire order; a repeated PARAM-NAME is kept as often as it occurs. */
  params: SdParam[];
}

export interface SyslogMessage {
  pri: number;
  facility: number;
  severity: number;
  version: number;
  /** Exactly as on the wire (all fractional digits, original offset); null for NILVALUE. */
  timestamp: string | null;
  hostname: string | null;
  appName: string | null;
  procId: string | null;
  msgId: string | null;
  /** [] for NILVALUE. */
  structuredData: SdElement[];
  /** null when the message ends after STRUCTURED-DATA; '' for a lone trailing SP. */
  msg: string | null;
  /** MSG began with the UTF-8 BOM (stripped from `msg`). */
  msgBom: boolean;
}

/**
 * What serializeRfc5424 accepts: a parsed SyslogMessage, or one built by hand.
 * PRI is `pri` if given, else `facility * 8 + severity`; VERSION defaults to 1.
 */
export interface SyslogMessageInput {
  pri?: number;
  facility?: number;
  severity?: number;
  version?: number;
  timestamp: string | null;
  hostname: string | null;
  appName: string | null;
  procId: string | null;
  msgId: string | null;
  structuredData: ReadonlyArray<{ readonly id: string; readonly params: ReadonlyArray<{ readonly name: string; readonly value: string }> }>;
  msg?: string | null;
  msgBom?: boolean;
}

/** Machine-friendly reasons with their one-line explanation (also the error message text). */
export const SYSLOG_REASONS = {
  bad_bounds: 'the input is not a Uint8Array, or start/end are not a range inside it',
  truncated: 'input ends inside a field, an SD element or a UTF-8 sequence',
  bad_pri: 'PRI must be "<" 0..191 ">" with no leading zero',
  bad_version: 'VERSION must be 1-3 digits without leading zero, then SP',
  bad_timestamp: 'TIMESTAMP must be "-" or YYYY-MM-DDThh:mm:ss[.1-6 digits](Z|+hh:mm|-hh:mm) with valid ranges, then SP',
  bad_hostname: 'HOSTNAME must be 1*255 PRINTUSASCII (%d33-126), then SP',
  hostname_too_long: 'HOSTNAME is longer than 255 bytes',
  bad_app_name: 'APP-NAME must be 1*48 PRINTUSASCII, then SP',
  app_name_too_long: 'APP-NAME is longer than 48 bytes',
  bad_procid: 'PROCID must be 1*128 PRINTUSASCII, then SP',
  procid_too_long: 'PROCID is longer than 128 bytes',
  bad_msgid: 'MSGID must be 1*32 PRINTUSASCII, then SP',
  msgid_too_long: 'MSGID is longer than 32 bytes',
  bad_sd: 'STRUCTURED-DATA must be "-" or SD-ELEMENTs, followed by the end or SP MSG',
  bad_sd_name: 'SD-ID / PARAM-NAME must be 1*32 PRINTUSASCII except "=", SP, "]", \'"\'',
  sd_name_too_long: 'SD-ID / PARAM-NAME is longer than 32 bytes',
  bad_sd_param: 'SD-PARAM must be PARAM-NAME "=" \'"\' PARAM-VALUE \'"\', followed by SP or "]"',
  unescaped_bracket: 'PARAM-VALUE contains "]" not escaped as "\\]"',
  duplicate_sd_id: 'the same SD-ID occurs more than once in the message',
  invalid_utf8: 'PARAM-VALUE, or MSG after a BOM, is not valid UTF-8 (RFC 3629)',
  // serializer only
  invalid_utf16: 'string contains a lone surrogate, which has no UTF-8 encoding',
  bad_msg: 'MSG starts with U+FEFF while msgBom is false, or msgBom is true without a MSG',
} as const;

export type SyslogReason = keyof typeof SYSLOG_REASONS;

/**
 * A message that is not strict RFC 5424. `offset` counts bytes from the
 * `start` given to parseRfc5424 (so it is the offset inside the message, not
 * inside a larger read buffer); for `truncated` it equals the message length.
 */
export class SyslogParseError extends OgrtError {
  readonly offset: number;
  readonly reason: SyslogReason;

  constructor(reason: SyslogReason, offset: number) {
    super('OGRT_ERR_SYSLOG_PARSE', [offset, `${reason} (${SYSLOG_REASONS[reason]})`], { context: { offset, reason } });
    this.name = 'SyslogParseError';
    this.offset = offset;
    this.reason = reason;
  }
}

/** serializeRfc5424 refused its input; `field` names it, e.g. `structuredData[1].params[4].name`. */
export class SyslogSerializeError extends OgrtError {
  readonly reason: SyslogReason;
  readonly field: string;

  constructor(reason: SyslogReason, field: string) {
    super('OGRT_ERR_SYSLOG_SERIALIZE', [field, `${reason} (${SYSLOG_REASONS[reason]})`], { context: { field, reason } });
    this.name = 'SyslogSerializeError';
    this.reason = reason;
    this.field = field;
  }
}
