/**
 * The one Ajv instance that checks ogrt.conf: every error at once, defaults
 * applied, and no type coercion (a TOML string "5" stays an error where an
 * integer is expected). Validators are compiled once per schema.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import type { PluginDefinition } from './plugin-api.ts';

const ajv = new Ajv({
  allErrors: true,
  useDefaults: true,
  coerceTypes: false,
  verbose: true,
  strict: false,
  // But a schema Ajv would only partly enforce (an unknown keyword or `format`)
  // is refused at load (OGRT_ERR_CONFIG_PLUGIN_LOAD) rather than half-checked.
  strictSchema: true,
  // Ajv's own warnings would be non-JSON lines on stderr.
  logger: false,
});

export function compileSchema(schema: TSchema | object): ValidateFunction {
  return ajv.compile(schema);
}

const byPlugin = new WeakMap<object, ValidateFunction>();

/**
 * Validator of a plugin's own options. A schema that leaves
 * `additionalProperties` unset is treated as closed: unknown keys in
 * ogrt.conf are always errors.
 */
export function pluginValidator(plugin: PluginDefinition): ValidateFunction {
  let validate = byPlugin.get(plugin.options);
  if (validate === undefined) {
    const schema = plugin.options as Record<string, unknown>;
    validate = compileSchema(schema.additionalProperties === undefined ? { ...schema, additionalProperties: false } : schema);
    byPlugin.set(plugin.options, validate);
  }
  return validate;
}
