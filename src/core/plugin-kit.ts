/**
 * The input toolkit: the core's own codecs and ingest machinery, as the
 * built-in inputs use them. Published as 'ogrt/kit' (src/kit.ts), handed to
 * plugin factories as `ogrt.kit`, and re-exported by plugin-api.ts for the
 * built-ins (which import only from there).
 *
 *  - framing (RFC 6587 octet counting or LF): FrameSplitter;
 *  - RFC 5424: parseRfc5424;
 *  - the OGRT wire format (docs/protocol.md): decodeMessage, encodeRecord,
 *    frameOctetCounted, Reassembler for records split over several messages,
 *    the bytes ↔ string helpers (surrogateescape) and wire times;
 *  - the ingest path of an input: RecordIntake (decode → reassemble →
 *    stamp `receive` → emit with backpressure, counted and logged),
 *    StreamListener (TCP/TLS with framing and limits), PauseGate,
 *    listen/peer helpers, LogLimiter.
 *
 * Unlike the rest of the plugin API this may change in minor versions while
 * PLUGIN_API_VERSION stays: a site input built on it is checked against a
 * new server version by its tests.
 */
export { FrameSplitter, type FramingMode, type FrameSplitterOptions } from './framing.ts';
export { parseRfc5424 } from './rfc5424.ts';
export type { SdElement, SdParam, SyslogMessage } from './rfc5424.ts';
export {
  DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_PENDING, decodeMessage, encodeRecord, frameOctetCounted, Reassembler,
  bytesToString, stringToBytes,
  type EncodeOptions, type ReassemblerOptions, type ReassemblerStats, type WireHeader, type WirePart,
} from './wire.ts';
export type { IncompleteReason } from './reassembly.ts';
export { microsToIso, parseIsoTime, type WireTime } from './wire-time.ts';

export { LOG_BURST, LOG_INTERVAL_MS, LogLimiter } from './ingest/log-limiter.ts';
export { formatPeer, parseListen, peerHost, type ListenAddress } from './ingest/listen-address.ts';
export { PauseGate, type Pausable } from './ingest/pause-gate.ts';
export {
  nowIso, RecordIntake,
  type MessageSink, type NotOgrtHandler, type RecordIntakeOptions, type Transport,
} from './ingest/record-intake.ts';
export { STOP_GRACE_MS, STOP_QUIET_MS, StreamListener, type StreamListenerOptions, type TlsMaterial } from './ingest/stream-listener.ts';
