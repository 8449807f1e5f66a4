/**
 * output-splunk: OGRT records to Splunk's HTTP Event Collector, one POST per
 * core batch, HEC status codes read from the answer body. See README.md.
 */
import { definePlugin, OgrtError, PLUGIN_API_VERSION } from '../../src/core/plugin-api.ts';
import { ConfigProblem, OptionsSchema, resolveConfig } from './config.ts';
import { SplunkOutput } from './output.ts';

export default definePlugin({
  apiVersion: PLUGIN_API_VERSION,
  kind: 'output',
  type: 'splunk',
  description: 'Splunk HTTP Event Collector: batched events with microsecond time, token from env or file, optional indexer acknowledgement',
  options: OptionsSchema,
  create(ctx, options) {
    try {
      return new SplunkOutput(ctx, resolveConfig(options, ctx.configDir));
    } catch (err) {
      if (err instanceof ConfigProblem) throw new OgrtError('OGRT_ERR_CONFIG_INVALID', [`outputs.${ctx.id}`, err.message]);
      throw err;
    }
  },
});
