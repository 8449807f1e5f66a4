/**
 * Sends a loaded stream (workload.ts) over TCP the way a well-behaved client
 * does: whole segments of frames, and after every write() that returns false
 * it waits for 'drain' before writing more (the kernel's and the receiver's
 * backpressure reach the sender; nothing piles up in this process).
 *
 * Several connections split the segments round-robin and send at once.
 * `flood` repeats the stream until a deadline (memory-under-stall test), and
 * records how long the sender was blocked and how much the receiver took.
 */
import net from 'node:net';
import type { LoadedStream } from './workload.ts';

export interface SendOptions {
  readonly port: number;
  readonly host?: string;
  /** Concurrent connections; segments are dealt round-robin. Default 1. */
  readonly connections?: number;
  /** Repeat the stream until this many ms have passed, then stop (even while blocked). */
  readonly floodMs?: number;
}

export interface SendStats {
  /** performance.now() right before the first write. */
  readonly startedAt: number;
  /** performance.now() once the last byte was handed to the kernel (or the flood ended). */
  readonly finishedAt: number;
  /** Bytes the kernel accepted (written minus what still waited in this process). */
  readonly bytesAccepted: number;
  /** Frames in fully accepted segments. */
  readonly framesAccepted: number;
  /** Total ms spent waiting for 'drain', summed over connections. */
  readonly blockedMs: number;
  /** The longest single wait for 'drain'. */
  readonly longestBlockMs: number;
  /** ms from the start to the first wait for 'drain' that lasted over 1 s (null: never). */
  readonly firstLongBlockAtMs: number | null;
  /** True when a flood ended while a connection was waiting for 'drain'. */
  readonly endedBlocked: boolean;
}

function connect(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    s.setNoDelay(true);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

interface Lane {
  readonly socket: net.Socket;
  readonly segments: number[];
  blockedMs: number;
  longestBlockMs: number;
  frames: number;
  blocked: boolean;
}

export async function sendStream(stream: LoadedStream, opts: SendOptions): Promise<SendStats> {
  const host = opts.host ?? '127.0.0.1';
  const count = Math.max(1, opts.connections ?? 1);
  const sockets = await Promise.all(Array.from({ length: count }, () => connect(host, opts.port)));
  const lanes: Lane[] = sockets.map((socket) => ({ socket, segments: [], blockedMs: 0, longestBlockMs: 0, frames: 0, blocked: false }));
  for (let k = 0; k < stream.segments.length; k++) lanes[k % count].segments.push(k);

  let failure: Error | undefined;
  for (const lane of lanes) lane.socket.on('error', (err) => (failure ??= err));

  const startedAt = performance.now();
  const deadline = opts.floodMs === undefined ? Infinity : startedAt + opts.floodMs;
  let firstLongBlockAtMs: number | null = null;
  let timer: NodeJS.Timeout | undefined;
  const floodOver = opts.floodMs === undefined ? undefined : new Promise<void>((resolve) => (timer = setTimeout(resolve, opts.floodMs)));

  const run = async (lane: Lane): Promise<void> => {
    const { socket } = lane;
    do {
      for (const k of lane.segments) {
        if (failure !== undefined) throw failure;
        if (performance.now() >= deadline) return;
        const [start, end, frames] = stream.segments[k];
        if (!socket.write(stream.data.subarray(start, end))) {
          const t0 = performance.now();
          lane.blocked = true;
          const drained = new Promise<void>((resolve) => socket.once('drain', resolve));
          await (floodOver === undefined ? drained : Promise.race([drained, floodOver]));
          lane.blocked = socket.writableNeedDrain;
          const waited = performance.now() - t0;
          lane.blockedMs += waited;
          if (waited > lane.longestBlockMs) lane.longestBlockMs = waited;
          if (waited > 1000 && firstLongBlockAtMs === null) firstLongBlockAtMs = t0 - startedAt;
          if (lane.blocked) return; // the flood ended while blocked
        }
        lane.frames += frames;
      }
    } while (opts.floodMs !== undefined);
  };

  try {
    await Promise.all(lanes.map(run));
    // Everything handed over: wait until Node has passed the last bytes to the kernel.
    await Promise.all(lanes.map((l) => (l.blocked || l.socket.writableLength === 0 ? undefined : new Promise<void>((r) => l.socket.once('drain', r)))));
  } finally {
    clearTimeout(timer);
  }
  const finishedAt = performance.now();
  let bytesAccepted = 0;
  for (const l of lanes) bytesAccepted += l.socket.bytesWritten - l.socket.writableLength;
  const endedBlocked = lanes.some((l) => l.blocked);
  for (const l of lanes) {
    // A blocked flood cannot end gracefully (the receiver reads nothing): reset it.
    if (l.blocked) l.socket.destroy();
    else l.socket.end();
  }
  if (failure !== undefined) throw failure;
  return {
    startedAt,
    finishedAt,
    bytesAccepted,
    framesAccepted: lanes.reduce((s, l) => s + l.frames, 0),
    blockedMs: lanes.reduce((s, l) => s + l.blockedMs, 0),
    longestBlockMs: lanes.reduce((m, l) => Math.max(m, l.longestBlockMs), 0),
    firstLongBlockAtMs,
    endedBlocked,
  };
}
