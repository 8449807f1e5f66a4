/**
 * The unix datagram socket, owned by a small Python child process.
 *
 * Why: Node.js's core has no AF_UNIX SOCK_DGRAM (dgram is UDP only), and the
 * npm addons for it (unix-dgram, node-unix-socket) are native code that must
 * be compiled or shipped per platform. Python 3 is on every HPC head node and
 * its standard library has the socket. The child binds the socket and pipes
 * every datagram to us, framed, on its stdout:
 *
 *   'R' len=0             bound and chmod'ed: ready
 *   'D' len payload       one datagram
 *   'T' len=0             one datagram larger than max_frame_size, discarded
 *
 * (len is 4 bytes big-endian). Backpressure is natural: when we pause its
 * stdout the pipe fills, the child blocks in write(), stops receiving, the
 * socket queue fills and senders see EAGAIN — exactly as if we owned the
 * socket. The child exits when its stdin closes (we died) or on SIGTERM, and
 * removes the socket file if it is still the one it created.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { OgrtError, type Pausable } from '../../src/core/plugin-api.ts';

const BRIDGE_SCRIPT = String.raw`
import os, select, signal, socket, stat, struct, sys
path, mode, rcvbuf, maxsize = sys.argv[1], int(sys.argv[2], 8), int(sys.argv[3]), int(sys.argv[4])
def term(*_): raise SystemExit(0)
signal.signal(signal.SIGTERM, term)
signal.signal(signal.SIGINT, signal.SIG_IGN)
try:
    st = os.lstat(path)
    if not stat.S_ISSOCK(st.st_mode):
        sys.stderr.write("%s exists and is not a socket\n" % path); sys.exit(2)
    os.unlink(path)
except FileNotFoundError:
    pass
try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
    if rcvbuf > 0: s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind(path); os.chmod(path, mode)
    ino = os.stat(path).st_ino
except OSError as e:
    sys.stderr.write("%s\n" % e); sys.exit(2)
def write_all(b):
    v = memoryview(b)
    while v: v = v[os.write(1, v):]
hdr = struct.Struct(">cI")
try:
    write_all(hdr.pack(b"R", 0))
    s.setblocking(False)
    stdin = sys.stdin.buffer.raw
    while True:
        r, _, _ = select.select([s, stdin], [], [])
        if stdin in r and not os.read(0, 4096): break
        out = []
        for _ in range(256):
            try: d = s.recv(maxsize + 1)
            except BlockingIOError: break
            out.append(hdr.pack(b"T", 0) if len(d) > maxsize else hdr.pack(b"D", len(d)) + d)
        if out: write_all(b"".join(out))
except (SystemExit, BrokenPipeError, KeyboardInterrupt):
    pass
finally:
    try:
        if os.stat(path).st_ino == ino: os.unlink(path)
    except OSError:
        pass
`;

const TYPE_READY = 0x52; // 'R'
const TYPE_DATAGRAM = 0x44; // 'D'
const TYPE_TOO_LARGE = 0x54; // 'T'
const HEADER = 5;

export interface UnixDgramOptions {
  readonly python: string;
  readonly path: string;
  readonly mode: number;
  readonly receiveBuffer: number;
  readonly maxMessageSize: number;
  /** `buf` is only valid during the call. */
  readonly onDatagram: (buf: Buffer, start: number, end: number) => void;
  /** After the datagrams of one read from the child: time to emit. */
  readonly onBatchEnd: () => void;
  readonly onTooLarge: () => void;
  /** The child died while we were running; the socket is gone. */
  readonly onFailure: (err: OgrtError) => void;
  readonly inputId: string;
}

export class UnixDgramBridge implements Pausable {
  private child: ChildProcess | undefined;
  private pending: Buffer = Buffer.alloc(0);
  private stopping = false;
  private stderrTail = '';

  constructor(private readonly opts: UnixDgramOptions) {}

  start(): Promise<void> {
    const o = this.opts;
    const child = spawn(o.python, ['-I', '-S', '-c', BRIDGE_SCRIPT, o.path, o.mode.toString(8), String(o.receiveBuffer), String(o.maxMessageSize)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      this.stderrTail = (this.stderrTail + s).slice(-2000);
    });
    child.stdin!.on('error', () => {}); // EPIPE after the child exited; its exit is reported below
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const fail = (why: string, cause?: unknown): OgrtError =>
        new OgrtError('OGRT_ERR_INPUT_LISTEN', [o.inputId, `unix datagram socket ${o.path}`, why], { cause, context: { path: o.path } });
      child.once('error', (err) => {
        if (!ready) reject(fail(`cannot run ${o.python}: ${err.message} (the unix socket needs Python 3; set \`python\`)`, err));
      });
      child.once('exit', (code, signal) => {
        const why = this.stderrTail.trim() || `${o.python} exited with ${code ?? signal}`;
        if (!ready) reject(fail(why));
        else if (!this.stopping) o.onFailure(fail(`socket helper exited unexpectedly: ${why}`));
      });
      child.stdout!.on('data', (chunk: Buffer) => {
        if (!ready && chunk.length > 0 && chunk[0] === TYPE_READY && this.pending.length === 0) {
          ready = true;
          resolve();
        }
        this.consume(chunk);
      });
    });
  }

  pause(): void {
    this.child?.stdout?.pause();
  }

  resume(): void {
    this.child?.stdout?.resume();
  }

  /** Stops the child and waits for it; datagrams it already piped are delivered first. */
  stop(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    this.stopping = true;
    return new Promise<void>((resolve) => {
      child.stdout!.once('close', () => resolve());
      child.stdout!.resume();
      child.kill('SIGTERM');
    });
  }

  private consume(chunk: Buffer): void {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let pos = 0;
    while (buf.length - pos >= HEADER) {
      const type = buf[pos];
      const len = buf.readUInt32BE(pos + 1);
      if (buf.length - pos - HEADER < len) break;
      const start = pos + HEADER;
      if (type === TYPE_DATAGRAM) this.opts.onDatagram(buf, start, start + len);
      else if (type === TYPE_TOO_LARGE) this.opts.onTooLarge();
      pos = start + len;
    }
    this.opts.onBatchEnd();
    this.pending = pos === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(pos));
  }
}
