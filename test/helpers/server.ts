/**
 * Starting ogrt-server in tests: in-process with test plugins
 * (startTestServer), or as a child process through the real CLI
 * (spawnServer / runCli).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PluginDefinition } from '../../src/core/plugin-api.ts';
import { PluginRegistry } from '../../src/core/registry.ts';
import { loadConfig, type OgrtConfig } from '../../src/core/config.ts';
import { startServer, type RunningServer } from '../../src/core/server.ts';
import { captureLogs, type CapturedLogs } from './logs.ts';
import { tempDir, removeDir, writeFiles } from './temp.ts';
import { waitFor } from './wait.ts';
import { fakeInputPlugin, fakeOutputPlugin, type Timeline } from './fake-plugins.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI_SOURCE = path.join(REPO_ROOT, 'src/core/cli.ts');
/** `--import` value that makes node run TypeScript sources, from any cwd. */
export const TSX_LOADER = import.meta.resolve('tsx');

export interface TestServer {
  readonly server: RunningServer;
  readonly config: OgrtConfig;
  readonly dir: string;
  readonly logs: CapturedLogs;
  /** Stops the server (if not stopped yet) and removes the temp dir. */
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Test plugins, available by their `type`. Built-ins are NOT included. */
  plugins: readonly PluginDefinition[];
  /** Extra files written into the config dir. */
  files?: Readonly<Record<string, string>>;
  /** Retry jitter source; default: always the middle of the range. */
  random?: () => number;
}

/** Writes `toml` as <tmp>/ogrt.conf, loads it with only the given plugins, starts the server. */
export async function startTestServer(toml: string, options: TestServerOptions): Promise<TestServer> {
  const dir = await tempDir('ogrt-server-');
  await writeFiles(dir, { 'ogrt.conf': toml, ...(options.files ?? {}) });
  const logs = captureLogs();
  try {
    const config = await loadConfig({ configPath: path.join(dir, 'ogrt.conf'), registry: new PluginRegistry(options.plugins) });
    const server = await startServer({ config, logger: logs.logger, random: options.random ?? (() => 0.5) });
    return {
      server,
      config,
      dir,
      logs,
      close: async () => {
        await server.stop('test done');
        await removeDir(dir);
      },
    };
  } catch (err) {
    await removeDir(dir);
    throw err;
  }
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<CliResult>;
  stdout(): string;
  stderr(): string;
  /** JSON log lines written to stderr so far (non-JSON lines skipped). */
  logLines(): Record<string, unknown>[];
  /** Waits for a log line matching `pred`. */
  waitForLog(pred: (line: Record<string, unknown>) => boolean, timeoutMs?: number, what?: string): Promise<Record<string, unknown>>;
}

/** Runs `node --import tsx src/core/cli.ts ...args` in `cwd`. */
export function spawnServer(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): ServerProcess {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, CLI_SOURCE, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...(options.env ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err }));
  });
  const logLines = (): Record<string, unknown>[] =>
    err.split('\n').flatMap((line) => {
      if (!line.startsWith('{')) return [];
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  return {
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    logLines,
    async waitForLog(pred, timeoutMs = 10_000, what = 'a log line') {
      let found: Record<string, unknown> | undefined;
      let gone = false;
      void exited.then(() => (gone = true));
      await waitFor(() => (found = logLines().find(pred)) !== undefined || gone, timeoutMs, what);
      if (found === undefined) throw new Error(`server exited before ${what}; stderr:\n${err}`);
      return found;
    },
  };
}

/** Runs the CLI to completion. */
export function runCli(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<CliResult> {
  return spawnServer(args, options).exited;
}

/** The lines of an output's dead-letter file under the test server's data_dir (none yet: []). */
export async function readDeadLetters(t: TestServer, id = 'out'): Promise<Record<string, unknown>[]> {
  const text = await readFile(path.join(t.dir, 'data/dead-letter', `${id}.jsonl`), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * Fake input "fake-in" and fake output "fake-out" sharing one timeline, plus
 * a starter. `batchFormat`: how the fake output takes batches ('json':
 * batch.json, see plugin-api.ts).
 */
export function fakeSetup(opts: { batchFormat?: 'records' | 'json' } = {}) {
  const timeline: Timeline = [];
  const input = fakeInputPlugin('fake-in', timeline);
  const output = fakeOutputPlugin('fake-out', timeline, opts.batchFormat);
  return {
    timeline,
    input,
    output,
    /** The fake output instance `id` (scriptable before the server starts). */
    out: output.instance,
    /** The fake input instance `id` (after start). */
    in: input.get,
    start: (toml: string, options: Omit<TestServerOptions, 'plugins'> = {}) =>
      startTestServer(toml, { plugins: [input.plugin, output.plugin], ...options }),
  };
}
