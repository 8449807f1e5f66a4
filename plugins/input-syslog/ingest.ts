/**
 * The policy of a syslog input for the core's RecordIntake (decode,
 * reassembly, receive metadata, backpressure). Its senders are relays, so:
 *  - the syslog header is the relay's view (rsyslog stamps its receive time,
 *    syslog-ng may write its own host name): kept as receive.relay_time /
 *    receive.relay_hostname whenever it has them, while the record's own
 *    time, hostname and pid come from its structured data;
 *  - other programs' syslog shares the port, BSD syslog included: such
 *    messages are dropped and counted, or passed on as raw events
 *    (`non_ogrt`); only messages that look like OGRT and do not decode are
 *    errors.
 */
import { peerHost, RecordIntake, type InputContext, type NotOgrtHandler, type OgrtRecord } from '../../src/core/plugin-api.ts';
import { rawEvent } from './raw-event.ts';

export interface IngestOptions {
  readonly nonOgrt: 'drop' | 'pass';
  readonly reassemblyTimeoutMs: number;
  readonly reassemblyMaxBytes: number;
}

const passAsRaw: NotOgrtHandler = (buf, start, end, receive) => rawEvent(buf, start, end, receive, peerHost(receive.peer)) as unknown as OgrtRecord;

export function createIngest(ctx: InputContext, opts: IngestOptions): RecordIntake {
  return new RecordIntake(ctx, {
    reassemblyTimeoutMs: opts.reassemblyTimeoutMs,
    reassemblyMaxBytes: opts.reassemblyMaxBytes,
    relayHeader: true,
    unparseable: 'not_ogrt',
    passNotOgrt: opts.nonOgrt === 'pass' ? passAsRaw : undefined,
  });
}
