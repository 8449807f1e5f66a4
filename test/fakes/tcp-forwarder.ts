/**
 * A TCP forwarder on 127.0.0.1 for "store unreachable, then reachable"
 * scenarios against a real server: the tests point an output at a port
 * nobody listens on (connection refused), then open the forwarder on that
 * very port, which passes bytes to the real host unchanged (TLS included).
 */
import net from 'node:net';

export class TcpForwarder {
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.server = net.createServer((client) => {
      const upstream = net.connect({ host: this.targetHost, port: this.targetPort });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
  }

  /** Listens on 127.0.0.1:port (a port freed a moment ago) and forwards to target host:port. */
  static async open(port: number, targetHost: string, targetPort: number): Promise<TcpForwarder> {
    const f = new TcpForwarder(targetHost, targetPort);
    await new Promise<void>((resolve, reject) => {
      f.server.once('error', reject);
      f.server.listen(port, '127.0.0.1', () => resolve());
    });
    return f;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** host and port of an http(s) URL, with the scheme's default port. */
export function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : 80 };
}
