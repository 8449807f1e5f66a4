/**
 * `ogrt-server query …`: the built-in queries from the command line, the
 * twins of the JSON API. The store is found through the configuration
 * (queries/open.ts), so `--config` is all an admin needs.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { OgrtError } from '../errors.ts';
import type { PluginRegistry } from '../registry.ts';
import { openQueryBackend } from './open.ts';
import { parseAffectedJobs, parseCensus, parseJobStory } from './params.ts';
import { formatAffectedJobs, formatCensus, formatJobStory } from './format.ts';
import type { QueryBackend } from './types.ts';

export const QUERY_USAGE = `Usage: ogrt-server query affected-jobs (--signature UUID | --library GLOB) [--from T] [--to T] [--limit N]
       ogrt-server query census [--from T] [--to T] [--limit N] [--sort runs|users|jobs]
       ogrt-server query job JOB_ID [--limit N]
  common options: [--config FILE] [--json]

Answers from the store of the configuration: the output named by
dashboard.query_backend, else the first output of type "sqlite".

  affected-jobs  jobs that ran an executable or loaded a library with this
                 signature, or loaded a library whose path matches GLOB
                 (* any characters, ? one, \\ escapes; a GLOB without "/"
                 matches the file name: 'libopenblas*.so*')
  census         top executables and libraries by runs, users or jobs
                 (--sort, default runs); executables outside
                 dashboard.system_prefixes are marked user-built
  job            every process of a job in start order, with its libraries

  --from, --to   time range: 2026-11-24, 2026-11-24T21:40:08Z, or a time ago:
                 90m, 24h, 7d, 2w (UTC unless an offset is given)
  --limit N      most rows (affected jobs, census entries per list, processes)
  --json         print the JSON the API returns (docs/api.md)
  -c, --config   configuration file (default ./ogrt.conf, /etc/ogrt/ogrt.conf)

Exit status: 0 answered (also when nothing matched), 1 the store or the
configuration failed, 2 a bad command line or query.
`;

export interface QueryCliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly registry: () => Promise<PluginRegistry>;
}

const COMMANDS = ['affected-jobs', 'census', 'job'] as const;

/** Runs `ogrt-server query ARGS`; returns the exit status. */
export async function runQueryCommand(argv: readonly string[], io: QueryCliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: {
        signature: { type: 'string' },
        library: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        limit: { type: 'string' },
        sort: { type: 'string' },
        config: { type: 'string', short: 'c' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    io.stderr(`ogrt-server query: ${(err as Error).message}\n\n${QUERY_USAGE}`);
    return 2;
  }
  const v = parsed.values;
  const [command, ...rest] = parsed.positionals;
  if (v.help === true) {
    io.stdout(QUERY_USAGE);
    return 0;
  }
  if (!(COMMANDS as readonly string[]).includes(command ?? '')) {
    io.stderr(`ogrt-server query: ${command === undefined ? 'which query?' : `unknown query "${command}"`} (${COMMANDS.join(', ')})\n\n${QUERY_USAGE}`);
    return 2;
  }
  const allowed = command === 'job' ? 1 : 0;
  if (rest.length !== allowed) {
    io.stderr(`ogrt-server query ${command}: ${command === 'job' ? 'give exactly one JOB_ID' : `unexpected argument "${rest[0]}"`}\n`);
    return 2;
  }
  const raw = { signature: v.signature, library: v.library, from: v.from, to: v.to, limit: v.limit, sort: v.sort };

  let run: (b: QueryBackend) => Promise<string>;
  try {
    if (command !== 'census' && v.sort !== undefined) throw new OgrtError('OGRT_ERR_QUERY_INVALID', ['--sort is for census only']);
    if (command === 'affected-jobs') {
      const q = parseAffectedJobs(raw);
      run = async (b) => output(await b.affectedJobs(q), v.json === true, formatAffectedJobs);
    } else if (command === 'census') {
      if (v.signature !== undefined || v.library !== undefined) throw new OgrtError('OGRT_ERR_QUERY_INVALID', ['census takes no --signature or --library']);
      const q = parseCensus(raw);
      run = async (b) => output(await b.census(q), v.json === true, formatCensus);
    } else {
      if (v.signature !== undefined || v.library !== undefined || v.from !== undefined || v.to !== undefined) {
        throw new OgrtError('OGRT_ERR_QUERY_INVALID', ['job takes only JOB_ID and --limit']);
      }
      const q = parseJobStory(rest[0], raw);
      run = async (b) => output(await b.jobStory(q), v.json === true, formatJobStory);
    }
  } catch (err) {
    io.stderr(`ogrt-server query: ${(err as Error).message}\n`);
    return 2;
  }

  let backend: QueryBackend | undefined;
  try {
    const config = await loadConfig({ configPath: v.config, registry: await io.registry() });
    const opened = await openQueryBackend(config);
    if (opened.backend === undefined) throw new OgrtError('OGRT_ERR_QUERY_NO_STORE', [`${'reason' in opened ? opened.reason : ''} (${config.source.file})`]);
    backend = opened.backend;
    io.stdout(await run(backend));
    return 0;
  } catch (err) {
    const code = err instanceof OgrtError ? ` (${err.code})` : '';
    io.stderr(`ogrt-server query: ${(err as Error)?.message ?? String(err)}${code}\n`);
    return err instanceof OgrtError && err.code === 'OGRT_ERR_QUERY_INVALID' ? 2 : 1;
  } finally {
    await backend?.close().catch(() => undefined);
  }
}

function output<T>(result: T, json: boolean, format: (r: T) => string): string {
  return json ? `${JSON.stringify(result, null, 2)}\n` : format(result);
}
