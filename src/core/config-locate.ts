/**
 * Best-effort map from TOML key paths to source lines, so configuration
 * errors can say `ogrt.conf:12`. smol-toml gives positions only for syntax
 * errors; for a valid document we scan the text for table headers
 * (`[outputs.local]`), keys (`max_events = 5`, `batch.max_events = 5`) and
 * keys inside inline tables (`batch = { max_events = 5 }`).
 */

export class KeyLines {
  private readonly lines = new Map<string, number>();

  constructor(source: string) {
    scan(source, (path, line) => {
      for (let n = 1; n <= path.length; n++) {
        const key = pathKey(path.slice(0, n));
        if (!this.lines.has(key)) this.lines.set(key, line);
      }
    });
  }

  /** Line (1-based) of the key, or of its closest enclosing table that appears in the text. */
  lineOf(path: readonly string[]): number | undefined {
    for (let n = path.length; n > 0; n--) {
      const line = this.lines.get(pathKey(path.slice(0, n)));
      if (line !== undefined) return line;
    }
    return undefined;
  }
}

/** `outputs.local.batch`, quoting segments that are not bare TOML keys. */
export function formatKeyPath(path: readonly string[]): string {
  return path.map((k) => (/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k))).join('.');
}

function pathKey(path: readonly string[]): string {
  return path.join('\u0000');
}

type Visit = (path: string[], line: number) => void;

function scan(source: string, visit: Visit): void {
  const lines = source.split(/\r?\n/);
  let table: string[] = [];
  let inMultiline: '"""' | "'''" | null = null;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i];
    if (inMultiline !== null) {
      if (text.includes(inMultiline)) inMultiline = null;
      continue;
    }
    const header = /^\s*\[\[?(.*?)\]\]?\s*(#.*)?$/.exec(text);
    if (header !== null && !/^\s*\[\[?\s*$/.test(text)) {
      const key = parseKey(header[1], 0);
      if (key !== null && key.end === header[1].length) {
        table = key.segments;
        visit(table, i + 1);
      }
      continue;
    }
    const key = parseKey(text, 0);
    if (key === null || text[key.end] !== '=') continue;
    const path = [...table, ...key.segments];
    visit(path, i + 1);
    const rest = text.slice(key.end + 1);
    scanInline(rest, path, i + 1, visit);
    inMultiline = opensMultiline(rest);
  }
}

/** Keys inside `{ a = 1, b = { c = 2 } }` on one line. */
function scanInline(text: string, path: string[], line: number, visit: Visit): void {
  const stack: string[][] = [];
  let current = path;
  let pendingKey: string[] | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      i = skipString(text, i);
      continue;
    }
    if (c === '#') return;
    if (c === '{' || (c === ',' && stack.length > 0)) {
      if (c === '{') {
        stack.push(current);
        current = pendingKey ?? current;
      }
      const key = parseKey(text, i + 1);
      if (key !== null && text[key.end] === '=') {
        pendingKey = [...current, ...key.segments];
        visit(pendingKey, line);
        i = key.end;
      }
    } else if (c === '}') {
      current = stack.pop() ?? path;
      pendingKey = null;
    }
  }
}

function opensMultiline(value: string): '"""' | "'''" | null {
  for (const q of ['"""', "'''"] as const) {
    const at = value.indexOf(q);
    if (at >= 0 && value.indexOf(q, at + 3) < 0) return q;
  }
  return null;
}

function skipString(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') i++;
    else if (text[i] === quote) return i;
  }
  return text.length;
}

/** A (dotted) key at `start`, skipping spaces; `end` is the index after the key and trailing spaces. */
function parseKey(text: string, start: number): { segments: string[]; end: number } | null {
  const segments: string[] = [];
  let i = skipSpaces(text, start);
  for (;;) {
    const c = text[i];
    if (c === '"' || c === "'") {
      const close = skipString(text, i);
      if (close >= text.length) return null;
      const raw = text.slice(i, close + 1);
      segments.push(c === '"' ? safeJsonString(raw) : raw.slice(1, -1));
      i = close + 1;
    } else {
      const m = /^[A-Za-z0-9_-]+/.exec(text.slice(i));
      if (m === null) return null;
      segments.push(m[0]);
      i += m[0].length;
    }
    i = skipSpaces(text, i);
    if (text[i] !== '.') return { segments, end: i };
    i = skipSpaces(text, i + 1);
  }
}

function skipSpaces(text: string, i: number): number {
  while (text[i] === ' ' || text[i] === '\t') i++;
  return i;
}

function safeJsonString(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}
