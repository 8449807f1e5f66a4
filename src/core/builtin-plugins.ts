/**
 * Plugins bundled with the server, registered by their `type`:
 *   plugins/input-tcp            → "tcp"
 *   plugins/input-syslog         → "syslog"
 *   plugins/output-file          → "file"
 *   plugins/output-elasticsearch → "elasticsearch"
 *   plugins/output-splunk        → "splunk"
 *   plugins/output-sqlite        → "sqlite"
 * An explicit list: add a plugin here (import its index.ts default export)
 * once its folder is complete.
 */
import type { PluginDefinition } from './plugin-api.ts';
import { PluginRegistry } from './registry.ts';
import inputTcp from '../../plugins/input-tcp/index.ts';
import inputSyslog from '../../plugins/input-syslog/index.ts';
import outputFile from '../../plugins/output-file/index.ts';
import outputElasticsearch from '../../plugins/output-elasticsearch/index.ts';
import outputSplunk from '../../plugins/output-splunk/index.ts';
import outputSqlite from '../../plugins/output-sqlite/index.ts';

export const BUILTIN_PLUGINS: readonly PluginDefinition[] = [inputTcp, inputSyslog, outputFile, outputElasticsearch, outputSplunk, outputSqlite];

/** A registry holding the built-ins (plus `extra`, e.g. test plugins). */
export function builtinRegistry(extra: readonly PluginDefinition[] = []): PluginRegistry {
  return new PluginRegistry([...BUILTIN_PLUGINS, ...extra]);
}
