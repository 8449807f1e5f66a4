/**
 * Options of `type = "file"` outputs (JSON Lines files) and their resolution
 * into what the writer needs.
 */
import path from 'node:path';
import { Type, type Static } from '../../src/core/plugin-api.ts';
import { compilePathPattern, PATH_PATTERN_REGEX, type PathPattern } from './path-pattern.ts';

export const FileOutputOptions = Type.Object(
  {
    path: Type.String({
      minLength: 1,
      pattern: PATH_PATTERN_REGEX,
      default: 'data/ogrt-%Y-%m-%d.jsonl',
      description:
        'File to append JSON Lines to; relative to the directory of ogrt.conf. Time fields of the current UTC time: %Y %m %d %H %j %%. A new file starts when the formatted path changes; missing directories are created.',
    }),
    max_size: Type.Integer({
      minimum: 0,
      default: 0,
      description:
        'Rotate when the file would grow past this many bytes: it is renamed to PATH.1 (then PATH.2, ...: higher numbers are newer) and a new PATH is started. A batch is never split, so one batch may exceed it. 0: no size rotation.',
    }),
    fsync: Type.Union([Type.Literal('batch'), Type.Literal('none')], {
      default: 'batch',
      description:
        '"batch": fdatasync after every batch before reporting it stored (survives a power loss); "none": leave it to the OS (survives a crash of ogrt-server, not of the machine).',
    }),
    mode: Type.String({
      pattern: '^0?[0-7]{3}$',
      default: '0640',
      description: 'Permissions (octal) of files this output creates; set exactly, regardless of the umask. Directories it creates get 0750.',
    }),
  },
  { additionalProperties: false },
);

export type FileOutputOptions = Static<typeof FileOutputOptions>;

export interface FileOutputSettings {
  /** Absolute path pattern. */
  readonly pattern: PathPattern;
  readonly patternText: string;
  readonly maxSize: number;
  readonly fsync: 'batch' | 'none';
  readonly mode: number;
}

/** Throws (with a message naming the key) on what the schema cannot check. */
export function resolveSettings(options: FileOutputOptions, configDir: string): FileOutputSettings {
  if (options.path.endsWith('/')) throw new Error(`path: "${options.path}" names a directory, not a file`);
  const patternText = path.resolve(configDir, options.path);
  let pattern: PathPattern;
  try {
    pattern = compilePathPattern(patternText);
  } catch (err) {
    throw new Error(`path: ${(err as Error).message}`);
  }
  return Object.freeze({
    pattern,
    patternText,
    maxSize: options.max_size,
    fsync: options.fsync,
    mode: parseInt(options.mode, 8),
  });
}
