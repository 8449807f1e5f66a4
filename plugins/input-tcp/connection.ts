/**
 * One TCP connection: its own FrameSplitter (framing detected from the first
 * byte), messages handed to the input's Intake, one emit per socket chunk.
 *
 * A malformed frame length ends this connection only (an octet-counted stream
 * cannot be resynchronised, see src/core/framing.ts); frames before it are
 * delivered. Too-large frames are skipped and the connection goes on.
 */
import type net from 'node:net';
import { FrameSplitter, type OgrtError } from '../../src/core/plugin-api.ts';
import { formatAddress } from './config.ts';
import type { Intake, Pausable } from './intake.ts';

export interface ConnectionOwner {
  readonly intake: Intake;
  readonly maxFrameSize: number;
  readonly idleTimeoutMs: number;
  received(bytes: number): void;
  idleClosed(): void;
  closed(conn: Connection): void;
}

/** During stop: a connection that sent nothing for this long after our FIN has nothing more in flight. */
export const STOP_QUIET_MS = 200;
const KEEPALIVE_MS = 60_000;

const FRAME_ERROR_TYPES: Partial<Record<string, string>> = {
  OGRT_ERR_FRAME_TOO_LARGE: 'frame_too_large',
  OGRT_ERR_FRAME_TRUNCATED: 'frame_truncated',
  OGRT_ERR_FRAME_MALFORMED: 'frame_malformed',
};

export class Connection implements Pausable {
  readonly peer: string;
  private readonly splitter: FrameSplitter;
  private finished = false;
  private stopping = false;
  private paused = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly owner: ConnectionOwner,
  ) {
    this.peer = formatAddress(socket.remoteAddress, socket.remotePort);
    const intake = owner.intake;
    const peer = this.peer;
    const splitter: FrameSplitter = new FrameSplitter({
      maxFrameSize: owner.maxFrameSize,
      onFrame: (buf, start, end) => intake.message(buf, start, end, peer, splitter.messageOffset),
      onError: (err) => this.frameError(err),
    });
    this.splitter = splitter;
    socket.setKeepAlive(true, KEEPALIVE_MS);
    if (owner.idleTimeoutMs > 0) socket.setTimeout(owner.idleTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.data(chunk));
    socket.on('end', () => this.finish());
    socket.on('timeout', () => this.timeout());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // Resets are routine (a sender killed mid-connection); anything else is worth a rate-limited line.
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') intake.problem('socket_error', err, peer);
    });
    socket.on('close', () => {
      this.finish();
      owner.closed(this);
    });
    intake.register(this);
  }

  /** Bytes of this connection processed so far. */
  get bytesReceived(): number {
    return this.splitter.bytesConsumed;
  }

  pause(): void {
    this.paused = true;
    this.socket.pause();
    // Waiting for the outputs is not the peer being idle.
    if (!this.stopping) this.socket.setTimeout(0);
  }

  resume(): void {
    this.paused = false;
    this.socket.resume();
    if (!this.stopping && this.owner.idleTimeoutMs > 0) this.socket.setTimeout(this.owner.idleTimeoutMs);
  }

  /** Stop: half-close so the peer stops sending, keep reading what is in flight until quiet. */
  end(): void {
    this.stopping = true;
    if (this.paused) this.socket.resume(); // a paused socket would never see the peer's FIN
    this.socket.setTimeout(STOP_QUIET_MS);
    this.socket.end();
  }

  destroy(): void {
    this.finish();
    this.socket.destroy();
  }

  private data(chunk: Buffer): void {
    this.owner.received(chunk.length);
    this.splitter.push(chunk);
    this.owner.intake.flush();
    if (this.splitter.failed) this.destroy();
  }

  private timeout(): void {
    if (!this.stopping) this.owner.idleClosed();
    this.destroy();
  }

  /** The stream ended (or is being closed): deliver an unterminated LF line, report a cut frame. */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.splitter.finish();
    this.owner.intake.flush();
    this.owner.intake.unregister(this);
  }

  private frameError(err: OgrtError): void {
    const type = FRAME_ERROR_TYPES[err.code] ?? 'frame_malformed';
    this.owner.intake.problem(type, err, this.peer);
  }
}
