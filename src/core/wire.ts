/**
 * The OGRT wire layer: records <-> RFC 5424 messages (docs/protocol.md),
 * reassembly of split records, and the surrogateescape byte helpers.
 */
export { DEFAULT_MAX_MESSAGE_SIZE, encodeRecord, frameOctetCounted, type EncodeOptions } from './wire-encode.ts';
export {
  WIRE_REASONS, decodeMessage,
  type WireEnv, type WireFields, type WireHeader, type WireModule, type WirePart, type WireReason, type WireSharedObject,
} from './wire-decode.ts';
export { assemble } from './wire-assemble.ts';
export { DEFAULT_MAX_PENDING, Reassembler, type ReassemblerOptions, type ReassemblerStats } from './reassembly.ts';
export { bytesToString, stringToBytes } from './bytes.ts';
export { MIN_MAX_MESSAGE_SIZE, longCap } from './wire-schema.ts';
