/**
 * output-elasticsearch: OGRT records into Elasticsearch or OpenSearch via
 * _bulk, one request per core batch, idempotent by `_id` = record uuid.
 * See README.md for the options, the index template and the queries.
 */
import { definePlugin, OgrtError, PLUGIN_API_VERSION } from '../../src/core/plugin-api.ts';
import { ConfigProblem, OptionsSchema, resolveConfig } from './config.ts';
import { ElasticsearchOutput } from './output.ts';

export default definePlugin({
  apiVersion: PLUGIN_API_VERSION,
  kind: 'output',
  type: 'elasticsearch',
  description: 'Elasticsearch / OpenSearch: bulk indexing with index templates, idempotent document ids, optional ECS field names',
  options: OptionsSchema,
  create(ctx, options) {
    try {
      return new ElasticsearchOutput(ctx, resolveConfig(options, ctx.configDir));
    } catch (err) {
      if (err instanceof ConfigProblem) throw new OgrtError('OGRT_ERR_CONFIG_INVALID', [`outputs.${ctx.id}`, err.message]);
      throw err;
    }
  },
});
