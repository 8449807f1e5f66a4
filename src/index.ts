/**
 * The public API, published as 'ogrt': what a site plugin needs to define
 * itself. Everything here comes from src/core/plugin-api.ts, the plugins'
 * one door into the core; docs/plugins.md is the guide.
 *
 * A plugin that cannot import 'ogrt' (a single file outside any npm
 * project) exports a function instead and receives these same values as
 * its argument (OgrtApi, see PluginFactory).
 *
 * `kit` is the input toolkit, also published on its own as 'ogrt/kit'
 * (src/kit.ts): codecs and ingest machinery for site-written inputs. It may
 * change in minor versions while PLUGIN_API_VERSION stays.
 */
export {
  PLUGIN_API_VERSION,
  PLUGIN_START_TIMEOUT_MS,
  HEALTH_INTERVAL_MS,
  HEALTH_TIMEOUT_MS,
  definePlugin,
  Type,
  OgrtError,
  RecordSchema,
  recordToJson,
  kit,
  ProblemLog,
  parseUtcPattern,
  formatUtcPattern,
  UTC_PATTERN_REGEX,
} from './core/plugin-api.ts';
export type {
  Batch,
  ComponentMetrics,
  ErrorCode,
  FilterContext,
  FilterInstance,
  FilterPluginDefinition,
  HealthStatus,
  InputContext,
  InputInstance,
  InputPluginDefinition,
  Logger,
  MetricLabels,
  OgrtApi,
  OgrtRecord,
  OutputContext,
  OutputInstance,
  OutputPluginDefinition,
  PluginContext,
  PluginDefinition,
  PluginFactory,
  PluginKind,
  SendResult,
  Static,
  TSchema,
  RecordKind,
  SharedObject,
  LoadedModule,
  EnvironmentVariable,
  ReceiveInfo,
  UtcPatternPart,
} from './core/plugin-api.ts';
