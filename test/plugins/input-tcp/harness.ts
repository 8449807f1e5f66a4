/** Shared pieces of the input-tcp tests: records, encoded frames, a started input, client sockets. */
import net from 'node:net';
import tcpPlugin from '../../../plugins/input-tcp/index.ts';
import type { TcpInputOptions } from '../../../plugins/input-tcp/config.ts';
import type { InputInstance, OgrtRecord } from '../../../src/core/plugin-api.ts';
import { encodeRecord, frameOctetCounted } from '../../../src/core/wire.ts';
import { fakeContext, type FakeContext, type FakeContextOptions } from '../../helpers/fake-context.ts';

let serial = 0;

export function record(sharedObjects = 2, overrides: Partial<OgrtRecord> = {}): OgrtRecord {
  const n = ++serial;
  return {
    uuid: `11111111-2222-4333-8444-${n.toString(16).padStart(12, '0')}`,
    kind: 'process',
    time: '2026-11-24T21:40:08.123456Z',
    hostname: 'node042',
    job_id: '4711',
    pid: 1000 + n,
    uid: 1000,
    username: 'alice',
    binpath: '/usr/bin/caf\udce9',
    cmdline: `prog --n ${n} "quoted ] \\ arg"`,
    shared_objects: Array.from({ length: sharedObjects }, (_, i) => ({ path: `/opt/lib/lib${i}-${'x'.repeat(100)}.so` })),
    loaded_modules: [{ name: 'gcc/12.2.0' }],
    environment_variables: [{ name: 'OMP_NUM_THREADS', value: '4' }],
    ...overrides,
  };
}

export const MAX_MESSAGE_SIZE = 4096;

/** The record's messages (several when it has many shared objects). */
export function messages(r: OgrtRecord): Buffer[] {
  return encodeRecord(r, { maxMessageSize: MAX_MESSAGE_SIZE });
}

export function octet(...records: OgrtRecord[]): Buffer {
  return frameOctetCounted(records.flatMap(messages));
}

export function lf(records: OgrtRecord[], eol = '\n'): Buffer {
  const parts: Buffer[] = [];
  for (const m of records.flatMap(messages)) parts.push(m, Buffer.from(eol));
  return Buffer.concat(parts);
}

/** The record as the input delivers it, without `receive`. */
export function withoutReceive(r: OgrtRecord): OgrtRecord {
  const { receive: _receive, ...rest } = r;
  return rest;
}

export interface Running {
  readonly fake: FakeContext;
  readonly input: InputInstance;
  readonly port: number;
  readonly address: string;
}

export async function startInput(options: Partial<TcpInputOptions> = {}, ctxOptions: FakeContextOptions = {}): Promise<Running> {
  const fake = fakeContext({ id: 'direct', ...ctxOptions });
  const input = tcpPlugin.create(fake.ctx, {
    listen: '127.0.0.1:0',
    max_frame_size: 65_536,
    idle_timeout_ms: 300_000,
    max_connections: 4096,
    reassembly_timeout_ms: 30_000,
    reassembly_max_bytes: 67_108_864,
    ...options,
  });
  await input.start();
  const address = input.addresses!()[0];
  return { fake, input, address, port: Number(address.slice(address.lastIndexOf(':') + 1)) };
}

export function connect(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host }, () => resolve(socket));
    socket.once('error', reject);
  });
}

export function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));
}

/** Writes and half-closes; resolves when the server closed its side too. */
export async function sendAndEnd(socket: net.Socket, data: Buffer | string): Promise<void> {
  socket.on('data', () => undefined); // consume, so 'end'/'close' can come
  socket.end(data);
  await closed(socket);
}

export function peerOf(socket: net.Socket): string {
  return `${socket.localAddress}:${socket.localPort}`;
}
