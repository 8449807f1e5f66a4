/**
 * A real server for query, API, CLI and browser tests: ogrt.conf in a temp
 * dir with input-tcp (port 0) → output-sqlite, and the dashboard on
 * 127.0.0.1:0. Records go in the way libogrt sends them: encoded with
 * encodeRecord, octet-counted, over TCP. FIXTURE is a small site whose
 * answers are worked out by hand in the tests.
 */
import net from 'node:net';
import path from 'node:path';
import { encodeRecord, frameOctetCounted } from '../../../src/core/wire.ts';
import type { OgrtRecord } from '../../../src/core/record.ts';
import { loadConfig } from '../../../src/core/config.ts';
import { builtinRegistry } from '../../../src/core/builtin-plugins.ts';
import { startServer, type RunningServer } from '../../../src/core/server.ts';
import { captureLogs, type CapturedLogs } from '../../helpers/logs.ts';
import { removeDir, tempDir, writeFiles } from '../../helpers/temp.ts';
import { waitFor } from '../../helpers/wait.ts';

export const SIG_BLAS = 'b73c604d-c2e9-4057-ae31-586aa5ee29e3';
export const SIG_BLAS64 = '0b9c4e1a-7d2f-4c3b-9a8e-5f6d7c8b9a01';
export const SIG_SIM = '5e1f0c2d-3b4a-4968-8776-a5b4c3d2e1f0';

export const LIBC = '/lib/x86_64-linux-gnu/libc.so.6';
export const LIBM = '/lib/x86_64-linux-gnu/libm.so.6';
export const BLAS = '/opt/blas/lib/libopenblas.so.0';
export const BLAS64 = '/opt/blas64/lib/libopenblas64_.so.0.3';
export const XSS = '<script>alert(1)</script>';

const uuid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function record(n: number, r: Partial<OgrtRecord> & Pick<OgrtRecord, 'time' | 'hostname'>): OgrtRecord {
  return { uuid: uuid(n), kind: 'process', pid: 1000 + n, shared_objects: [], loaded_modules: [], environment_variables: [], ...r };
}

/**
 * Six processes in four jobs and one process outside any job:
 *  1 job 100 alice node1 python3  libc, BLAS(SIG_BLAS)           (+ exit record 7)
 *  2 job 100 alice node2 ~alice/bin/sim(SIG_SIM)  libc, BLAS(SIG_BLAS), libm
 *  3 job 101 bob   node1 bash     libc                            (+ dlopen record 8: BLAS(SIG_BLAS))
 *  4 job 102 bob   node3 R        libc, BLAS64(SIG_BLAS64)
 *  5 job 103 carol node1 /scratch/carol/a.out, cmdline XSS, libc, libm
 *  6 no job  dave  node4 python3  libc, BLAS(SIG_BLAS)
 */
export const FIXTURE: readonly OgrtRecord[] = Object.freeze([
  record(1, {
    time: '2026-11-01T10:00:00.000001Z', hostname: 'node1', job_id: '100', username: 'alice', uid: 1001, parent_pid: 900,
    binpath: '/usr/bin/python3', cmdline: 'python3 fit.py', shared_objects: [{ path: LIBC }, { path: BLAS, signature: SIG_BLAS }],
    loaded_modules: [{ name: 'gcc/12.2.0' }, { name: 'openblas/0.3.21' }], environment_variables: [{ name: 'OMP_NUM_THREADS', value: '4' }],
  }),
  record(2, {
    time: '2026-11-01T10:05:00.000000Z', hostname: 'node2', job_id: '100', username: 'alice', uid: 1001,
    binpath: '/home/alice/bin/sim', signature: SIG_SIM, cmdline: 'sim --steps 10',
    shared_objects: [{ path: LIBC }, { path: BLAS, signature: SIG_BLAS }, { path: LIBM }],
  }),
  record(3, {
    time: '2026-11-02T08:00:00.000000Z', hostname: 'node1', job_id: '101', username: 'bob', uid: 1002,
    binpath: '/usr/bin/bash', cmdline: 'bash run.sh', shared_objects: [{ path: LIBC }],
  }),
  record(4, {
    time: '2026-11-03T12:00:00.000000Z', hostname: 'node3', job_id: '102', username: 'bob', uid: 1002,
    binpath: '/usr/bin/R', cmdline: 'R -f model.R', shared_objects: [{ path: LIBC }, { path: BLAS64, signature: SIG_BLAS64 }],
  }),
  record(5, {
    time: '2026-11-04T09:00:00.000000Z', hostname: 'node1', job_id: '103', username: 'carol', uid: 1003,
    binpath: '/scratch/carol/a.out', cmdline: XSS, shared_objects: [{ path: LIBC }, { path: LIBM }],
    environment_variables: [{ name: 'NOTE', value: '<img src=x onerror=alert(2)>' }],
  }),
  record(6, {
    time: '2026-11-05T00:00:00.000000Z', hostname: 'node4', username: 'dave', uid: 1004,
    binpath: '/usr/bin/python3', cmdline: 'python3 -c pass', shared_objects: [{ path: LIBC }, { path: BLAS, signature: SIG_BLAS }],
  }),
  record(7, {
    kind: 'exit', process_uuid: uuid(1), time: '2026-11-01T10:00:30.000001Z', hostname: 'node1', job_id: '100', pid: 1001,
    username: 'alice', exit_status: 0, wall_time_us: 30_000_000, max_rss_kb: 51_200,
  }),
  record(8, {
    kind: 'dlopen', process_uuid: uuid(3), time: '2026-11-02T08:00:01.000000Z', hostname: 'node1', job_id: '101', pid: 1003,
    username: 'bob', shared_objects: [{ path: BLAS, signature: SIG_BLAS }],
  }),
]);

export const FIXTURE_UUIDS = { first: uuid(1), bash: uuid(3) };

export const LIBX = '/opt/x/lib/libx.so.1';
export const VDSO = 'linux-vdso.so.1';
export const LIBOGRT = '/home/dev/ogrt/preload/build/libogrt.so';
/** Start of the LATER fixture: queries from here see only it. */
export const LATER_FROM = '2027-01-01';

const later = (n: number, day: number, r: Partial<OgrtRecord>): OgrtRecord =>
  record(100 + n, { time: `2027-01-0${day}T00:00:00.000000Z`, hostname: 'node5', ...r });

/**
 * Records from 2027 on, for user names (libogrt takes them from $USER, which
 * batch scripts may not set: the uid is what is always there), user-built
 * calls and census orders. Users are a name, else uid:N:
 *
 *  n  job  user       executable              libraries
 *  1  J1   uid 1005   /usr/bin/env            vdso, libogrt, LIBX
 *  2  J1   uid 1005   /usr/bin/env (node6)    vdso, LIBX
 *  3  J1   uid 1005   /usr/bin/env
 *  4  J2   uid 1006   a.out (not absolute)    vdso
 *  5  J2   erin 1007  /home/erin/bin/model    vdso, libogrt
 *  6  J3   (none)     /usr/bin/env            LIBX
 *  7  J4   erin 1007  /home/erin/bin/model
 *  8  J5   uid 1006   /home/erin/bin/model
 *  9-11 J6-J8 uid 1005 /usr/bin/sleep
 *
 * executables   runs users jobs
 *  env            4    1    2
 *  model          3    2    3
 *  sleep          3    1    3
 *  a.out          1    1    1
 */
export const LATER: readonly OgrtRecord[] = Object.freeze([
  later(1, 1, { job_id: 'J1', uid: 1005, binpath: '/usr/bin/env', shared_objects: [{ path: VDSO }, { path: LIBOGRT }, { path: LIBX }] }),
  later(2, 1, { job_id: 'J1', uid: 1005, hostname: 'node6', binpath: '/usr/bin/env', shared_objects: [{ path: VDSO }, { path: LIBX }] }),
  later(3, 1, { job_id: 'J1', uid: 1005, binpath: '/usr/bin/env' }),
  later(4, 2, { job_id: 'J2', uid: 1006, binpath: 'a.out', shared_objects: [{ path: VDSO }] }),
  later(5, 2, { job_id: 'J2', username: 'erin', uid: 1007, binpath: '/home/erin/bin/model', shared_objects: [{ path: VDSO }, { path: LIBOGRT }] }),
  later(6, 3, { job_id: 'J3', binpath: '/usr/bin/env', shared_objects: [{ path: LIBX }] }),
  later(7, 3, { job_id: 'J4', username: 'erin', uid: 1007, binpath: '/home/erin/bin/model' }),
  later(8, 4, { job_id: 'J5', uid: 1006, binpath: '/home/erin/bin/model' }),
  later(9, 4, { job_id: 'J6', uid: 1005, binpath: '/usr/bin/sleep' }),
  later(10, 5, { job_id: 'J7', uid: 1005, binpath: '/usr/bin/sleep' }),
  later(11, 5, { job_id: 'J8', uid: 1005, binpath: '/usr/bin/sleep' }),
]);

export interface StoreServer {
  readonly server: RunningServer;
  readonly dir: string;
  readonly configFile: string;
  readonly dbFile: string;
  readonly logs: CapturedLogs;
  /** http://127.0.0.1:PORT of the dashboard. */
  readonly url: string;
  /** Sends records over one TCP connection, as libogrt frames them. */
  send(records: readonly OgrtRecord[]): Promise<void>;
  /** Waits until the sqlite output has stored `n` records in total. */
  waitStored(n: number, timeoutMs?: number): Promise<void>;
  /** Stops the server (idempotent); the files stay until close(). */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreServerOptions {
  /** dashboard.listen; default "127.0.0.1:0". */
  listen?: string;
  /** Extra `[dashboard]` keys, TOML lines. */
  dashboard?: string;
  files?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
}

export async function startStoreServer(options: StoreServerOptions = {}): Promise<StoreServer> {
  const dir = await tempDir('ogrt-store-');
  const conf = `
[server]
shutdown_timeout_ms = 5000

[inputs.direct]
type = "tcp"
listen = "127.0.0.1:0"

[outputs.store]
type = "sqlite"
path = "data/ogrt.db"
batch = { max_events = 100, timeout_ms = 20 }

[dashboard]
listen = "${options.listen ?? '127.0.0.1:0'}"
${options.dashboard ?? ''}
`;
  await writeFiles(dir, { 'ogrt.conf': conf, ...(options.files ?? {}) });
  const logs = captureLogs('info');
  const configFile = path.join(dir, 'ogrt.conf');
  let server: RunningServer;
  const saved = { ...process.env };
  try {
    Object.assign(process.env, options.env ?? {});
    const config = await loadConfig({ configPath: configFile, registry: builtinRegistry() });
    server = await startServer({ config, logger: logs.logger });
  } catch (err) {
    await removeDir(dir);
    throw err;
  } finally {
    for (const k of Object.keys(options.env ?? {})) if (saved[k] === undefined) delete process.env[k];
  }
  const [host, port] = splitAddress(server.inputs[0].addresses[0]);
  let stopped: Promise<unknown> | undefined;
  const stop = async (): Promise<void> => {
    await (stopped ??= server.stop('test done'));
  };
  return {
    server,
    dir,
    configFile,
    dbFile: path.join(dir, 'data', 'ogrt.db'),
    logs,
    // A wildcard bind (0.0.0.0, [::]) is reached through loopback.
    url: (server.dashboard?.url ?? '').replace(/\/\/(0\.0\.0\.0|\[::\]):/, '//127.0.0.1:'),
    send: (records) => sendTcp(host, port, records),
    waitStored: (n, timeoutMs = 5_000) =>
      waitFor(() => server.metrics.value('component_sent_events_total', { component_kind: 'output', component_id: 'store' }) >= n, timeoutMs, `${n} stored records`),
    stop,
    close: async () => {
      await stop();
      await removeDir(dir);
    },
  };
}

function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i).replace(/^\[|\]$/g, ''), Number(address.slice(i + 1))];
}

export function sendTcp(host: string, port: number, records: readonly OgrtRecord[]): Promise<void> {
  const frames = frameOctetCounted(records.flatMap((r) => encodeRecord(r)));
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port }, () => socket.end(frames));
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
}

/** GET `path` from the dashboard; JSON body and status. */
export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (Prometheus text, HTML)
  }
  return { status: res.status, body, headers: res.headers };
}

/**
 * Wraps a suite hook so that its failure is printed: uvu counts the suite's
 * tests as not passed but shows no message for an error in before().
 */
export function loudly(hook: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await hook();
    } catch (err) {
      process.stderr.write(`suite setup failed: ${(err as Error)?.stack ?? String(err)}\n`);
      throw err;
    }
  };
}
