/**
 * The built-in plugins use only the public plugin API: a file under
 * plugins/<kind>-<name>/ may import its own folder's files, packages
 * (node:*, npm) and src/core/plugin-api.ts — nothing else of the server,
 * and nothing of another plugin. This keeps the API proven by use: what
 * the built-ins need, site plugins can have too.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../helpers/server.ts';

const PLUGINS = path.join(REPO_ROOT, 'plugins');
const PLUGIN_API = path.join(REPO_ROOT, 'src/core/plugin-api.ts');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) out.push(...sourceFiles(file));
    else if (/\.(c|m)?[jt]s$/.test(name)) out.push(file);
  }
  return out;
}

/** Every module specifier of a file: static imports and re-exports, import(), require(). */
function specifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** Why `specifier` in `file` (a file of plugin folder `pluginDir`) crosses the boundary, or undefined. */
function violation(file: string, pluginDir: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.') && !specifier.startsWith('/')) return undefined; // a package or node: builtin
  const target = path.resolve(path.dirname(file), specifier);
  if (target === PLUGIN_API) return undefined;
  if (target === pluginDir || target.startsWith(pluginDir + path.sep)) return undefined;
  return `${path.relative(REPO_ROOT, file)} imports ${specifier} (${path.relative(REPO_ROOT, target)})`;
}

function scan(files: readonly { file: string; source: string }[]): string[] {
  const found: string[] = [];
  for (const { file, source } of files) {
    const pluginDir = path.join(PLUGINS, path.relative(PLUGINS, file).split(path.sep)[0]);
    for (const s of specifiers(source)) {
      const v = violation(file, pluginDir, s);
      if (v !== undefined) found.push(v);
    }
  }
  return found;
}

test('the scanner sees static, type-only, re-export, dynamic and require imports that cross the boundary', () => {
  const file = path.join(PLUGINS, 'output-x/output.ts');
  const source = [
    "import { a } from './sibling.ts';",
    "import type { B } from '../../src/core/plugin-api.ts';",
    "import fastJson from 'fast-json-stringify';",
    "import { readFileSync } from 'node:fs';",
    "import { OutputQueue } from '../../src/core/output-queue.ts';",
    "import type { Batch } from '../../src/core/record.ts';",
    "export { x } from '../output-y/format.ts';",
    "const later = await import('../../src/core/metrics.ts');",
    "const cjs = require('../../test/helpers/records.ts');",
  ].join('\n');
  assert.equal(scan([{ file, source }]), [
    'plugins/output-x/output.ts imports ../../src/core/output-queue.ts (src/core/output-queue.ts)',
    'plugins/output-x/output.ts imports ../../src/core/record.ts (src/core/record.ts)',
    'plugins/output-x/output.ts imports ../output-y/format.ts (plugins/output-y/format.ts)',
    'plugins/output-x/output.ts imports ../../src/core/metrics.ts (src/core/metrics.ts)',
    'plugins/output-x/output.ts imports ../../test/helpers/records.ts (test/helpers/records.ts)',
  ]);
});

test('every built-in plugin imports the server only through src/core/plugin-api.ts', () => {
  const files = sourceFiles(PLUGINS).map((file) => ({ file, source: readFileSync(file, 'utf8') }));
  assert.ok(files.length > 10, 'plugin sources found');
  const found = scan(files);
  assert.equal(found, [], `plugins must import the core only through src/core/plugin-api.ts:\n  ${found.join('\n  ')}`);
});

test.run();
