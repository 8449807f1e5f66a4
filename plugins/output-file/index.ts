/**
 * `type = "file"`: records as JSON Lines files, one record a line, in the
 * field names of docs/protocol.md §7. See README.md in this folder.
 */
import { definePlugin, OgrtError, PLUGIN_API_VERSION } from '../../src/core/plugin-api.ts';
import { FileOutputOptions, resolveSettings, type FileOutputSettings } from './config.ts';
import { FileOutput } from './output.ts';

export default definePlugin({
  apiVersion: PLUGIN_API_VERSION,
  kind: 'output',
  type: 'file',
  description: 'Append records as JSON Lines to files named by UTC date, with size rotation, fsync per batch and torn-tail repair.',
  options: FileOutputOptions,
  // Lines are the records' JSON: the core keeps the buffer as JSON bytes and send() copies them out.
  batchFormat: 'json',
  create(ctx, options) {
    let settings: FileOutputSettings;
    try {
      settings = resolveSettings(options, ctx.configDir);
    } catch (err) {
      throw new OgrtError('OGRT_ERR_CONFIG_INVALID', [`outputs.${ctx.id}`, (err as Error).message], { cause: err });
    }
    return new FileOutput(ctx, settings);
  },
});
