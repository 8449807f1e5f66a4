/**
 * Everything input-syslog takes from the core, in one place. Plugins import
 * only src/core/plugin-api.ts; the three helpers below it does not re-export
 * (yet), all used by raw-event.ts. Once it does, only this file changes.
 */
export * from '../../src/core/plugin-api.ts';
export { parseRfc5424 } from '../../src/core/rfc5424.ts';
export { bytesToString } from '../../src/core/bytes.ts';
export { parseIsoTime } from '../../src/core/wire-time.ts';
