/**
 * `npm run bench`: ogrt-server side by side with rsyslog and syslog-ng on the
 * same saved stream (ingest.ts), memory under a stalled output (stall.ts),
 * preload overhead (bench/preload.ts) and stores (stores.ts, then
 * bench/es-output.ts, bench/buffer.ts, bench/sqlite.bench.ts). Prints
 * Markdown tables with medians and ratios to rsyslog, and checks the
 * targets of issue #9. Not part of `npm test`. See docs/benchmarks.md
 * ("Method") and USAGE below.
 */
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { RECEIVER_LABELS, RECEIVERS, runIngest, type IngestRun, type ReceiverKind } from './ingest.ts';
import { runStall, type StallResult, type WhenFull } from './stall.ts';
import { formatProfile, summarizeProfile } from './profile.ts';
import { loadAverage, machine } from './proc.ts';
import { ensureStream, loadStream, readMeta, REPO, type Framing } from './workload.ts';
import { serverCommand, type ServerBuild, type ServerCommand } from './peers/ogrt.ts';
import { rsyslogVersion } from './peers/rsyslog.ts';
import { syslogNgVersion } from './peers/syslog-ng.ts';
import { fmt, ingestTables, stallTable, storesTable, targetLines } from './report.ts';
import { runStore, type StoreRun } from './stores.ts';
import { FakeElasticsearch } from '../test/fakes/elasticsearch-server.ts';

/** Records per stores run (the fake store keeps every document in memory). */
const STORE_RECORDS = 50_000;

const USAGE = `npm run bench -- [options]
  --only LIST          sections, comma-separated: ingest, stall, preload, stores (default: all)
                       stores: ogrt-server → output-elasticsearch → fake store by batch size, memory and disk
                       buffer (min(N, 50000) records), then bench/es-output.ts, bench/buffer.ts, bench/sqlite.bench.ts
  --quick              N = 20000, 1 run, 10 s stall, 40/10 preload rounds, 20000 records into Elasticsearch: a smoke run
  --n N                records in the stream (default 200000)
  --runs R             runs per receiver; the tables show medians (default 3)
  --receivers LIST     ${RECEIVERS.join(', ')} (default: all)
  --connections C      concurrent sender connections (default 1)
  --framing F          octet (RFC 6587 octet counting, default) or lf
  --stream FILE        replay this saved stream (made by bench/workload.ts) instead of generating one
  --seed S             workload seed (default 1)
  --stall-seconds S    flood duration of the stall test (default 60)
  --server B           ogrt-server build: auto (default), dist, bundle, tsx (see bench/peers/ogrt.ts)
  --profile            one extra, unmeasured run of each ogrt-server receiver (input-tcp, input-syslog) under --cpu-prof; prints the hot spots
  --node-args ARGS     extra node options for ogrt-server, e.g. "--max-old-space-size=96" (experiments; say so in reports)
  --output-options T   more TOML lines for ogrt-server's [outputs.file], ';' between lines, e.g. "buffer.max_events = 1000" (experiments)
  --keep               keep each run's temp directory (configs, outputs, server.log)
  --json FILE          also write every result as JSON
`;

interface Options {
  only: Set<string>;
  n: number;
  runs: number;
  receivers: ReceiverKind[];
  connections: number;
  framing: Framing;
  stream?: string;
  seed: number;
  stallSeconds: number;
  server: ServerBuild;
  profile: boolean;
  quick: boolean;
  keep: boolean;
  nodeArgs: string[];
  outputOptions: string;
  json?: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    only: new Set(['ingest', 'stall', 'preload', 'stores']),
    n: 200_000, runs: 3, receivers: [...RECEIVERS], connections: 1, framing: 'octet', seed: 1,
    stallSeconds: 60, server: 'auto', profile: false, quick: false, keep: false, nodeArgs: [], outputOptions: '',
  };
  const num = (name: string, v: string | undefined): number => {
    const x = Number(v);
    if (!Number.isInteger(x) || x <= 0) throw new Error(`--${name} needs a positive integer, got ${v}`);
    return x;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (a === '--quick') {
      o.n = 20_000;
      o.runs = 1;
      o.stallSeconds = 10;
      o.quick = true;
    } else if (a === '--only') o.only = new Set(v().split(','));
    else if (a === '--n') o.n = num('n', v());
    else if (a === '--runs') o.runs = num('runs', v());
    else if (a === '--receivers') o.receivers = v().split(',') as ReceiverKind[];
    else if (a === '--connections') o.connections = num('connections', v());
    else if (a === '--framing') o.framing = v() as Framing;
    else if (a === '--stream') o.stream = path.resolve(v());
    else if (a === '--seed') o.seed = num('seed', v());
    else if (a === '--stall-seconds') o.stallSeconds = num('stall-seconds', v());
    else if (a === '--server') o.server = v() as ServerBuild;
    else if (a === '--profile') o.profile = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--output-options') o.outputOptions = v().split(';').map((x) => x.trim()).join('\n');
    else if (a === '--node-args') o.nodeArgs = v().split(/\s+/).filter((x) => x !== '');
    else if (a === '--json') o.json = path.resolve(v());
    else throw new Error(`unknown option ${a}\n\n${USAGE}`);
  }
  for (const s of o.only) if (!['ingest', 'stall', 'preload', 'stores'].includes(s)) throw new Error(`--only: unknown section ${s}`);
  for (const r of o.receivers) if (!(RECEIVERS as readonly string[]).includes(r)) throw new Error(`--receivers: unknown receiver ${r}`);
  if (o.framing !== 'octet' && o.framing !== 'lf') throw new Error('--framing is octet or lf');
  if (!['auto', 'dist', 'bundle', 'tsx'].includes(o.server)) throw new Error('--server is auto, dist, bundle or tsx');
  return o;
}

const log = (s: string): void => void process.stderr.write(`${s}\n`);

function header(opts: Options, server: ServerCommand | undefined): string {
  const m = machine();
  const versions = [`node ${m.node}`];
  try {
    versions.push(`rsyslog ${rsyslogVersion()}`);
  } catch {
    versions.push('rsyslog: not found');
  }
  try {
    versions.push(`syslog-ng ${syslogNgVersion().version}`);
  } catch {
    versions.push('syslog-ng: not available');
  }
  return [
    `command: npm run bench -- ${process.argv.slice(2).map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`.trimEnd(),
    `machine: ${m.cpus} CPUs (${m.model}), ${m.memoryGiB} GiB, Linux ${m.kernel}; load average at start ${loadAverage()}`,
    `versions: ${versions.join(', ')}`,
    server === undefined ? '' : `ogrt-server build: ${server.build} (${server.args[server.args.length - 1]})`,
    `date: ${new Date().toISOString()}`,
  ].filter((l) => l !== '').join('\n');
}

async function ingest(opts: Options, server: ServerCommand): Promise<{ runs: IngestRun[]; profile?: string }> {
  const file = opts.stream ?? ensureStream(opts.n, opts.seed, opts.framing);
  const stream = loadStream(file);
  const meta = readMeta(file);
  log(`stream: ${file}: ${meta.messages} records, ${fmt(meta.bytes / 1e6, 1)} MB, ${Math.round(meta.messageBytes / meta.messages)} bytes per message, ${meta.framing} framing`);
  const runs: IngestRun[] = [];
  // Receivers take turns within each round, and each round starts with the next one, so a change
  // in the machine's load (or the page cache) hits all of them alike.
  for (let r = 1; r <= opts.runs; r++) {
    const k = opts.receivers.length;
    for (const kind of opts.receivers.map((_, i) => opts.receivers[(i + r - 1) % k])) {
      const run = await runIngest(kind, { stream, streamFile: file, connections: opts.connections, server, nodeArgs: opts.nodeArgs, outputOptions: opts.outputOptions, keep: opts.keep, log });
      runs.push(run);
      log(
        `run ${r}/${opts.runs} ${kind}: ${fmt(run.recordsPerSecond)} records/s, ${fmt(run.wallSeconds, 2)} s, ` +
          `${fmt(run.cpuSecondsPer100k, 2)} CPU-s/100k, peak RSS ${fmt(run.peakRssMiB)} MiB, load ${run.loadAverage}, ` +
          `verify: ${run.verify.ok ? 'ok' : `FAILED ${JSON.stringify({ ...run.verify, examples: run.verify.examples.slice(0, 2) })}`}`,
      );
    }
  }
  let profile: string | undefined;
  if (opts.profile) {
    // tsx keeps one source file per module, so the profile names src/ and plugins/ files.
    const tsx = await serverCommand('tsx');
    const parts: string[] = [];
    for (const kind of opts.receivers.filter((k) => k === 'ogrt-tcp' || k === 'ogrt-syslog')) {
      const dir = mkdtempSync(path.join(os.tmpdir(), `ogrt-bench-profile-${kind}-`));
      const nodeArgs = [...opts.nodeArgs, '--cpu-prof', `--cpu-prof-dir=${dir}`];
      const run = await runIngest(kind, { stream, streamFile: file, connections: opts.connections, server: tsx, outputOptions: opts.outputOptions, nodeArgs, log });
      // tsx's loader runs in a worker thread with a profile of its own: the main thread's is the big one.
      const prof = readdirSync(dir)
        .filter((f) => f.endsWith('.cpuprofile'))
        .sort((a, b) => statSync(path.join(dir, b)).size - statSync(path.join(dir, a)).size);
      if (prof.length === 0) throw new Error(`--profile: no .cpuprofile in ${dir}`);
      parts.push(
        `#### ${RECEIVER_LABELS[kind]}\n\nprofiled run (under --cpu-prof, through tsx; not in the medians): ${fmt(run.recordsPerSecond)} records/s, ` +
          `${fmt(run.cpuSecondsPer100k, 2)} CPU-s per 100k; profile ${path.join(dir, prof[0])}\n\n` +
          formatProfile(summarizeProfile(path.join(dir, prof[0]), 20)),
      );
    }
    profile = parts.join('\n\n');
  }
  return { runs, profile };
}

function runScript(script: string, args: string[]): boolean {
  const file = path.join(REPO, 'bench', script);
  if (!existsSync(file)) {
    console.log(`bench/${script} does not exist (yet): skipped.`);
    return false;
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...args], { stdio: 'inherit', cwd: REPO });
  if (r.status !== 0) console.log(`bench/${script} exited with ${r.status ?? r.signal}.`);
  return r.status === 0;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const needsServer = opts.only.has('ingest') || opts.only.has('stall') || opts.only.has('stores');
  const server = needsServer ? await serverCommand(opts.server) : undefined;
  console.log(header(opts, server));
  const results: Record<string, unknown> = { options: { ...opts, only: [...opts.only] }, machine: machine() };
  let failed = false;

  if (opts.only.has('ingest')) {
    const { runs, profile } = await ingest(opts, server!);
    results.ingest = runs;
    console.log(`\n## Ingest (${runs[0] === undefined ? 0 : opts.n} records, median of ${opts.runs})\n`);
    console.log(ingestTables(runs));
    console.log(`\n${targetLines(runs)}`);
    if (profile !== undefined) console.log(`\n### Profile\n\n${profile}`);
    failed ||= runs.some((r) => !r.verify.ok);
  }

  if (opts.only.has('stall')) {
    const file = opts.stream ?? ensureStream(opts.n, opts.seed, 'octet');
    const stream = loadStream(file);
    const stalls: StallResult[] = [];
    for (const whenFull of ['block', 'drop_newest'] as WhenFull[]) {
      log(`stall: when_full = ${whenFull}, flooding for ${opts.stallSeconds} s`);
      stalls.push(await runStall({ stream, server: server!, seconds: opts.stallSeconds, whenFull, nodeArgs: opts.nodeArgs }));
    }
    results.stall = stalls;
    console.log(`\n## Memory under stall (${opts.stallSeconds} s flood)\n`);
    console.log(stallTable(stalls));
  }

  if (opts.only.has('preload')) {
    console.log('\n## Preload overhead (bench/preload.ts)\n');
    runScript('preload.ts', opts.quick ? ['40', '10'] : []);
  }

  if (opts.only.has('stores')) {
    const n = Math.min(opts.n, STORE_RECORDS);
    const stream = loadStream(opts.stream ?? ensureStream(n, opts.seed, 'octet'));
    const es = await FakeElasticsearch.start({ keepBodies: false });
    const stores: StoreRun[] = [];
    try {
      for (let r = 1; r <= opts.runs; r++) {
        for (const buffer of ['memory', 'disk'] as const) {
          for (const batch of [100, 1000, 5000]) {
            const run = await runStore(es, { stream, server: server!, buffer, batch });
            stores.push(run);
            log(`stores run ${r}/${opts.runs} ${buffer} batch ${batch}: ${fmt(run.recordsPerSecond)} records/s, ${fmt(run.cpuSecondsPer100k, 2)} CPU-s/100k, peak RSS ${fmt(run.peakRssMiB)} MiB, ${run.ok ? 'ok' : 'NOT OK'}`);
          }
        }
      }
    } finally {
      await es.stop();
    }
    results.stores = stores;
    failed ||= stores.some((s) => !s.ok);
    console.log(`\n## Stores: ogrt-server → output-elasticsearch → the fake Elasticsearch (${fmt(stream.meta.messages)} records, median of ${opts.runs})\n`);
    console.log(storesTable(stores));
    console.log('\n### Elasticsearch output alone (bench/es-output.ts)\n');
    runScript('es-output.ts', opts.n < 50_000 ? [String(opts.n)] : []);
    console.log('\n### Buffers (bench/buffer.ts)\n');
    runScript('buffer.ts', opts.n < 50_000 ? [String(opts.n)] : []);
    console.log('\n### SQLite output (bench/sqlite.bench.ts)\n');
    runScript('sqlite.bench.ts', opts.n < 50_000 ? [String(opts.n)] : []);
  }

  if (opts.json !== undefined) writeFileSync(opts.json, JSON.stringify(results, null, 2) + '\n');
  if (failed) {
    console.log('\nVERIFICATION FAILED: at least one receiver lost, duplicated or changed records (see above).');
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
