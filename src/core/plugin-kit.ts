/**
 * The core's machinery for the built-in inputs, re-exported by
 * plugin-api.ts (plugins import only from there): framing, syslog and wire
 * decoding, and the shared ingest path — listeners, record intake
 * (decode → reassemble → receive metadata → emit with backpressure), the
 * log limiter. Site plugins do not get these from 'ogrt' (src/index.ts):
 * they are free to change between minor versions.
 */
export { FrameSplitter, type FramingMode, type FrameSplitterOptions } from './framing.ts';
export { parseRfc5424 } from './rfc5424.ts';
export { decodeMessage, Reassembler, bytesToString, type WirePart, type WireHeader } from './wire.ts';
export { microsToIso, parseIsoTime } from './wire-time.ts';

export { LOG_BURST, LOG_INTERVAL_MS, LogLimiter } from './ingest/log-limiter.ts';
export { formatPeer, parseListen, peerHost, type ListenAddress } from './ingest/listen-address.ts';
export { PauseGate, type Pausable } from './ingest/pause-gate.ts';
export {
  nowIso, RecordIntake,
  type MessageSink, type NotOgrtHandler, type RecordIntakeOptions, type Transport,
} from './ingest/record-intake.ts';
export { STOP_GRACE_MS, STOP_QUIET_MS, StreamListener, type StreamListenerOptions, type TlsMaterial } from './ingest/stream-listener.ts';
