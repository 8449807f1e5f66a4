/**
 * Collects every problem found in one ogrt.conf and words them for humans:
 * `ogrt.conf:7: outputs.local.batch.max_events: must be >= 1 (got 0)`.
 * All problems are reported together (OGRT_ERR_CONFIG_ERRORS), never only
 * the first.
 */
import type { ErrorObject } from 'ajv';
import { OgrtError, type ErrorCode } from './errors.ts';
import { formatKeyPath, type KeyLines } from './config-locate.ts';
import { SECRET_KEYS } from './logger.ts';

export interface ConfigProblem {
  readonly code: ErrorCode;
  readonly file: string;
  readonly path: readonly string[];
  readonly line?: number;
  readonly message: string;
}

export class ConfigProblems {
  readonly list: OgrtError[] = [];

  constructor(readonly file: string, private readonly lines: KeyLines | undefined) {}

  /** `args` fill the code's template after the leading location. */
  add(code: ErrorCode, path: readonly string[], args: readonly unknown[], cause?: unknown): void {
    const line = this.lines?.lineOf(path);
    let where = line === undefined ? this.file : `${this.file}:${line}`;
    if (path.length > 0) where += `: ${formatKeyPath(path)}`;
    this.list.push(new OgrtError(code, [where, ...args], { cause, context: { file: this.file, key: formatKeyPath(path), line } }));
  }

  /** Ajv errors of one validation, relative to `base` (the TOML path of the validated value). */
  addAjv(errors: readonly ErrorObject[] | null | undefined, base: readonly string[], extraAllowed: readonly string[] = []): void {
    for (const p of describeAjvErrors(errors ?? [], extraAllowed)) {
      const path = [...base, ...p.path];
      if (p.unknownKey) this.add('OGRT_ERR_CONFIG_UNKNOWN_KEY', path, [p.what]);
      else this.add('OGRT_ERR_CONFIG_INVALID', path, [p.what]);
    }
  }

  get count(): number {
    return this.list.length;
  }

  /** Throws OGRT_ERR_CONFIG_ERRORS listing every problem, if there is any. */
  throwIfAny(): void {
    if (this.list.length === 0) return;
    // In file order; problems without a line (none known) last.
    const lineOf = (e: OgrtError): number => (typeof e.context.line === 'number' ? e.context.line : Number.MAX_SAFE_INTEGER);
    this.list.sort((a, b) => lineOf(a) - lineOf(b));
    const text = this.list.map((e) => `  ${e.message} (${e.code})`).join('\n');
    throw new OgrtError('OGRT_ERR_CONFIG_ERRORS', [this.file, this.list.length, text], {
      context: { file: this.file, errors: this.list },
    });
  }
}

interface Described {
  path: string[];
  what: string;
  unknownKey: boolean;
}

export function describeAjvErrors(errors: readonly ErrorObject[], extraAllowed: readonly string[]): Described[] {
  const out: Described[] = [];
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  for (const e of errors) {
    if (e.keyword === 'if' || e.keyword === 'not') continue;
    // Errors of the branches of a union are summarised by the union's own error.
    if (unions.some((u) => u !== e && e.schemaPath.startsWith(u.schemaPath + '/') && e.instancePath === u.instancePath)) continue;
    const path = pointerToPath(e.instancePath);
    const got = describeValue(e.data, path);
    const p = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'additionalProperties': {
        const allowed = [...propertyNames(e.parentSchema), ...(path.length === 0 ? extraAllowed : [])];
        out.push({ path: [...path, String(p.additionalProperty)], what: allowed.length > 0 ? allowed.join(', ') : '(none)', unknownKey: true });
        break;
      }
      case 'required':
        out.push({ path: [...path, String(p.missingProperty)], what: 'missing required key', unknownKey: false });
        break;
      case 'type':
        out.push({ path, what: `must be ${typeName(String(p.type))} (got ${got})`, unknownKey: false });
        break;
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        out.push({ path, what: `must be ${String(p.comparison)} ${String(p.limit)} (got ${got})`, unknownKey: false });
        break;
      case 'enum':
        out.push({ path, what: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')} (got ${got})`, unknownKey: false });
        break;
      case 'const':
        out.push({ path, what: `must be ${JSON.stringify(p.allowedValue)} (got ${got})`, unknownKey: false });
        break;
      case 'minLength':
        out.push({ path, what: p.limit === 1 ? 'must not be empty' : `must be at least ${String(p.limit)} characters long`, unknownKey: false });
        break;
      case 'anyOf':
      case 'oneOf':
        out.push({ path, what: `must be one of: ${describeBranches(e.schema)} (got ${got})`, unknownKey: false });
        break;
      default:
        out.push({ path, what: `${e.message ?? 'is invalid'} (got ${got})`, unknownKey: false });
    }
  }
  return out;
}

function pointerToPath(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function propertyNames(schema: unknown): string[] {
  const props = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props === undefined ? [] : Object.keys(props);
}

function typeName(type: string): string {
  switch (type) {
    case 'integer':
      return 'an integer';
    case 'object':
      return 'a table';
    case 'array':
      return 'an array';
    default:
      return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
  }
}

function describeBranches(branches: unknown): string {
  if (!Array.isArray(branches)) return 'the allowed forms';
  return branches
    .map((b: Record<string, unknown>) => {
      if ('const' in b) return JSON.stringify(b.const);
      if (Array.isArray(b.enum)) return b.enum.map((v) => JSON.stringify(v)).join(', ');
      if (typeof b.type === 'string') return typeName(b.type);
      return 'a value of another form';
    })
    .join(', ');
}

/** The offending value, shortened; never the value of a secret-looking key. */
export function describeValue(value: unknown, path: readonly string[]): string {
  const last = path.length > 0 ? path[path.length - 1].toLowerCase() : '';
  if (SECRET_KEYS.some((k) => last.includes(k.toLowerCase()))) return 'a hidden value';
  if (value instanceof Date) return 'a date-time';
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'a table';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value);
  return String(value);
}
