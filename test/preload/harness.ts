/**
 * End-to-end harness for libogrt.so: builds preload/ once, starts receivers
 * (a unix datagram socket through preload/build/helpers/receiver, a TCP
 * listener on 127.0.0.1:0), runs real programs under LD_PRELOAD and decodes
 * what arrived with the TypeScript wire decoder (src/core/wire.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assemble, decodeMessage, type WirePart } from '../../src/core/wire.ts';
import type { OgrtRecord } from '../../src/core/record.ts';
import { waitFor } from '../helpers/wait.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PRELOAD_DIR = path.join(ROOT, 'preload');
export const LIB = path.join(PRELOAD_DIR, 'build/libogrt.so');
export const RECEIVER = path.join(PRELOAD_DIR, 'build/helpers/receiver');

let built = false;
/** `make -C preload` for the library and the test helpers (once per process). */
export function buildPreload(): void {
  if (built) return;
  const r = spawnSync('make', ['-s', '-C', PRELOAD_DIR, 'build/libogrt.so', 'helpers'], { encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(LIB) || !existsSync(RECEIVER)) throw new Error(`make -C preload failed: ${r.stderr}`);
  built = true;
}

/** Octet-counted frames (`LEN SP MSG`) out of a growing byte stream. */
class Frames {
  private buf: Buffer = Buffer.alloc(0);
  readonly messages: Buffer[] = [];

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const sp = this.buf.indexOf(0x20);
      if (sp <= 0) return;
      const len = Number(this.buf.subarray(0, sp).toString('latin1'));
      if (!Number.isSafeInteger(len)) throw new Error(`bad frame length ${this.buf.subarray(0, sp).toString('latin1')}`);
      if (this.buf.length < sp + 1 + len) return;
      this.messages.push(Buffer.from(this.buf.subarray(sp + 1, sp + 1 + len)));
      this.buf = this.buf.subarray(sp + 1 + len);
    }
  }
}

export interface Receiver {
  /** OGRT_TRANSPORT value pointing at this receiver. */
  readonly transport: string;
  /** Every message received so far, in arrival order. */
  messages(): Buffer[];
  /** Every message decoded. */
  parts(): WirePart[];
  /** Complete records (all parts arrived), assembled. */
  records(): OgrtRecord[];
  /** Waits until `n` complete records arrived (and returns them). */
  waitRecords(n: number, timeoutMs?: number): Promise<OgrtRecord[]>;
  clear(): void;
  close(): Promise<void>;
}

function receiverApi(transport: string, all: () => Buffer[], reset: () => void, close: () => Promise<void>): Receiver {
  const parts = () => all().map((m) => decodeMessage(m));
  const records = () => {
    const byUuid = new Map<string, WirePart[]>();
    for (const p of parts()) {
      const list = byUuid.get(p.uuid) ?? [];
      list.push(p);
      byUuid.set(p.uuid, list);
    }
    const out: OgrtRecord[] = [];
    for (const list of byUuid.values()) if (list.length === list[0].parts) out.push(assemble(list));
    return out;
  };
  return {
    transport,
    messages: all,
    parts,
    records,
    async waitRecords(n, timeoutMs = 5000) {
      await waitFor(() => records().length >= n, timeoutMs, `${n} records at ${transport}`);
      return records();
    },
    clear: reset,
    close,
  };
}

/**
 * A unix datagram socket at dir/ogrt.sock, served by the C helper. With
 * stallAfter = N it takes N datagrams, then stops reading with its queue full
 * (a receiver that hangs mid-run).
 */
export async function unixReceiver(dir: string, name = 'ogrt.sock', stallAfter?: number): Promise<Receiver> {
  buildPreload();
  const sock = path.join(dir, name);
  const args = stallAfter === undefined ? ['unix', sock] : ['stall-after', String(stallAfter), sock];
  const child = spawn(RECEIVER, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const frames = new Frames();
  let ready = false;
  let start = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    if (!ready) {
      const nl = chunk.indexOf(0x0a);
      if (nl < 0) return;
      ready = true;
      chunk = chunk.subarray(nl + 1);
    }
    frames.push(chunk);
  });
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  await waitFor(() => ready, 5000, 'unix receiver ready');
  return receiverApi(
    `unix://${sock}`,
    () => frames.messages.slice(start),
    () => { start = frames.messages.length; },
    () => { child.stdin.end(); return closed; },
  );
}

/** A TCP listener on 127.0.0.1:0 reading RFC 6587 octet-counted frames. */
export async function tcpReceiver(): Promise<Receiver & { connections(): number }> {
  const all: Buffer[] = [];
  let start = 0;
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    connections++;
    sockets.add(s);
    const frames = new Frames();
    s.on('data', (chunk) => {
      const before = frames.messages.length;
      frames.push(chunk);
      for (let i = before; i < frames.messages.length; i++) all.push(frames.messages[i]);
    });
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const api = receiverApi(
    `tcp://127.0.0.1:${port}`,
    () => all.slice(start),
    () => { start = all.length; },
    () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  );
  return { ...api, connections: () => connections };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
  ms: number;
  pid: number;
}

/** A small, fixed environment: nothing of the test runner's leaks into records. */
export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/tmp', LANG: 'C', ...extra };
}

/** Runs cmd under LD_PRELOAD=libogrt.so OGRT_ACTIVE=1 with env (unless overridden; opts.plain: env alone). */
export function runPreloaded(cmd: string, args: string[], env: Record<string, string>, opts: { input?: string; plain?: boolean } = {}): Promise<RunResult> {
  buildPreload();
  const t0 = process.hrtime.bigint();
  const child = spawn(cmd, args, { env: opts.plain ? env : { LD_PRELOAD: LIB, OGRT_ACTIVE: '1', ...env }, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => out.push(c));
  child.stderr!.on('data', (c: Buffer) => err.push(c));
  if (child.stdin) {
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input);
  }
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err), ms: Number(process.hrtime.bigint() - t0) / 1e6, pid: child.pid ?? -1 });
    });
  });
}

/** Runs cmd without the library (env exactly as given); same result shape as runPreloaded. */
export function runPlain(cmd: string, args: string[], env: Record<string, string>): Promise<RunResult> {
  return runPreloaded(cmd, args, env, { plain: true });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * What a variant adds to a program's wall time: `pairs` rounds of (plain run,
 * variant run) back to back, the median of the differences. Pairing keeps
 * the machine's background load out of the comparison.
 */
export async function pairedAddedMs(pairs: number, plainRun: () => Promise<RunResult>, variantRun: () => Promise<RunResult>): Promise<{ added: number; diffs: number[] }> {
  const diffs: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const a = await plainRun();
    const b = await variantRun();
    diffs.push(b.ms - a.ms);
  }
  return { added: median(diffs), diffs };
}

/** gcc with -Werror into dir; throws with the compiler's output on failure. */
export function gcc(dir: string, args: string[]): void {
  const r = spawnSync('gcc', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc ${args.join(' ')}: ${r.stderr}`);
}

/**
 * Assembler for an object carrying an OGRT signature note in an allocated
 * SHT_NOTE section `.note.ogrt.info` (docs/signatures.md): namesz 5,
 * descsz 38, type 0x4f475254, "OGRT\0" padded to 8, version byte 1, the
 * 36-character uuid and a NUL, padded to 40.
 */
export function signatureAsm(uuid: string): string {
  return [
    '.section .note.ogrt.info,"a",@note',
    '.balign 4',
    '.long 5',
    '.long 38',
    '.long 0x4f475254',
    '.asciz "OGRT"',
    '.balign 4',
    '.byte 1',
    `.ascii "${uuid}"`,
    '.byte 0',
    '.balign 4',
    '.section .note.GNU-stack,"",@progbits',
    '',
  ].join('\n');
}

export function processRecords(records: OgrtRecord[]): OgrtRecord[] {
  return records.filter((r) => r.kind === 'process');
}

/**
 * Runs `/bin/true SENTINEL` to rx and waits for its record: everything a
 * program that already exited sent to the same unix datagram socket was
 * queued before it, so after this "no more records" can be asserted.
 */
export async function drain(rx: Receiver): Promise<void> {
  const marker = `sentinel-${process.hrtime.bigint()}`;
  await runPreloaded('/bin/true', [marker], baseEnv({ OGRT_TRANSPORT: rx.transport }));
  await waitFor(() => rx.records().some((r) => r.cmdline === `/bin/true ${marker}`), 5000, 'the sentinel record');
}

/** Records other than the sentinels of drain(). */
export function withoutSentinels(records: OgrtRecord[]): OgrtRecord[] {
  return records.filter((r) => !/^\/bin\/true sentinel-/.test(r.cmdline ?? ''));
}
