/**
 * `type = "sqlite"`: records into a local SQLite database (WAL mode), in
 * tables made for the built-in queries (affected jobs, census, job story).
 * The store that works out of the box; see README.md in this folder.
 */
import { definePlugin, OgrtError, PLUGIN_API_VERSION } from '../../src/core/plugin-api.ts';
import { SqliteOutputOptions, resolveSettings, type SqliteSettings } from './config.ts';
import { SqliteOutput } from './output.ts';

export default definePlugin({
  apiVersion: PLUGIN_API_VERSION,
  kind: 'output',
  type: 'sqlite',
  description: 'Store records in a local SQLite database (WAL, one transaction per batch, idempotent by uuid) with retention by age and size; the built-in queries read it.',
  options: SqliteOutputOptions,
  create(ctx, options) {
    let settings: SqliteSettings;
    try {
      settings = resolveSettings(options, ctx.configDir);
    } catch (err) {
      throw new OgrtError('OGRT_ERR_CONFIG_INVALID', [`outputs.${ctx.id}`, (err as Error).message], { cause: err });
    }
    return new SqliteOutput(ctx, settings);
  },
});

export { SqliteOutput } from './output.ts';
export { SCHEMA_VERSION } from './schema.ts';
