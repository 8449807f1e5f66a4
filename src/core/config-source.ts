/**
 * Which ogrt.conf is used: `--config FILE`, else ./ogrt.conf, else
 * /etc/ogrt/ogrt.conf, else the embedded default (src/core/config-default.ts).
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { OgrtError } from './errors.ts';
import { EMBEDDED_CONFIG, EMBEDDED_CONFIG_NAME } from './config-default.ts';

export const SYSTEM_CONFIG_PATH = '/etc/ogrt/ogrt.conf';

export interface ConfigSource {
  /** How messages name the file: the path as given, or "<embedded default>". */
  readonly file: string;
  /** Absolute path; undefined for the embedded default. */
  readonly path?: string;
  /** Relative paths in the config resolve against this directory. */
  readonly dir: string;
  readonly text: string;
}

export interface FindConfigOptions {
  /** `--config FILE`; when given it must exist. */
  configPath?: string;
  cwd?: string;
  /** Tests point this elsewhere; default /etc/ogrt/ogrt.conf. */
  systemPath?: string;
}

export function findConfig(options: FindConfigOptions = {}): ConfigSource {
  const cwd = options.cwd ?? process.cwd();
  if (options.configPath !== undefined) return readConfigFile(options.configPath, cwd);
  const local = path.join(cwd, 'ogrt.conf');
  if (existsSync(local)) return readConfigFile(local, cwd);
  const system = options.systemPath ?? SYSTEM_CONFIG_PATH;
  if (existsSync(system)) return readConfigFile(system, cwd);
  return { file: EMBEDDED_CONFIG_NAME, dir: cwd, text: EMBEDDED_CONFIG };
}

export function readConfigFile(file: string, cwd = process.cwd()): ConfigSource {
  const absolute = path.resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (err) {
    throw new OgrtError('OGRT_ERR_CONFIG_READ', [file, (err as Error).message], { cause: err, context: { file } });
  }
  return { file, path: absolute, dir: path.dirname(absolute), text };
}
