#!/usr/bin/env node
/**
 * ogrt-server: the command (bin, built to dist/cli.js). See USAGE in
 * cli-args.ts. Runs the server until SIGTERM/SIGINT; SIGHUP reopens outputs,
 * SIGUSR2 flushes them.
 */
import { parseCli, USAGE } from './cli-args.ts';
import { OGRT_VERSION } from './version.ts';
import { PLUGIN_API_VERSION } from './plugin-api.ts';
import { OgrtError } from './errors.ts';
import { loadConfig, type OgrtConfig } from './config.ts';
import { builtinRegistry } from './builtin-plugins.ts';
import { createLogger, errorFields, type ServerLogger } from './logger.ts';
import { startServer, type RunningServer } from './server.ts';
import { runQueryCommand } from './queries/cli.ts';

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

async function main(argv: readonly string[]): Promise<void> {
  if (argv[0] === 'query') {
    const io = { stdout: (t: string) => process.stdout.write(t), stderr: (t: string) => process.stderr.write(t), registry: async () => builtinRegistry() };
    process.exitCode = await runQueryCommand(argv.slice(1), io);
    return;
  }
  let cli;
  try {
    cli = parseCli(argv);
  } catch (err) {
    process.stderr.write(`ogrt-server: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(EXIT_USAGE);
  }
  if (cli.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (cli.version) {
    process.stdout.write(`ogrt-server ${OGRT_VERSION} (plugin API ${PLUGIN_API_VERSION})\n`);
    return;
  }

  const registry = builtinRegistry();
  if (cli.checkConfig) {
    try {
      const config = await loadConfig({ configPath: cli.config, registry });
      process.stdout.write(`ok: ${config.source.file}\n`);
      process.exit(EXIT_OK);
    } catch (err) {
      process.stderr.write(describeError(err));
      process.exit(EXIT_FAILURE);
    }
  }

  const logger = createLogger();
  let server: RunningServer | undefined;
  installCrashHandlers(logger, () => server);
  let config: OgrtConfig;
  try {
    config = await loadConfig({ configPath: cli.config, registry });
  } catch (err) {
    logFatal(logger, err, 'invalid configuration');
    process.exit(EXIT_FAILURE);
  }
  logger.level = config.server.log_level;

  try {
    server = await startServer({ config, registry, logger });
  } catch (err) {
    logFatal(logger, err, 'cannot start');
    process.exit(EXIT_FAILURE);
  }
  installSignalHandlers(server, logger);
}

function installSignalHandlers(server: RunningServer, logger: ServerLogger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal during shutdown: exiting now, without flushing');
      process.exit(EXIT_FAILURE);
    }
    stopping = true;
    server.stop(signal).then(
      () => process.exit(EXIT_OK),
      (err: unknown) => {
        logFatal(logger, err, 'shutdown failed');
        process.exit(EXIT_FAILURE);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => {
    logger.info({ signal: 'SIGHUP' }, 'reopening outputs');
    void server.reopen();
  });
  // SIGUSR1 belongs to Node's inspector.
  process.on('SIGUSR2', () => {
    logger.info({ signal: 'SIGUSR2' }, 'flushing outputs');
    void server.flush();
  });
}

/**
 * An error a plugin throws from its own timer or socket is contained (counted
 * and logged with the plugin's name); one from the server itself is fatal.
 */
function installCrashHandlers(logger: ServerLogger, running: () => RunningServer | undefined): void {
  process.on('uncaughtException', (err) => {
    if (running()?.containUncaught(err, 'uncaughtException')) return;
    logFatal(logger, err, 'uncaught exception');
    process.exit(EXIT_FAILURE);
  });
  process.on('unhandledRejection', (reason) => {
    if (running()?.containUncaught(reason, 'unhandledRejection')) return;
    logger.error(errorFields(reason), 'unhandled promise rejection');
  });
}

function logFatal(logger: ServerLogger, err: unknown, what: string): void {
  const errors = (err as OgrtError)?.context?.errors;
  const fields: Record<string, unknown> = { ...errorFields(err) };
  if (Array.isArray(errors)) fields.errors = errors.map((e: OgrtError) => ({ code: e.code, message: e.message }));
  logger.fatal(fields, `${what}: ${(err as Error)?.message ?? String(err)}`);
}

/** Plain text for --check-config: the message, and the TOML excerpt for syntax errors. */
function describeError(err: unknown): string {
  if (!(err instanceof OgrtError)) return `${(err as Error)?.stack ?? String(err)}\n`;
  // The aggregate lists each problem with its own code already.
  let text = err.code === 'OGRT_ERR_CONFIG_ERRORS' ? `${err.message}\n` : `${err.message} (${err.code})\n`;
  const codeblock = err.context.codeblock;
  if (typeof codeblock === 'string') text += `${codeblock.replace(/\n+$/, '')}\n`;
  return text;
}

void main(process.argv.slice(2));
