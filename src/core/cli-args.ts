/** Command line of ogrt-server: parsing and the --help text. */
import { parseArgs } from 'node:util';
import { OgrtError } from './errors.ts';

export interface CliOptions {
  readonly config?: string;
  readonly checkConfig: boolean;
  readonly version: boolean;
  readonly help: boolean;
}

export const USAGE = `Usage: ogrt-server [--config FILE] [--check-config]
       ogrt-server query affected-jobs|census|job ... (see ogrt-server query --help)
       ogrt-server --version | --help

Receives OGRT records (the programs and shared libraries run in HPC jobs) and
delivers them to the outputs configured in ogrt.conf.

Options:
  -c, --config FILE   configuration file; default ./ogrt.conf, else
                      /etc/ogrt/ogrt.conf, else the built-in default
      --check-config  validate the configuration (loading its plugins), print
                      "ok: FILE" or every error found, exit 0 or 1
  -v, --version       print the version and exit
  -h, --help          print this help and exit

Signals: SIGTERM or SIGINT stops gracefully, flushing every output within
server.shutdown_timeout_ms (a second signal exits at once); SIGHUP makes
outputs reopen their files (logrotate).
Logs are JSON lines on stderr. Exit status: 0 after a stop, 1 when the
configuration is invalid or an input cannot start, 2 on a bad command line.
Documentation: docs/configuration.md, docs/errors.md.
`;

/** Throws OGRT_ERR_CLI_USAGE on unknown options or stray arguments. */
export function parseCli(argv: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string', short: 'c' },
        'check-config': { type: 'boolean', default: false },
        version: { type: 'boolean', short: 'v', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new OgrtError('OGRT_ERR_CLI_USAGE', [(err as Error).message], { cause: err });
  }
  const v = parsed.values;
  if (v.config === '') throw new OgrtError('OGRT_ERR_CLI_USAGE', ['--config needs a file name']);
  return { config: v.config, checkConfig: v['check-config'] === true, version: v.version === true, help: v.help === true };
}
