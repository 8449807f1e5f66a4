// DOM building for the dashboard. Every value that came from a user's process
// (paths, command lines, environment, job ids, user names) is put into the page
// as a text node: there is no innerHTML here, and nothing else may use it.

/**
 * h('td', { class: 'num' }, 'text', childNode, ...) → an element.
 * Attributes are set with setAttribute (never event handlers: names starting
 * with "on" are refused); children are nodes or strings (→ text nodes);
 * null/undefined/false children are skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (/^on/i.test(name)) throw new Error(`refusing event handler attribute ${name}`);
    el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * A table: columns [{ title, value: row => string|number|Node, class? }].
 * Cells get their value as text (or the node the column builds).
 */
export function table(columns, rows, attrs = {}) {
  const head = h('thead', null, h('tr', null, columns.map((c) => h('th', { class: c.class, scope: 'col' }, c.title))));
  const body = h('tbody', null, rows.map((r) => h('tr', null, columns.map((c) => h('td', { class: c.class }, c.value(r))))));
  return h('table', attrs, head, body);
}

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function fmtInt(n) {
  return n === null || n === undefined ? '–' : integer.format(n);
}

export function fmtRate(n) {
  return n === null || n === undefined ? '–' : decimal.format(n);
}

export function fmtMs(n) {
  return n === null || n === undefined ? '–' : `${decimal.format(n)} ms`;
}

export function fmtBytes(n) {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${integer.format(v)} B` : `${decimal.format(v)} ${units[u]}`;
}

/** `2026-11-24T21:40:08.123456Z` → `2026-11-24 21:40:08 UTC`. */
export function fmtTime(iso) {
  return typeof iso === 'string' ? `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC` : '–';
}
