/**
 * What every listener (TCP/TLS connection, UDP socket, unix datagram socket)
 * hands its messages to, and how it is told to stop reading.
 */
import type { OgrtError } from './core.ts';

/** A reader the ingest can pause while an output queue is full. */
export interface Pausable {
  pause(): void;
  resume(): void;
}

export type Transport = 'tcp' | 'tls' | 'udp' | 'unix';

export interface MessageSink {
  /**
   * One syslog message (without framing) from `peer`; `buf` is only valid
   * during the call. `streamOffset`: where the message starts in its TCP
   * connection (for error reports); absent for datagrams.
   */
  message(buf: Buffer, start: number, end: number, peer: string, transport: Transport, streamOffset?: number): void;
  /** End of one read: hand the records gathered so far to the pipeline. */
  flush(): void;
  /** A reader that stops while the pipeline pushes back; paused at once if it already does. */
  register(source: Pausable): void;
  unregister(source: Pausable): void;
  /**
   * A problem with a peer's bytes or connection: counted under `errorType`
   * (a bounded label), logged rate-limited with the peer. Never throws.
   */
  problem(errorType: string, err: OgrtError | Error, peer: string, transport: Transport, streamOffset?: number): void;
}
