/**
 * Test helper: a private rsyslogd (Debian's /usr/sbin/rsyslogd) running the
 * snippets of deploy/rsyslog/ exactly as shipped, with only the socket path,
 * host and ports replaced. Never the system's: foreground (-n), its own
 * config, pid file, work directory (disk queues) and sockets, all in a temp
 * directory. The wrapper config stands in for the distribution's
 * rsyslog.conf: it sets workDirectory and loads imuxsock without /dev/log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OgrtRecord } from '../../src/core/plugin-api.ts';
import { builtinRegistry } from '../../src/core/builtin-plugins.ts';
import { startServer, type RunningServer } from '../../src/core/server.ts';
import syslogInput from '../../plugins/input-syslog/index.ts';
import fileOutput from '../../plugins/output-file/index.ts';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const RSYSLOGD = process.env.OGRT_RSYSLOGD ?? '/usr/sbin/rsyslogd';

/** Placeholders as they appear in the deploy/ snippets. */
export const DEPLOY_SOCKET = '/run/ogrt/ogrt.sock';
export const DEPLOY_SERVER_HOST = 'ogrt-server.example.org';

/**
 * Replaces each `from` with `to`; throws unless `from` occurs exactly `count`
 * times (default 1), so a snippet that drifts from what the test expects
 * fails loudly instead of testing something else.
 */
export function substitute(text: string, pairs: readonly (readonly [string, string, number?])[], file: string): string {
  for (const [from, to, count = 1] of pairs) {
    const n = text.split(from).length - 1;
    if (n !== count) throw new Error(`${file}: expected ${count} occurrence(s) of ${JSON.stringify(from)}, found ${n}`);
    text = text.split(from).join(to);
  }
  return text;
}

export { freePort } from './ports.ts';

/** Polls `cond` every `everyMs` until it is truthy or `timeoutMs` passes (then throws `what`). */
export async function waitFor<T>(cond: () => T | Promise<T>, what: string, timeoutMs = 10_000, everyMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface Rsyslog {
  readonly dir: string;
  /** imuxsock socket (forward snippet), if any. */
  readonly socketPath: string | undefined;
  /** imtcp port (relay snippet), if any. */
  readonly listenPort: number | undefined;
  /** rsyslogd's stderr so far (config errors, "cannot connect" ...). */
  output(): string;
  /**
   * With `stats: true`: the latest impstats counters by name, e.g.
   * stats().get('ogrt-forward queue')?.enqueued; empty before the first
   * interval (1 s) or without stats.
   */
  stats(): Map<string, Record<string, unknown>>;
  /** SIGTERM and wait for exit; disk queues are saved (queue.saveOnShutdown). */
  stop(): Promise<void>;
}

export interface RsyslogOptions {
  /** Temp directory to run in (created if missing). */
  readonly dir: string;
  /** Where ogrt-server listens (the omfwd target). */
  readonly serverPort: number;
  readonly serverHost?: string;
  /** Load impstats (every second, JSON, to <dir>/stats.log): what the tests cannot see otherwise. */
  readonly stats?: boolean;
}

function statsFile(dir: string): string {
  return path.join(dir, 'stats.log');
}

function wrapperConfig(dir: string, snippetPath: string, loadImuxsock: boolean, stats = false): string {
  const work = path.join(dir, 'work');
  mkdirSync(work, { recursive: true });
  return [
    `global(workDirectory="${work}")`,
    stats ? `module(load="impstats" interval="1" format="json" log.syslog="off" log.file="${statsFile(dir)}")` : '',
    // What Debian's rsyslog.conf does, minus /dev/log (never touch the system's socket).
    loadImuxsock ? 'module(load="imuxsock" SysSock.Use="off")' : '',
    `include(file="${snippetPath}")`,
    '',
  ].join('\n');
}

function launch(dir: string, confPath: string, socketPath: string | undefined, listenPort: number | undefined): Rsyslog {
  const pidFile = path.join(dir, 'rsyslogd.pid');
  const child: ChildProcess = spawn(RSYSLOGD, ['-n', '-f', confPath, '-i', pidFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    dir,
    socketPath,
    listenPort,
    output: () => out,
    stats: () => readStats(statsFile(dir)),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** impstats lines `<date>: {"name": …, …}`; later lines of a name replace earlier ones. */
function readStats(file: string): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const brace = line.indexOf('{');
    if (brace === -1 || !line.endsWith('}')) continue;
    try {
      const v = JSON.parse(line.slice(brace)) as Record<string, unknown>;
      if (typeof v.name === 'string') out.set(v.name, v);
    } catch {
      // a line being written
    }
  }
  return out;
}

/** Fails fast with rsyslogd's own words when it exits during startup. */
async function ready(r: Rsyslog, cond: () => boolean | Promise<boolean>, what: string, pidFile: string): Promise<void> {
  try {
    await waitFor(async () => (await cond()) && existsSync(pidFile), what, 10_000);
  } catch (err) {
    await r.stop();
    throw new Error(`${(err as Error).message}; rsyslogd said:\n${r.output()}`);
  }
}

/**
 * rsyslogd with deploy/rsyslog/ogrt-forward.conf: imuxsock on `<dir>/ogrt.sock`,
 * forwarding to 127.0.0.1:serverPort. Ready once the socket exists.
 */
export async function startForwardNode(opts: RsyslogOptions): Promise<Rsyslog> {
  mkdirSync(opts.dir, { recursive: true });
  const socketPath = path.join(opts.dir, 'ogrt.sock');
  const file = path.join(REPO, 'deploy/rsyslog/ogrt-forward.conf');
  const snippet = substitute(
    readFileSync(file, 'utf8'),
    [
      [`socket="${DEPLOY_SOCKET}"`, `socket="${socketPath}"`],
      [`target="${DEPLOY_SERVER_HOST}" port="5514"`, `target="${opts.serverHost ?? '127.0.0.1'}" port="${opts.serverPort}"`],
    ],
    file,
  );
  const snippetPath = path.join(opts.dir, 'ogrt-forward.conf');
  writeFileSync(snippetPath, snippet);
  const confPath = path.join(opts.dir, 'rsyslog.conf');
  writeFileSync(confPath, wrapperConfig(opts.dir, snippetPath, true, opts.stats));
  const r = launch(opts.dir, confPath, socketPath, undefined);
  await ready(r, () => existsSync(socketPath), `rsyslogd socket ${socketPath}`, path.join(opts.dir, 'rsyslogd.pid'));
  return r;
}

/** True once 127.0.0.1:port accepts a TCP connection. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * rsyslogd with deploy/rsyslog/ogrt-relay.conf: imtcp on 127.0.0.1:listenPort,
 * forwarding to 127.0.0.1:serverPort. Ready once the port accepts connections.
 */
export async function startRelay(opts: RsyslogOptions & { readonly listenPort: number }): Promise<Rsyslog> {
  mkdirSync(opts.dir, { recursive: true });
  const file = path.join(REPO, 'deploy/rsyslog/ogrt-relay.conf');
  const snippet = substitute(
    readFileSync(file, 'utf8'),
    [
      // Bind the relay to loopback only in tests (the shipped snippet listens on every address).
      ['input(type="imtcp" port="5514"', `input(type="imtcp" address="127.0.0.1" port="${opts.listenPort}"`],
      [`target="${DEPLOY_SERVER_HOST}" port="5514"`, `target="${opts.serverHost ?? '127.0.0.1'}" port="${opts.serverPort}"`],
    ],
    file,
  );
  const snippetPath = path.join(opts.dir, 'ogrt-relay.conf');
  writeFileSync(snippetPath, snippet);
  const confPath = path.join(opts.dir, 'rsyslog.conf');
  writeFileSync(confPath, wrapperConfig(opts.dir, snippetPath, false));
  const r = launch(opts.dir, confPath, undefined, opts.listenPort);
  await ready(r, () => canConnect(opts.listenPort), `rsyslogd relay port ${opts.listenPort}`, path.join(opts.dir, 'rsyslogd.pid'));
  return r;
}

// ---- ogrt-server for the relay tests: input-syslog → output-file (JSON Lines) ----

export interface OgrtServer {
  readonly port: number;
  /** Every record in the output file so far (complete lines only). */
  records(): OgrtRecord[];
  stop(): Promise<void>;
  readonly running: RunningServer;
}

export interface OgrtServerOptions {
  readonly dir: string;
  readonly port: number;
  /** Extra lines for the `[inputs.relay]` table, e.g. `non_ogrt = "pass"`. */
  readonly inputLines?: readonly string[];
}

/** ogrt-server in this process with `[inputs.relay] type = "syslog"` on 127.0.0.1:port and a file output. */
export async function startOgrtServer(opts: OgrtServerOptions): Promise<OgrtServer> {
  mkdirSync(opts.dir, { recursive: true });
  const configPath = path.join(opts.dir, 'ogrt.conf');
  const outFile = path.join(opts.dir, 'records.jsonl');
  writeFileSync(
    configPath,
    [
      '[server]',
      'log_level = "error"',
      '',
      '[inputs.relay]',
      'type = "syslog"',
      `listen = "127.0.0.1:${opts.port}"`,
      ...(opts.inputLines ?? []),
      '',
      '[outputs.file]',
      'type = "file"',
      'path = "records.jsonl"',
      'fsync = "none"',
      'batch = { timeout_ms = 20 }',
      '',
    ].join('\n'),
  );
  const registry = builtinRegistry();
  for (const p of [syslogInput, fileOutput]) if (!registry.types(p.kind).includes(p.type)) registry.register(p);
  const running = await startServer({ configPath, registry });
  return {
    port: opts.port,
    running,
    records: () => readJsonLines(outFile),
    stop: async () => {
      await running.stop('test');
    },
  };
}

export function readJsonLines(file: string): OgrtRecord[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const end = text.lastIndexOf('\n');
  if (end === -1) return [];
  return text
    .slice(0, end)
    .split('\n')
    .map((l) => JSON.parse(l) as OgrtRecord);
}

// ---- real programs under libogrt.so ----

export const LIBOGRT = process.env.OGRT_LIBOGRT ?? path.join(REPO, 'preload/build/libogrt.so');

/**
 * Environment for a program traced by libogrt.so, sending to `socketPath`.
 * OGRT_TIMEOUT_MS is raised from its 20 ms default: the tests count every
 * record, and on a loaded CI machine a busy syslog daemon with the kernel's
 * default socket queue (net.unix.max_dgram_qlen = 10) can take longer than
 * 20 ms to make room, after which the library would give the record up.
 */
export function tracedEnv(socketPath: string, extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env, LD_PRELOAD: LIBOGRT, OGRT_ACTIVE: '1', OGRT_TRANSPORT: `unix://${socketPath}`, OGRT_TIMEOUT_MS: '5000',
    SLURM_JOB_ID: '4711', ...extra,
  };
}

/**
 * Runs `/bin/true <tag>-<i>` for i in [0, count) under libogrt.so, in
 * `workers` shell loops at once (only /bin/true is preloaded, not the
 * shells). Resolves when every program has exited. Each record is then
 * found by its cmdline, `/bin/true <tag>-<i>`.
 */
export async function runTracedPrograms(socketPath: string, tag: string, count: number, workers = 4): Promise<void> {
  const per = Math.ceil(count / workers);
  const loops: Promise<void>[] = [];
  for (let w = 0; w < workers; w++) {
    const from = w * per;
    const to = Math.min(count, from + per);
    if (from >= to) break;
    const script = `i=${from}; while [ $i -lt ${to} ]; do LD_PRELOAD="$LIB" /bin/true "${tag}-$i" || exit 1; i=$((i+1)); done`;
    const env = tracedEnv(socketPath, { LIB: LIBOGRT });
    delete env.LD_PRELOAD;
    loops.push(
      new Promise((resolve, reject) => {
        const child = spawn('/bin/sh', ['-c', script], { env, stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`program loop exited ${code}: ${err}`))));
      }),
    );
  }
  await Promise.all(loops);
}

/**
 * Runs `/bin/true ARGS...` (or `program ARGS...`) under libogrt.so through a shell that first runs
 * `prelude` (e.g. sets variables Node.js cannot: bytes that are not UTF-8) and
 * then execs it, so the traced process keeps the shell's pid. Resolves with
 * that pid once it exited.
 */
export function runTracedTrue(
  socketPath: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  prelude = '',
  program = '/bin/true',
): Promise<number> {
  const base = tracedEnv(socketPath, { LIB: LIBOGRT, PROGRAM: program, ...env });
  delete base.LD_PRELOAD;
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', `${prelude} LD_PRELOAD="$LIB" exec "$PROGRAM" "$@"`, 'sh', ...args], { env: base, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(child.pid!) : reject(new Error(`traced program exited ${code}`))));
  });
}

/** Records of `/bin/true <tag>-<i>` programs, by i; undefined until all `count` are there. */
export function tracedByIndex(records: readonly OgrtRecord[], tag: string, count: number): Map<number, OgrtRecord[]> | undefined {
  const re = new RegExp(`^/bin/true ${tag}-(\\d+)$`);
  const out = new Map<number, OgrtRecord[]>();
  for (const r of records) {
    const m = r.kind === 'process' && r.cmdline !== undefined ? re.exec(r.cmdline) : null;
    if (m === null) continue;
    const i = Number(m[1]);
    const list = out.get(i);
    if (list === undefined) out.set(i, [r]);
    else list.push(r);
  }
  return out.size === count ? out : undefined;
}
