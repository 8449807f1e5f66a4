/**
 * ogrt-server as a benchmark receiver: the real command (`ogrt-server
 * --config FILE`) in its own process, like the peers.
 *
 * Which build runs (`--server`):
 *  - "dist": dist/cli.js, what `npm install` builds and sites run;
 *  - "bundle": what tsup.config.ts builds (src/core/cli.ts and the SQLite
 *    worker bundled by esbuild, the dashboard's files copied), into the
 *    private directory .tmp/bench/dist/, so a benchmark never races a build
 *    of dist/;
 *  - "tsx": the TypeScript sources through tsx (slower start, same code);
 *  - "auto" (default): dist/cli.js when it exists and is newer than every
 *    source file, else "bundle".
 */
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO, CACHE_DIR } from '../workload.ts';
import { launch, renderConfig, type Receiver, type ReceiverOptions } from './daemon.ts';

export type ServerBuild = 'auto' | 'dist' | 'bundle' | 'tsx';

export interface ServerCommand {
  readonly build: Exclude<ServerBuild, 'auto'>;
  /** Arguments for `node` before `--config FILE`. */
  readonly args: readonly string[];
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** What tsup.config.ts builds, into a private directory: the CLI, the SQLite query worker, the dashboard's files. */
async function bundle(): Promise<string> {
  const { build } = await import('esbuild');
  const outdir = path.join(CACHE_DIR, 'dist');
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  // Inside the repository, so the external packages resolve from its node_modules.
  await build({
    entryPoints: { cli: path.join(REPO, 'src/core/cli.ts'), 'sqlite-worker': path.join(REPO, 'src/core/queries/sqlite-worker.ts') },
    outdir,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'error',
  });
  cpSync(path.join(REPO, 'src/core/http/dashboard'), path.join(outdir, 'dashboard'), { recursive: true });
  return path.join(outdir, 'cli.js');
}

/** Resolves `--server` to a node command line (builds the private bundle if needed). */
export async function serverCommand(wanted: ServerBuild): Promise<ServerCommand> {
  const dist = path.join(REPO, 'dist/cli.js');
  if (wanted === 'dist' || wanted === 'auto') {
    const fresh = existsSync(dist) && statSync(dist).mtimeMs >= Math.max(newestMtime(path.join(REPO, 'src')), newestMtime(path.join(REPO, 'plugins')));
    if (wanted === 'dist') {
      if (!existsSync(dist)) throw new Error('--server dist: dist/cli.js does not exist (npm run build)');
      return { build: 'dist', args: [dist] };
    }
    if (fresh) return { build: 'dist', args: [dist] };
  }
  // By URL: the server runs in a temp directory, where a bare 'tsx' does not resolve.
  if (wanted === 'tsx') return { build: 'tsx', args: ['--import', import.meta.resolve('tsx'), path.join(REPO, 'src/core/cli.ts')] };
  return { build: 'bundle', args: [await bundle()] };
}

export interface OgrtOptions extends ReceiverOptions {
  readonly command: ServerCommand;
  /** Config template in bench/peers and its values (PORT, OUT and DATA are filled in). */
  readonly template: string;
  readonly values: Readonly<Record<string, string | number>>;
  readonly label: string;
  /** Extra node options, e.g. ['--cpu-prof', '--cpu-prof-dir=DIR']. */
  readonly nodeArgs?: readonly string[];
}

export async function startOgrt(opts: OgrtOptions): Promise<Receiver> {
  const outFile = path.join(opts.dir, 'out.jsonl');
  const conf = renderConfig(
    opts.template,
    { PORT: opts.port, OUT: outFile, DATA: path.join(opts.dir, 'data'), ...opts.values },
    path.join(opts.dir, 'ogrt.conf'),
  );
  return launch({
    label: opts.label,
    format: 'ogrt',
    command: process.execPath,
    // node [profiling options] [--import tsx] ENTRY --config FILE
    args: [...(opts.nodeArgs ?? []), ...opts.command.args, '--config', conf],
    cwd: opts.dir,
    port: opts.port,
    outFile,
    logFile: path.join(opts.dir, 'server.log'),
  });
}
