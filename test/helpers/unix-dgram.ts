/**
 * Test helper: send datagrams to a unix datagram socket (rsyslog's imuxsock,
 * syslog-ng's unix-dgram(), input-syslog's `socket`). Node.js has no
 * AF_UNIX SOCK_DGRAM, so a python3 child does the sendto(2) calls: it reads
 * length-prefixed messages on stdin and sends each as one datagram, blocking
 * while the receiver's queue is full (so nothing is lost to EAGAIN).
 */
import { spawn } from 'node:child_process';

const SENDER = String.raw`
import socket, struct, sys
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
inp = sys.stdin.buffer
sent = 0
while True:
    h = inp.read(4)
    if len(h) < 4: break
    n = struct.unpack(">I", h)[0]
    s.sendto(inp.read(n), path)
    sent += 1
sys.stdout.write(str(sent))
`;

/** Sends every message as one datagram, in order; resolves with the number sent. */
export function sendDatagrams(socketPath: string, messages: readonly Uint8Array[]): Promise<number> {
  const child = spawn('python3', ['-I', '-S', '-c', SENDER, socketPath], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const parts: Buffer[] = [];
  for (const m of messages) {
    const h = Buffer.alloc(4);
    h.writeUInt32BE(m.length);
    parts.push(h, Buffer.from(m.buffer, m.byteOffset, m.byteLength));
  }
  child.stdin.end(Buffer.concat(parts));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Number(out));
      else reject(new Error(`datagram sender to ${socketPath} exited ${code}: ${err.trim()}`));
    });
  });
}
