/**
 * Strict RFC 5424 syslog codec (section 6 grammar): parseRfc5424 over bytes,
 * serializeRfc5424 back to bytes, timestampToMicros for TIMESTAMPs.
 * Strictness choices and error reasons: docs/codec.md, "RFC 5424 codec".
 *
 * Why our own: published parsers drop repeated PARAM-NAMEs, cut microseconds
 * or lose SD elements whose values contain `\]`.
 */
export type { SdElement, SdParam, SyslogMessage, SyslogMessageInput, SyslogReason } from './rfc5424-types.ts';
export { SYSLOG_REASONS, SyslogParseError, SyslogSerializeError } from './rfc5424-types.ts';
export { parseRfc5424, unescapeParamValue } from './rfc5424-parse.ts';
export { serializeRfc5424, escapeParamValue } from './rfc5424-serialize.ts';
export { timestampToMicros } from './rfc5424-scan.ts';
