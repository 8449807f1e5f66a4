/**
 * Library path globs, one syntax for every store:
 *   *   any run of characters, `/` included
 *   ?   one character
 *   \x  the character x itself (so `\*` is a literal star)
 * Everything else is literal (no `[...]` classes: Elasticsearch wildcard
 * queries have none). A glob without `/` matches the file name anywhere:
 * `libopenblas*.so*` means `*\/libopenblas*.so*`.
 *
 * The pattern is parsed once into tokens and rendered for each store with
 * that store's escapes, so user input never becomes syntax by accident.
 */

type Token = { readonly kind: 'any' } | { readonly kind: 'one' } | { readonly kind: 'text'; readonly text: string };

export interface Glob {
  readonly source: string;
  /** No wildcard: an exact path (stores use an equality lookup). */
  readonly exact: string | undefined;
  readonly tokens: readonly Token[];
}

export const MAX_GLOB_LENGTH = 4096;

/** Throws Error with a message for the user on an empty, too long or dangling-escape pattern. */
export function parseGlob(source: string): Glob {
  if (source.length === 0) throw new Error('library pattern is empty');
  if (source.length > MAX_GLOB_LENGTH) throw new Error(`library pattern is longer than ${MAX_GLOB_LENGTH} characters`);
  const tokens: Token[] = [];
  let text = '';
  let sawSlash = false;
  const flush = (): void => {
    if (text !== '') tokens.push({ kind: 'text', text });
    text = '';
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      if (i + 1 === source.length) throw new Error('library pattern ends with a lone "\\"');
      text += source[++i];
      if (source[i] === '/') sawSlash = true;
    } else if (c === '*') {
      flush();
      if (tokens.at(-1)?.kind !== 'any') tokens.push({ kind: 'any' });
    } else if (c === '?') {
      flush();
      tokens.push({ kind: 'one' });
    } else {
      if (c === '/') sawSlash = true;
      text += c;
    }
  }
  flush();
  if (!sawSlash && tokens[0]?.kind !== 'any') tokens.unshift({ kind: 'any' }, { kind: 'text', text: '/' });
  const exact = tokens.length === 1 && tokens[0].kind === 'text' ? tokens[0].text : undefined;
  return Object.freeze({ source, exact, tokens: Object.freeze(tokens) });
}

/** SQLite GLOB pattern: literal `*`, `?` and `[` become one-character classes. */
export function toSqliteGlob(glob: Glob): string {
  let out = '';
  for (const t of glob.tokens) {
    if (t.kind === 'any') out += '*';
    else if (t.kind === 'one') out += '?';
    else out += t.text.replace(/[*?[]/g, (c) => `[${c}]`);
  }
  return out;
}

/** Elasticsearch/OpenSearch `wildcard` query value: `*`, `?` and `\` escaped with `\`. */
export function toEsWildcard(glob: Glob): string {
  let out = '';
  for (const t of glob.tokens) {
    if (t.kind === 'any') out += '*';
    else if (t.kind === 'one') out += '?';
    else out += t.text.replace(/[*?\\]/g, (c) => `\\${c}`);
  }
  return out;
}

/** An anchored RegExp with the same meaning (tests, fakes). `?` is one code point, like SQLite's and Elasticsearch's. */
export function toRegExp(glob: Glob): RegExp {
  let out = '^';
  for (const t of glob.tokens) {
    if (t.kind === 'any') out += '[\\s\\S]*';
    else if (t.kind === 'one') out += '[\\s\\S]';
    else out += t.text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`${out}$`, 'u');
}
