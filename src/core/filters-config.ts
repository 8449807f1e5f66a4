/**
 * `[filters.NAME]` tables of ogrt.conf: the keys the core owns in them
 * (FilterSharedSchema: timeout_ms, inputs), their order, and the check that
 * `inputs` names existing inputs. The plugin's own keys are validated like
 * those of inputs and outputs (config.ts readInstance).
 *
 * Order: filters run in the order their tables appear in the file. Object
 * key order is not enough for that (JavaScript puts integer-like keys such
 * as `[filters.10]` first), so the order comes from the line of each table.
 */
import type { ComponentConfig } from './config.ts';
import type { ConfigProblems } from './config-errors.ts';
import { KeyLines } from './config-locate.ts';
import { FILTER_SHARED_KEYS, FilterSharedSchema, type FilterShared } from './config-schema.ts';
import { compileSchema } from './config-validate.ts';

export interface FilterSettings {
  readonly timeout_ms: number;
  /** Input names; undefined: every input. */
  readonly inputs?: readonly string[];
}

export interface FilterConfig extends ComponentConfig {
  readonly kind: 'filter';
  readonly settings: FilterSettings;
}

const validateFilterShared = compileSchema(FilterSharedSchema);

/** The core-owned keys of one `[filters.NAME]` table, validated; undefined (and problems added) when invalid. */
export function filterSettings(id: string, table: Record<string, unknown>, problems: ConfigProblems): FilterSettings | undefined {
  const raw: Record<string, unknown> = {};
  for (const key of FILTER_SHARED_KEYS) if (key in table) raw[key] = structuredClone(table[key]);
  if (!validateFilterShared(raw)) {
    problems.addAjv(validateFilterShared.errors, ['filters', id]);
    return undefined;
  }
  const shared = raw as FilterShared;
  return shared.inputs === undefined ? { timeout_ms: shared.timeout_ms } : { timeout_ms: shared.timeout_ms, inputs: shared.inputs };
}

/** Filters in file order; problems for `inputs` entries that name no input. */
export function finishFilters(
  filters: readonly FilterConfig[],
  inputIds: readonly string[],
  text: string,
  problems: ConfigProblems,
): FilterConfig[] {
  for (const f of filters) {
    f.settings.inputs?.forEach((name, n) => {
      if (!inputIds.includes(name)) {
        problems.add('OGRT_ERR_CONFIG_INVALID', ['filters', f.id, 'inputs', String(n)], [`no input named "${name}"; inputs: ${inputIds.join(', ') || '(none)'}`]);
      }
    });
  }
  const lines = new KeyLines(text);
  const position = new Map(filters.map((f, n) => [f, [lines.lineOf(['filters', f.id]) ?? Number.MAX_SAFE_INTEGER, n] as const]));
  return [...filters].sort((a, b) => {
    const [la, na] = position.get(a)!;
    const [lb, nb] = position.get(b)!;
    return la - lb || na - nb;
  });
}
