/**
 * The public API, published as 'ogrt': what a site plugin needs to define
 * itself. Everything here comes from src/core/plugin-api.ts, the plugins'
 * one door into the core.
 */
export {
  PLUGIN_API_VERSION,
  definePlugin,
  Type,
  OgrtError,
} from './core/plugin-api.ts';
export type {
  Batch,
  ComponentMetrics,
  ErrorCode,
  InputContext,
  InputInstance,
  InputPluginDefinition,
  Logger,
  MetricLabels,
  OgrtRecord,
  OutputContext,
  OutputInstance,
  OutputPluginDefinition,
  PluginContext,
  PluginDefinition,
  SendResult,
  Static,
  TSchema,
  RecordKind,
  SharedObject,
  LoadedModule,
  EnvironmentVariable,
  ReceiveInfo,
} from './core/plugin-api.ts';
